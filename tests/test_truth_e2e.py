"""The guide's Truth section, day by day through the real Application and the fake Bot API: on each day the bot
says only what is true that day, and what it only expects or infers it says so. Each test sets the clock to the
day a walk through the period (console under faketime) found a sentence that read false."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from bot.storage.roster import Roster
from tests.conftest import COPENHAGEN, RunningBot
from tests.test_absence_e2e import MEMBER, SECRETARY, SUBSTITUTE, council, message_to, names, report_absence, text
from tests.test_cli import kkrbot, new_database
from tests.test_next_period_e2e import CONTINUING, LOST, NEW_MAYOR, load, setup
from tests.test_next_period_e2e import SECRETARY as NEXT_SECRETARY
from tests.test_status_e2e import labels

__all__ = ["council"]  # the fixture, shared with the absence tests

DURING_THE_MEETING = datetime(2027, 2, 12, 10, 30, tzinfo=COPENHAGEN)  # 10:00–12:00 (R-MEET-1)
AFTER_THE_MEETING = datetime(2027, 2, 15, 9, 0, tzinfo=COPENHAGEN)


async def test_r_meet_1_a_meeting_under_way_is_not_listed_as_held(council: RunningBot) -> None:
    council.clock.now = DURING_THE_MEETING

    listed = text(await council.ask(MEMBER, "/moeder"))

    assert "▸ fredag den 12. februar 2027 kl. 10.00–12.00, Aalborg" in listed
    assert "✓ fredag den 12. februar 2027" not in listed
    assert "▸ i gang" in listed
    assert "✓ fredag den 20. november 2026" in listed  # a meeting that is over is held


async def test_r_meet_1_the_minutes_of_a_meeting_under_way_say_so_not_that_it_is_not_held_yet(
    council: RunningBot,
) -> None:
    council.clock.now = DURING_THE_MEETING

    minutes = text(await council.ask(SECRETARY, "/referat 12.02.2027"))

    assert "Mødet er i gang; sådan ser teksten ud nu." in minutes
    assert "ikke holdt endnu" not in minutes


async def test_r_meet_4_after_the_meeting_its_view_tells_what_the_substitute_had_said_not_who_came(
    council: RunningBot,
) -> None:
    """Who came is what the secretariat records; a member looking back at the meeting reads the answer as an
    answer, and is offered no withdrawal or answer any more."""
    people = await names(council)
    await report_absence(council)
    alert = (await message_to(council, SUBSTITUTE, "har meldt afbud"))[-1]
    await council.press(SUBSTITUTE, alert, "Jeg deltager")
    await message_to(council, MEMBER, "deltager i mødet")  # the answer has reached the member
    council.clock.now = AFTER_THE_MEETING

    member_view = await council.ask(MEMBER, "/moeder 12.02.2027")
    substitute_view = await council.ask(SUBSTITUTE, "/moeder 12.02.2027")

    substitute = f"{people['a-stedfortraeder-1']} (eksempel)"
    member = f"{people['a-medlem-1']} (eksempel)"
    assert f"Du havde meldt afbud; din stedfortræder, {substitute}, havde sagt ja til at deltage." in text(member_view)
    assert "Fortryd afbud" not in labels(member_view)
    assert f"{member} havde bedt dig deltage i sit sted; du havde sagt ja til at deltage." in text(substitute_view)
    assert "Du deltager" not in text(substitute_view)
    assert "Jeg kan alligevel ikke" not in " ".join(labels(substitute_view))


async def test_r_per_1_the_next_councils_constituent_meeting_is_neither_minuted_nor_recorded_for_todays_council(
    council: RunningBot,
) -> None:
    """On 1 February 2030 the meeting of 25 January 2030 was the next council's (no next period loaded): today's
    roster did not sit there, so the bot neither writes minutes nor records attendance for it, and the last
    meeting held of this period is the default."""
    council.clock.now = datetime(2030, 2, 1, 9, 0, tzinfo=COPENHAGEN)

    minutes = text(await council.ask(SECRETARY, "/referat 25.01.2030"))
    record = text(await council.ask(SECRETARY, "/fremmoede registrer 25.01.2030"))
    last = text(await council.ask(SECRETARY, "/referat"))

    for refusal in (minutes, record):
        assert "Det konstituerende møde fredag den 25. januar 2030 indledte næste valgperiode, 2030–2034." in refusal
        assert "Til brug for KL's referat" not in refusal
        assert "pladser besat" not in refusal
    assert "Til referatet: fredag den 26. oktober 2029" in last


async def test_r_per_1_after_the_municipal_election_the_refusal_does_not_say_it_is_still_to_come(
    council: RunningBot,
) -> None:
    """On 3 December 2029 the election of 20 November 2029 (R-DAY-2) is over: "its members will be elected then"
    would be false. The reason names the election, which is true before it and after."""
    council.clock.now = datetime(2029, 12, 3, 10, 0, tzinfo=COPENHAGEN)

    refused = text(await council.ask(MEMBER, "/afbud 25.01.2030"))
    attendance = text(await council.ask(SECRETARY, "/fremmoede 25.01.2030"))

    for answer in (refused, attendance):
        assert "næste KKR's første møde" in answer
        assert "afhænger af kommunalvalget tirsdag den 20. november 2029" in answer
        assert "vælges først da" not in answer
    assert "Derfor kan du ikke melde afbud til det." in refused
    assert "forventer intet fremmøde af det nuværende råd" in attendance


async def test_r_comp_2_after_the_next_election_the_composition_names_the_election_it_rests_on(
    council: RunningBot,
) -> None:
    """On 3 December 2029 "the municipal election" would read as the one of 20 November 2029; today's council
    rests on the one of 18 November 2025 (R-DAY-2) until the next council is constituted (R-PER-1)."""
    council.clock.now = datetime(2029, 12, 3, 10, 0, tzinfo=COPENHAGEN)

    danish = text(await council.ask(MEMBER, "/sammensaetning"))
    await council.ask(MEMBER, "/sprog en")
    english = text(await council.ask(MEMBER, "/composition"))

    assert "i regionen ved kommunalvalget tirsdag den 18. november 2025, efter største brøks metode" in danish
    assert "at the municipal election of Tuesday 18 November 2025, by largest remainder" in english


async def test_a_saved_agenda_says_members_see_it_when_they_look_the_meeting_up_not_during_it(
    council: RunningBot,
) -> None:
    """Danish "Medlemmerne ser den under mødet" reads in Danish as "during the meeting"; they see it at once, in the
    meeting's view, and nobody is sent it before the secretariat says so."""
    saved = text(await council.ask(SECRETARY, "/dagsorden 12.02.2027\n1. Velkomst"))

    assert "Medlemmerne ser den, når de slår mødet op; den er ikke sendt til nogen endnu." in saved
    assert "under mødet" not in saved


