"""End to end, through the real Application and the fake Bot API with the clock set: the council period the bot
holds (R-PER-1). The chair and vice-chair of 2026-2030 were elected on 23 January 2026 and are recorded by the
secretariat (R-ELEC-1); the constituent meeting of 25 January 2030 is the next council's, so nothing about it is
taken or computed from today's votes; the longest-serving mayor comes from the roster (R-MEET-2).
"""

from __future__ import annotations

from datetime import datetime

from tests.conftest import COPENHAGEN, RunningBot
from tests.test_absence_e2e import message_to
from tests.test_elections_e2e import recorded, stored, text

SECRETARY = 2101
MAYOR = 2102  # aalborg-borgmester, A
MEMBER = 2103  # a-medlem-2, A

DECEMBER_2026 = datetime(2026, 12, 7, 10, 0, tzinfo=COPENHAGEN)
BEFORE_THE_2030_DEADLINE = datetime(2030, 1, 21, 9, 0, tzinfo=COPENHAGEN)  # Monday; the deadline would be Tuesday
AFTER_THE_2030_DEADLINE = datetime(2030, 1, 23, 9, 0, tzinfo=COPENHAGEN)


async def setup(kkrbot: RunningBot, now: datetime) -> None:
    kkrbot.clock.now = now
    await kkrbot.bind(SECRETARY, "sekretariat-1")
    await kkrbot.bind(MAYOR, "aalborg-borgmester")
    await kkrbot.bind(MEMBER, "a-medlem-2")


async def test_r_per_1_in_december_2026_the_chair_was_elected_in_january_and_is_shown_once_recorded(
    kkrbot: RunningBot,
) -> None:
    await setup(kkrbot, DECEMBER_2026)

    before = text(await kkrbot.ask(MEMBER, "/formandsvalg"))
    assert "blev valgt på det konstituerende møde fredag den 23. januar 2026" in before
    assert "ikke registreret i botten" in before
    assert "ikke valgt endnu" not in before
    assert "Mikael Klitgaard" not in before
    assert "formandsposten til A" in before  # the computation, beside: groups, not people

    preview = await kkrbot.ask(SECRETARY, "/formandsvalg registrer aalborg-borgmester jammerbugt-borgmester")
    assert "Camilla Demoholm (eksempel) (A, Aalborg)" in text(preview)
    assert await stored(kkrbot, "SELECT * FROM chair_records WHERE settled = 'sent'") == []
    recorded = await kkrbot.press(SECRETARY, preview, "Registrér")

    assert "Formand: Camilla Demoholm (eksempel) (A, Aalborg)" in text(recorded)
    after = text(await kkrbot.ask(MEMBER, "/formandsvalg"))
    assert "Formand: Camilla Demoholm (eksempel) (A, Aalborg)" in after
    assert "Næstformand: " in after
    assert "ikke registreret" not in after
    assert "25. januar 2030" in after
    assert "næste valgperiode" in after
    assert await stored(kkrbot, "SELECT * FROM chair_elections") == []


async def test_r_elec_1_a_record_that_differs_from_the_computation_is_shown_not_refused_and_only_members_count(
    kkrbot: RunningBot,
) -> None:
    await setup(kkrbot, DECEMBER_2026)

    substitute = await kkrbot.ask(SECRETARY, "/formandsvalg registrer a-stedfortraeder-2 thisted-borgmester")
    assert "ikke medlem af rådet" in text(substitute)
    same = await kkrbot.ask(SECRETARY, "/formandsvalg registrer thisted-borgmester thisted-borgmester")
    assert "to forskellige medlemmer" in text(same)
    member = await kkrbot.ask(MEMBER, "/formandsvalg registrer thisted-borgmester aalborg-borgmester")
    assert "kun KKR-sekretariatet" in text(member)

    preview = await kkrbot.ask(SECRETARY, "/formandsvalg registrer thisted-borgmester aalborg-borgmester")
    assert "Den registrerede formands parti, V, er ikke i den gruppe" in text(preview)
    recorded = await kkrbot.press(SECRETARY, preview, "Registrér")

    assert "Formand: Lene Attrapgaard (eksempel) (V, Thisted)" in text(recorded)
    assert "Den registrerede formands parti, V" in text(recorded)
    assert len(await stored(kkrbot, "SELECT * FROM chair_records WHERE settled = 'sent'")) == 1


async def test_r_per_1_a_valgforbund_for_the_2030_constituent_meeting_is_refused_and_nothing_is_computed(
    kkrbot: RunningBot,
) -> None:
    await setup(kkrbot, BEFORE_THE_2030_DEADLINE)

    answer = text(await kkrbot.ask(MAYOR, "/valgforbund A+F+B+Ø"))

    assert "Intet blev registreret" in answer
    assert "næste valgperiode, 2030–2034" in answer
    assert "kommunalvalget tirsdag den 20. november 2029" in answer
    assert await stored(kkrbot, "SELECT * FROM valgforbund") == []
    kkrbot.clock.now = AFTER_THE_2030_DEADLINE
    chair = text(await kkrbot.ask(SECRETARY, "/formandsvalg"))
    assert "FORMAND OG NÆSTFORMAND VALGT" not in chair
    assert "næste valgperiode" in chair
    assert await stored(kkrbot, "SELECT * FROM chair_elections") == []