async def test_r_per_1_the_danish_says_kommunalvalget_as_everywhere_else(council: RunningBot) -> None:
    """One word for one thing: the bot says "kommunalvalget" in every other answer."""
    council.clock.now = datetime(2029, 12, 3, 10, 0, tzinfo=COPENHAGEN)

    answer = text(await council.ask(MEMBER, "/formandsvalg"))

    assert "bygger på kommunalvalget tirsdag den 20. november 2029" in answer
    assert "kommunevalg" not in answer


async def test_r_meet_4_a_cancelled_meeting_has_no_attendance_forecast_and_no_minutes(council: RunningBot) -> None:
    """Found on 28 April 2027 for the cancelled 25 June 2027: /fremmoede forecast "22 af 22" and /referat wrote
    "Mødet er ikke holdt endnu" for a meeting that will not be held."""
    preview = await council.ask(SECRETARY, "/moede aflys 12.02.2027 Formandskabet er forhindret")
    [send] = [label for label in labels(preview) if label.startswith("Send til")]
    await council.press(SECRETARY, preview, send)
    await message_to(council, MEMBER, "er aflyst")

    attendance = text(await council.ask(SECRETARY, "/fremmoede 12.02.2027"))
    minutes = text(await council.ask(SECRETARY, "/referat 12.02.2027"))

    for answer in (attendance, minutes):
        assert "Mødet fredag den 12. februar 2027 kl. 10.00–12.00 er aflyst" in answer
        assert "Forventet fremmøde" not in answer
        assert "ikke holdt endnu" not in answer


async def test_a_moved_meeting_is_still_named_by_its_planned_day_after_that_day_has_passed(
    council: RunningBot,
) -> None:
    """Found on 28 April 2027 (/moeder 23.04, the meeting moved to 30 April): the bot answered that there is no
    meeting on Sunday 23 April 2028. The planned day names the moved meeting, as before that day."""
    preview = await council.ask(SECRETARY, "/moede flyt 12.02.2027 19.02.2027")
    [send] = [label for label in labels(preview) if label.startswith("Send til")]
    await council.press(SECRETARY, preview, send)
    await message_to(council, MEMBER, "er ændret")
    council.clock.now = datetime(2027, 2, 16, 9, 0, tzinfo=COPENHAGEN)

    shown = text(await council.ask(MEMBER, "/moeder 12.02"))

    assert "fredag den 19. februar 2027 kl. 10.00–12.00" in shown
    assert "2028" not in shown


async def test_r_meet_4_when_the_risk_is_over_the_secretariat_reads_a_forecast_not_that_quorum_is_restored(
    council: RunningBot,
) -> None:
    """Found on 5 February 2027: after 12 absences and one substitute's yes, the title said "Beslutningsdygtigheden
    er genoprettet", as if settled; it is still only expected from notices and answers."""
    async with council.conversation.db.read() as conn:
        members = [m.id for m in (await Roster.load(conn)).members if m.id != "a-medlem-1"]
    await report_absence(council)  # a-medlem-1, whose substitute is bound
    for index, member in enumerate(members[:11]):
        user = 3000 + index
        await council.bind(user, member)
        await council.ask(user, "/afbud 12.02.2027 ok")
    await message_to(council, SECRETARY, "Beslutningsdygtigheden er i fare")
    alert = (await message_to(council, SUBSTITUTE, "har meldt afbud"))[-1]

    await council.press(SUBSTITUTE, alert, "Jeg deltager")

    [over] = await council.tg.wait_for(lambda m: m.chat_id == SECRETARY and "igen:" in text(m))
    assert text(over).startswith("Forventet beslutningsdygtigt igen: fredag den 12. februar 2027")
    assert "Forventet fremmøde: 11 af 22" in text(over)
    assert "genoprettet" not in text(over)


async def test_the_substitutes_to_chase_are_told_apart_from_their_phone_numbers(council: RunningBot) -> None:
    """Found on 5 February 2027 with twelve alerts unanswered: "Mangler svar: A, +45 …, B, +45 …" ran names and
    numbers together; a secretary calling them needs to see where one person ends."""
    people = await names(council)
    await council.bind(3001, "a-medlem-2")
    await report_absence(council)
    await council.ask(3001, "/afbud 12.02.2027 ok")
    await message_to(council, SECRETARY, "har meldt afbud", count=2)

    attendance = text(await council.ask(SECRETARY, "/fremmoede 12.02.2027"))

    first, second = people["a-stedfortraeder-1"], people["a-stedfortraeder-2"]
    assert f"Mangler svar: {first} (eksempel), +45 20 00 15 45; {second} (eksempel), +45" in attendance