async def test_r_meet_2_the_longest_serving_mayor_who_leads_the_constituent_meeting_comes_from_the_roster(
    kkrbot: RunningBot,
) -> None:
    await setup(kkrbot, datetime(2026, 1, 19, 9, 0, tzinfo=COPENHAGEN))

    answer = text(await kkrbot.ask(MEMBER, "/formandsvalg"))

    assert "Dorte Fiktivsen (eksempel) (Brønderslev)" in answer
    assert "Mikael Klitgaard" not in answer


async def test_r_mem_5_a_recorded_chair_who_leaves_leaves_the_post_vacant(kkrbot: RunningBot) -> None:
    await setup(kkrbot, DECEMBER_2026)
    preview = await kkrbot.ask(SECRETARY, "/formandsvalg registrer a-medlem-2 jammerbugt-borgmester")
    await kkrbot.press(SECRETARY, preview, "Registrér")

    departure = text(await recorded(kkrbot, "/udtraedelse a-medlem-2 byraad", SECRETARY))

    assert "Posten som formand er ledig." in departure
    shown = text(await kkrbot.ask(MAYOR, "/formandsvalg"))
    assert "Formand: ledig: " in shown
    assert "har forladt KKR" in shown
    assert "Næstformand: ledig" not in shown


async def test_r_per_1_the_next_councils_constituent_meeting_offers_no_absence_button(kkrbot: RunningBot) -> None:
    """On 21 January 2030 /naeste shows the constituent meeting of 25 January 2030; /afbud refuses it (its members
    are elected there), so its view must not offer a "Meld afbud" button that only leads to that refusal."""
    await setup(kkrbot, BEFORE_THE_2030_DEADLINE)

    shown = await kkrbot.ask(MAYOR, "/naeste")
    assert "25. januar 2030" in text(shown)
    labels = [button["text"] for row in shown.buttons for button in row]
    assert "Meld afbud" not in labels
    assert "Alle møder" in labels
    offered = await kkrbot.ask(MAYOR, "/afbud")
    assert "Derfor kan du ikke melde afbud til det." in text(offered)  # why, not "no meetings planned"

    kkrbot.clock.now = DECEMBER_2026  # a meeting of this council still offers it
    assert "Meld afbud" in [b["text"] for row in (await kkrbot.ask(MAYOR, "/naeste")).buttons for b in row]


async def test_r_per_1_the_attendance_of_the_next_councils_constituent_meeting_is_not_forecast_from_today(
    kkrbot: RunningBot,
) -> None:
    """Its members are elected at the municipal election; today's 22 cannot report absence for it, so
    "Forventet fremmøde: 22 af 22" would be a forecast about people who may not be there."""
    await setup(kkrbot, BEFORE_THE_2030_DEADLINE)

    shown = text(await kkrbot.ask(SECRETARY, "/fremmoede 25.01.2030"))

    assert "næste KKR's første møde" in shown
    assert "Forventet fremmøde" not in shown
    assert "22 af 22" not in shown

    kkrbot.clock.now = DECEMBER_2026  # a meeting of this council is still forecast
    assert "Forventet fremmøde: 22 af 22" in text(await kkrbot.ask(SECRETARY, "/fremmoede 12.02.2027"))


async def test_r_per_1_the_secretariat_is_told_once_to_load_the_next_period_after_the_election_and_at_its_start(
    kkrbot: RunningBot,
) -> None:
    """Until the next period is loaded the bot takes nothing for the next council's constituent meeting (R-PER-1),
    so the secretariat is told after the municipal election of 20 November 2029 (R-DAY-2), once, and once more
    when that meeting starts with nothing loaded."""
    await setup(kkrbot, datetime(2029, 11, 20, 20, 0, tzinfo=COPENHAGEN))  # election day: not yet
    await kkrbot.conversation.tick()
    kkrbot.clock.now = datetime(2029, 11, 21, 9, 0, tzinfo=COPENHAGEN)
    await kkrbot.conversation.tick()
    await kkrbot.conversation.tick()
    kkrbot.clock.now = datetime(2030, 1, 25, 10, 1, tzinfo=COPENHAGEN)
    await kkrbot.conversation.tick()
    await kkrbot.conversation.tick()

    told = [text(m) for m in await message_to(kkrbot, SECRETARY, "valgperiode", count=2)]
    assert len([t for t in told if "Indlæs næste valgperiode" in t]) == 1
    assert "Kommunalvalget tirsdag den 20. november 2029 er holdt" in told[0]
    assert "kkrbot period load DATA ROSTER" in told[0]
    assert len([t for t in told if "Valgperioden 2026–2030 er slut" in t]) == 1
    assert not any("valgperiode" in text(m) for m in kkrbot.tg.sent_to(MEMBER))