def test_r_per_1_the_exports_refuse_a_cancelled_meeting_and_the_next_councils_constituent_meeting(
    tmp_path: Path,
) -> None:
    """`kkrbot minutes` and `kkrbot attendance` read as /referat and /fremmoede: on 1 February 2030 they exported
    minutes of 25 January 2030 for today's council, and "ventedes 22 af 22" for a cancelled meeting."""
    new_database(tmp_path)
    assert kkrbot(tmp_path, "meeting", "cancel", "26.10.2029", "--yes").returncode == 0

    for command in ("minutes", "attendance"):
        cancelled = kkrbot(tmp_path, command, "26.10.2029")
        next_council = kkrbot(tmp_path, command, "25.01.2030")

        assert (cancelled.returncode, next_council.returncode) == (2, 2)
        assert "is cancelled: no attendance and nothing for the minutes" in cancelled.stderr
        assert "the next council's constituent meeting" in next_council.stderr
        assert "22 af 22" not in cancelled.stdout + next_council.stdout


async def test_r_elec_3_the_quotient_table_says_its_votes_are_shares_when_the_data_set_has_no_counts(
    council: RunningBot,
) -> None:
    """Found on 14 January 2026: "A 1 276,0" under "Partiernes stemmer i regionen" reads as 276 votes; the
    bundled data set has only the shares of KV25 in tenths of a percentage point (R-COMP-1's table)."""
    council.clock.now = datetime(2026, 1, 14, 9, 0, tzinfo=COPENHAGEN)

    preview = text(await council.ask(SECRETARY, "/formandsvalg"))

    assert "276,0" in preview
    assert "Datasættet har ikke stemmetallene, kun hvert partis andel i promille (276 = 27,6 %)" in preview


async def test_r_mem_2_the_2nd_viceborgmester_reads_that_standing_in_for_the_mayor_is_inferred(
    council: RunningBot,
) -> None:
    """Found on 1 February 2027 as aalborg-2-viceborgmester: the mayor's /stedfortraeder says the 2nd
    viceborgmester's turn is inferred, the 2nd viceborgmester's own said it as fact."""
    await council.bind(3002, "aalborg-2-viceborgmester")

    answer = text(await council.ask(3002, "/stedfortraeder"))

    assert "Du er stedfortræder for" in answer
    assert "Som 2. viceborgmester, fordi 1. viceborgmester selv er medlem af KKR (udledt:" in answer


async def test_r_per_1_during_the_constituent_meeting_the_chair_is_not_said_to_be_elected_yet(
    council: RunningBot,
) -> None:
    """Found on 23 January 2026 at 10:45, a quarter of an hour into the constituent meeting (R-MEET-1): /formandsvalg
    said the chair and vice-chair "blev valgt", before anyone could know."""
    council.clock.now = datetime(2026, 1, 23, 10, 45, tzinfo=COPENHAGEN)

    during = text(await council.ask(MEMBER, "/formandsvalg"))
    council.clock.now = datetime(2026, 1, 23, 13, 0, tzinfo=COPENHAGEN)
    after = text(await council.ask(MEMBER, "/formandsvalg"))

    assert "vælges på det konstituerende møde fredag den 23. januar 2026, som er i gang" in during
    assert "blev valgt" not in during
    assert "blev valgt på det konstituerende møde fredag den 23. januar 2026" in after


async def test_r_per_1_the_next_councils_constituent_meeting_shown_as_next_says_whose_meeting_it_is(
    council: RunningBot,
) -> None:
    """Found on 3 December 2029: /naeste showed "Konstituerende møde … 25. januar 2030" to today's members as their
    next meeting, without a word that it is the next council's (its members are not today's)."""
    council.clock.now = datetime(2029, 12, 3, 10, 0, tzinfo=COPENHAGEN)

    answer = await council.ask(MEMBER, "/naeste")

    shown = text(answer)
    assert "fredag den 25. januar 2030" in shown
    assert "er det næste KKR's første møde; dets medlemmer afhænger af kommunalvalget tirsdag den 20. november" in shown
    assert "Meld afbud" not in labels(answer)


async def test_r_mem_2_the_2nd_viceborgmester_is_alerted_as_2nd_viceborgmester(council: RunningBot) -> None:
    """Found by the first walk: the alert to Aalborg's 2nd viceborgmester said "Som viceborgmester kan du deltage":
    she stands in as the 2nd (R-MEM-2, inferred), since the 1st is a member himself."""
    await council.bind(3003, "aalborg-borgmester")
    await council.bind(3004, "aalborg-2-viceborgmester")
    await report_absence(council, 3003)

    [alert] = await message_to(council, 3004, "har meldt afbud")

    assert "Som 2. viceborgmester kan du deltage i borgmesterens sted." in text(alert)


async def test_item_1_3_a_member_is_told_only_the_secretariat_records_the_councils_approval(
    council: RunningBot,
) -> None:
    """Found by the first walk: a member's `/valgforbund godkend 1` answered "Intet blev registreret" with the
    overview, not why: the council approves valgforbund, and the secretariat records it."""
    council.clock.now = datetime(2026, 1, 14, 9, 0, tzinfo=COPENHAGEN)  # before the constituent meeting
    before = text(await council.ask(MEMBER, "/valgforbund godkend 1"))
    council.clock.now = datetime(2027, 2, 1, 9, 0, tzinfo=COPENHAGEN)  # after it
    after = text(await council.ask(MEMBER, "/valgforbund godkend 1"))

    for answer in (before, after):
        assert "Kun sekretariatet registrerer rådets godkendelse eller afvisning af et valgforbund." in answer


ENDED = "Valgperioden 2026–2030 sluttede med det konstituerende møde fredag den 25. januar 2030."
NOT_LOADED = "Næste valgperiodes data (medlemmer, stedfortrædere og møder) er ikke indlæst i botten endnu"


async def test_r_per_1_after_the_constituent_meeting_without_the_next_period_the_old_council_is_marked_as_ended(
    council: RunningBot,
) -> None:
    """Found by the first walk at 1 February 2030 with no next period loaded: /sammensaetning, /stedfortraeder,
    /medlemmer, /naeste and /moeder spoke of the council of 2026–2030 as if it still sat. Its period ended at the
    constituent meeting of 25 January 2030 (R-PER-1); what the bot holds is the old council's data, and the
    secretariat is told how to load the next period."""
    await council.bind(3003, "aalborg-borgmester")
    council.clock.now = datetime(2030, 2, 1, 9, 0, tzinfo=COPENHAGEN)

    answers = {
        command: text(await council.ask(3003, command))
        for command in ("/sammensaetning", "/stedfortraeder", "/medlemmer kommune", "/naeste", "/moeder")
    }
    secretariat = text(await council.ask(SECRETARY, "/sammensaetning"))
    await council.ask(3003, "/sprog en")
    english = text(await council.ask(3003, "/substitute"))

    for command, answer in answers.items():
        assert ENDED in answer, command
        assert NOT_LOADED in answer, command
    assert "det afgåede råds data, som de var" in answers["/sammensaetning"]
    assert "Beslutningsdygtigt: mindst 11" not in answers["/sammensaetning"]
    assert "Som borgmester var din stedfortræder" in answers["/stedfortraeder"]
    assert "Der er ikke planlagt flere møder i denne valgperiode" not in answers["/naeste"]
    assert "Sekretariatet indlæser næste valgperiode." in answers["/medlemmer kommune"]
    assert "kkrbot period load (docs/secretariat.md, afsnittet „Next period“)" in secretariat
    assert "The period 2026–2030 ended at the constituent meeting of Friday 25 January 2030." in english
    assert "As mayor you were substituted by" in english


def test_r_meet_4_the_attendance_json_names_a_forecast_as_expected(tmp_path: Path) -> None:
    """Found by the first walk: `kkrbot attendance DATE --json` called the forecast from notices `present` and
    `quorate` (with `basis: notices`), as if someone had recorded who came. The forecast has keys of its own;
    `present`/`quorate` stay as they were for existing readers (docs/secretariat.md says what they mean)."""
    new_database(tmp_path)

    forecast = json.loads(kkrbot(tmp_path, "attendance", "12.02.2027", "--json").stdout)

    assert forecast["basis"] == "notices"
    assert (forecast["expected_present"], forecast["expected_quorate"]) == (22, True)
    assert (forecast["present"], forecast["quorate"]) == (22, True)  # unchanged for existing readers


async def test_r_ehus_3_once_the_next_constituent_meeting_has_begun_the_2026_timeline_is_not_current(
    council: RunningBot,
) -> None:
    """Found by the first walk at 25 January 2030, 11:30, no next period loaded: /indstilling showed "Indstillinger
    senest fredag den 27. februar 2026" as the current timeline and would record a nomination flagged late against
    it. That timeline is the period 2026–2030's (R-EHUS-3), which ended as the meeting began (R-PER-1)."""
    council.clock.now = datetime(2030, 1, 25, 11, 30, tzinfo=COPENHAGEN)

    overview = text(await council.ask(SECRETARY, "/indstilling"))
    nominated = text(await council.ask(SECRETARY, "/indstilling DI erhverv kvinde Anna Hansen"))

    for answer in (overview, nominated):
        assert "Erhvervshus Nordjyllands tidsplan i botten hører til valgperioden 2026–2030" in answer
        assert "Indstillinger senest fredag den 27. februar 2026" not in answer
    assert "Intet blev registreret." in nominated
    assert "registreret" not in nominated.replace("Intet blev registreret.", "")


async def test_r_per_1_a_change_to_the_next_councils_constituent_meeting_does_not_tell_todays_council(
    council: RunningBot,
) -> None:
    """Found by the first walk at 10 January 2030, no next period loaded: /moede flyt 25.01.2030 and /dagsorden
    25.01.2030 offered to tell today's 22 members about the next council's constituent meeting. The secretariat
    may set its time, place and agenda (R-MEET-2: the longest-serving mayor of the new council convenes it), but
    today's council is not who meets there (R-PER-1), and the next council's members are not loaded yet."""
    council.clock.now = datetime(2030, 1, 10, 10, 0, tzinfo=COPENHAGEN)

    moved = await council.ask(SECRETARY, "/moede flyt 25.01.2030 24.01.2030")
    cancelled = text(await council.ask(SECRETARY, "/moede aflys 25.01.2030 Lokalet er optaget"))
    agenda = await council.ask(SECRETARY, "/dagsorden 25.01.2030\n1. Velkomst")

    nobody = "så ingen får besked nu: giv det næste råds medlemmer besked, når næste valgperiode er indlæst"
    for answer in (text(moved), cancelled, text(agenda)):
        assert "Det er det næste råds konstituerende møde." in answer
        assert nobody in answer
        assert "personer får besked" not in answer  # today's bound members were counted
    assert not [label for label in labels(moved) if label.startswith("Send til")]
    assert "Fortæl alle berørte" not in labels(agenda)
    await council.press(SECRETARY, moved, "Gem ændringen")
    assert not [m for m in council.tg.sent_to(MEMBER) if "ændret" in text(m)]


async def test_r_per_1_with_the_next_period_loaded_a_change_to_its_constituent_meeting_tells_the_new_council(
    kkrbot: RunningBot,
) -> None:
    """The same change with the next period loaded (December 2029): the new council is told, the mayor who lost
    the election of 20 November 2029 is not (R-PER-1, R-MEM-1)."""
    await setup(kkrbot)
    await load(kkrbot, dry_run=False)
    await kkrbot.bind(NEW_MAYOR, "hjoerring-borgmester-2030")

    preview = await kkrbot.ask(NEXT_SECRETARY, "/moede flyt 25.01.2030 24.01.2030")
    await kkrbot.press(NEXT_SECRETARY, preview, "Send til 2")

    assert "2 personer får besked." in text(preview)  # the continuing mayor and the new one, who are bound
    await kkrbot.tg.wait_for(lambda m: m.chat_id == NEW_MAYOR and "torsdag den 24. januar 2030" in text(m))
    await kkrbot.tg.wait_for(lambda m: m.chat_id == CONTINUING and "torsdag den 24. januar 2030" in text(m))
    assert not [m for m in kkrbot.tg.sent_to(LOST) if "24. januar 2030" in text(m)]


async def test_r_per_1_after_the_next_constituent_meeting_its_refusals_speak_of_it_in_the_past(
    council: RunningBot,
) -> None:
    """Found walking 1 February 2030 with no next period loaded: /formandsvalg said the meeting of 25 January 2030
    "indleder" the next period and that its members rest "ikke på det nuværende råd", a week after the period of
    today's roster ended (R-PER-1)."""
    council.clock.now = datetime(2030, 2, 1, 9, 0, tzinfo=COPENHAGEN)

    chair = text(await council.ask(MEMBER, "/formandsvalg"))
    meeting = text(await council.ask(MEMBER, "/moeder 25.01.2030"))

    assert "Det konstituerende møde fredag den 25. januar 2030 indledte næste valgperiode, 2030–2034." in chair
    assert "var det næste KKR's første møde" in meeting
    for answer in (chair, meeting):
        assert "nuværende råd" not in answer


async def test_r_per_1_after_the_last_meeting_of_the_period_help_and_afbud_agree_that_no_meeting_takes_an_absence(
    council: RunningBot,
) -> None:
    """On 1 November 2029 the period's last meeting (26 October) is held and the only meeting to come is the next
    council's constituent meeting: /hjaelp must not offer /afbud as if it took an absence, and /afbud says why
    it takes none instead of "no more meetings planned" (the meeting list shows 25 January 2030 as coming)."""
    council.clock.now = datetime(2029, 11, 1, 9, 0, tzinfo=COPENHAGEN)

    helped = text(await council.ask(MEMBER, "/hjaelp"))
    refused = text(await council.ask(MEMBER, "/afbud"))

    assert "/afbud – Meld afbud til et møde (intet møde at melde afbud til nu)" in helped
    assert "Det konstituerende møde fredag den 25. januar 2030 kl. 10.00–12.00 er det næste KKR's første" in refused
    assert "Derfor kan du ikke melde afbud til det." in refused
    assert "Der er ikke planlagt flere møder" not in refused


async def test_help_offers_afbud_plainly_while_a_meeting_takes_an_absence(council: RunningBot) -> None:
    helped = text(await council.ask(MEMBER, "/hjaelp"))

    assert "/afbud – Meld afbud til et møde\n" in helped


async def test_r_meet_1_an_agenda_for_a_meeting_under_way_is_refused_as_begun_not_as_held(
    council: RunningBot,
) -> None:
    """At 10:30 the meeting of 12 February 2027 (10:00–12:00) has begun; it is not held until 12:00."""
    council.clock.now = DURING_THE_MEETING

    during = text(await council.ask(SECRETARY, "/dagsorden 12.02.2027\n1. Velkomst"))
    council.clock.now = AFTER_THE_MEETING
    after = text(await council.ask(SECRETARY, "/dagsorden 12.02.2027\n1. Velkomst"))

    assert "Mødet fredag den 12. februar 2027 kl. 10.00–12.00 er allerede begyndt" in during
    assert "holdt" not in during
    assert "er allerede holdt, så dets dagsorden kan ikke ændres" in after


async def test_r_meet_4_during_a_meeting_attendance_shows_that_meeting_not_the_next(council: RunningBot) -> None:
    """At 10:30 the secretariat asking /fremmoede wants the meeting under way (its forecast, and recording who
    came), not the meeting of 23 April, as /referat already gives the meeting under way."""
    await report_absence(council)
    council.clock.now = DURING_THE_MEETING

    during = await council.ask(SECRETARY, "/fremmoede")
    council.clock.now = AFTER_THE_MEETING
    after = text(await council.ask(SECRETARY, "/fremmoede"))

    assert text(during).startswith("Fremmøde: fredag den 12. februar 2027")
    assert "Forventet fremmøde: 21 af 22" in text(during)
    assert "Registrer fremmøde" in labels(during)
    assert after.startswith("Fremmøde: fredag den 23. april 2027")  # once it is over: the next meeting, as before
