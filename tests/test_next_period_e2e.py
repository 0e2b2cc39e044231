"""End to end, through the real Application and the fake Bot API with the clock set: the next council period is
loaded in December 2029 (`kkrbot period load`, dry run first) and the bot crosses into it when the constituent meeting
of 25 January 2030 starts (R-PER-1). The example files are invented (bot/data/next_period_example*): Hjørring's
mayor lost the election, so she is not in the new roster (R-MEM-1, R-MEM-5).
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from bot.cli import invites
from bot.exports import minutes_export
from bot.period_cli import load_period
from bot.storage.composition_lots import composition_lots, record_composition_lot
from tests.conftest import COPENHAGEN, RunningBot
from tests.test_elections_e2e import stored, text

DATA = Path(__file__).resolve().parent.parent / "bot" / "data"
NEXT_PERIOD = DATA / "next_period_example.json"
NEXT_ROSTER = DATA / "next_period_example_roster.csv"

SECRETARY = 2401
CONTINUING = 2402  # aalborg-borgmester, re-elected
LOST = 2403  # hjoerring-borgmester, lost the election of 20 November 2029
NEW_MAYOR = 2404  # hjoerring-borgmester-2030, new

DECEMBER_2029 = datetime(2029, 12, 3, 10, 0, tzinfo=COPENHAGEN)
MEETING_STARTED = datetime(2030, 1, 25, 10, 1, tzinfo=COPENHAGEN)


async def load(kkrbot: RunningBot, *, dry_run: bool, roster: Path = NEXT_ROSTER) -> str:
    args = argparse.Namespace(data=NEXT_PERIOD, roster=roster, dry_run=dry_run, force=False, json=False, lot=[])
    return await load_period(kkrbot.settings, args, kkrbot.clock())


async def setup(kkrbot: RunningBot) -> None:
    kkrbot.clock.now = DECEMBER_2029
    await kkrbot.bind(SECRETARY, "sekretariat-1")
    await kkrbot.bind(CONTINUING, "aalborg-borgmester")
    await kkrbot.bind(LOST, "hjoerring-borgmester")


async def test_r_per_1_the_dry_run_shows_the_new_council_and_stores_nothing_the_load_stores_it(
    kkrbot: RunningBot,
) -> None:
    await setup(kkrbot)

    preview = await load(kkrbot, dry_run=True)

    assert preview.startswith("dry run, nothing stored: period 2030-2034")
    assert "computed from the votes of 20.11.2029" in preview
    assert "hjoerring-borgmester-2030 (Gitte Nyvalgsen, mayor of Hjørring)" in preview
    assert "told goodbye): hjoerring-borgmester (Frida Testrup)" in preview
    assert await stored(kkrbot, "SELECT * FROM periods") == []

    loaded = await load(kkrbot, dry_run=False)
    again = await load(kkrbot, dry_run=False)

    assert loaded.startswith("period 2030-2034 loaded")
    assert again.startswith("period 2030-2034 loaded again (the earlier load is replaced)")
    assert [tuple(r) for r in await stored(kkrbot, "SELECT name, constituent_id, crossed_at FROM periods")] == [
        ("2030-2034", "2030-01-25", None)
    ]


async def test_r_per_1_r_mem_5_when_the_constituent_meeting_starts_the_new_period_is_current_and_the_leavers_go(
    kkrbot: RunningBot,
) -> None:
    kkrbot.clock.now = datetime(2027, 2, 1, 9, 0, tzinfo=COPENHAGEN)
    await kkrbot.bind(LOST, "hjoerring-borgmester")
    assert "er registreret" in text(await kkrbot.ask(LOST, "/afbud 2027-02-12 ok", count=1))
    await setup(kkrbot)
    minutes_2027 = await minutes_export(
        kkrbot.conversation.db, kkrbot.conversation.dataset, kkrbot.settings, "12.02.2027", "md", kkrbot.clock()
    )
    await load(kkrbot, dry_run=False)
    before = text(await kkrbot.ask(CONTINUING, "/naeste"))
    assert "25. januar 2030" in before  # the old plan still ends with the constituent meeting

    kkrbot.clock.now = MEETING_STARTED
    told = len(kkrbot.tg.sent_to(LOST))
    await kkrbot.conversation.tick()
    goodbye = (await kkrbot.tg.wait_for_messages(LOST, told + 1))[-1]
    await kkrbot.conversation.tick()  # a second tick (or a restart) crosses nothing twice

    assert "du er ikke med i det nye råd for 2030–2034" in text(goodbye)
    assert "hjoerring-borgmester" in {
        r[0] for r in await stored(kkrbot, "SELECT id FROM persons WHERE archived_at IS NOT NULL")
    }
    assert await stored(kkrbot, "SELECT * FROM accounts WHERE person_id = 'hjoerring-borgmester'") == []
    assert "Farvel" not in text(await kkrbot.ask(LOST, "/naeste"))  # an unbound account learns nothing
    assert len(kkrbot.tg.sent_to(LOST)) == told + 2  # the goodbye once, and the answer to /naeste
    after = text(await kkrbot.ask(CONTINUING, "/naeste"))
    assert "22. marts 2030" in after  # the new period's plan: its binding stayed
    secretariat = [text(m) for m in kkrbot.tg.sent_to(SECRETARY)]
    assert any("Valgperioden 2030–2034 er begyndt" in m for m in secretariat)
    assert "Frida Testrup" in minutes_2027
    assert (
        await minutes_export(
            kkrbot.conversation.db, kkrbot.conversation.dataset, kkrbot.settings, "12.02.2027", "md", kkrbot.clock()
        )
        == minutes_2027
    )


async def test_r_per_1_the_new_people_are_invited_and_can_bind_before_the_meeting_but_join_the_roster_only_then(
    kkrbot: RunningBot,
) -> None:
    await setup(kkrbot)
    await load(kkrbot, dry_run=False)

    links = await invites(kkrbot.settings, None, True)
    welcome = text(await kkrbot.bind(NEW_MAYOR, "hjoerring-borgmester-2030"))

    invited = {line.split("\t")[0] for line in links.splitlines()}
    assert {"hjoerring-borgmester-2030", "a-medlem-2030-1", "o-stedfortraeder-2030-1"} <= invited
    assert "aalborg-borgmester" not in invited  # bound already
    assert "Gitte Nyvalgsen" in welcome
    current = {r[0] for r in await stored(kkrbot, "SELECT id FROM persons WHERE joins_period IS NULL")}
    assert "hjoerring-borgmester-2030" not in current
    assert "hjoerring-borgmester" in current  # R-MEM-5: she leaves with the crossing, not with the load


NEW_MEMBER = 2405  # a-medlem-2030-1 (A), new
NEW_SUBSTITUTE = 2406  # a-stedfortraeder-2030-1, her personal substitute
NEW_O_MEMBER = 2407  # o-medlem-2030-1 (O), new
BEFORE_THE_DEADLINE = datetime(2030, 1, 21, 9, 0, tzinfo=COPENHAGEN)  # Monday; the deadline is Tuesday 22 January
AFTER_THE_DEADLINE = datetime(2030, 1, 23, 9, 0, tzinfo=COPENHAGEN)


async def test_r_per_1_r_elec_4_the_new_council_notifies_valgforbund_reports_absence_and_sees_its_chair_election(
    kkrbot: RunningBot,
) -> None:
    await setup(kkrbot)
    await load(kkrbot, dry_run=False)
    await kkrbot.bind(NEW_MEMBER, "a-medlem-2030-1")
    await kkrbot.bind(NEW_SUBSTITUTE, "a-stedfortraeder-2030-1")
    await kkrbot.bind(NEW_O_MEMBER, "o-medlem-2030-1")
    kkrbot.clock.now = BEFORE_THE_DEADLINE

    notified = text(await kkrbot.ask(NEW_MEMBER, "/valgforbund A+F"))
    await kkrbot.tg.wait_for(lambda m: m.chat_id == SECRETARY and "valgforbundet A+F" in text(m))
    by_mail = text(await kkrbot.ask(SECRETARY, "/valgforbund V+I"))
    lost = text(await kkrbot.ask(LOST, "/valgforbund V+C"))

    assert "tirsdag den 22. januar 2030" in notified
    assert "Intet blev registreret" not in notified
    assert "modtaget" in by_mail
    assert "Kun medlemmer af KKR" in lost  # R-MEM-5: the mayor who lost is not in the council that meets
    notices = [tuple(r) for r in await stored(kkrbot, "SELECT meeting_id, parties, notified_by FROM valgforbund")]
    assert notices == [("2030-01-25", "A+F", "a-medlem-2030-1"), ("2030-01-25", "V+I", "sekretariat-1")]

    await kkrbot.ask(SECRETARY, "/valgforbund godkend 2", count=2)  # the answer, and the notifier told
    await kkrbot.ask(SECRETARY, "/valgforbund afvis 1")
    preview = text(await kkrbot.ask(SECRETARY, "/formandsvalg"))
    convener = text(await kkrbot.ask(NEW_MEMBER, "/formandsvalg"))

    # R-ELEC-1: on the new votes A (28.5 %) beats V+I (20.8 + 6.3); on 2025's, V+I (23.1 + 4.9) beat A (27.6).
    assert "Formandsposten: A\nNæstformandsposten: V+I" in preview
    assert "Dorte Fiktivsen (eksempel) (Brønderslev)" in convener  # R-MEET-2: the new council's longest-serving

    offered = await kkrbot.ask(CONTINUING, "/naeste")
    not_offered = await kkrbot.ask(LOST, "/naeste")
    assert "Meld afbud" in str(offered.reply_markup)
    assert "Meld afbud" not in str(not_offered.reply_markup)  # she is not in the council that meets

    choose = await kkrbot.ask(NEW_MEMBER, "/afbud")
    confirm = await kkrbot.press(NEW_MEMBER, choose, "fre. 25. jan. 2030")
    recorded = text(await kkrbot.press(NEW_MEMBER, confirm, "Ja, meld afbud"))
    alert = await kkrbot.tg.wait_for(lambda m: m.chat_id == NEW_SUBSTITUTE and "har meldt afbud" in text(m))
    refused = text(await kkrbot.ask(LOST, "/afbud 2030-01-25 ok"))

    assert "Dit afbud til fredag den 25. januar 2030" in recorded
    assert "Inge Opdigtsgaard" in text(alert[0])
    assert "ikke blandt dets medlemmer" in refused

    kkrbot.clock.now = AFTER_THE_DEADLINE
    late = text(await kkrbot.ask(NEW_O_MEMBER, "/valgforbund O+Æ"))

    expected = text(await kkrbot.ask(SECRETARY, "/formandsvalg"))

    assert "For sent" in late
    assert "tirsdag den 22. januar 2030" in late
    assert len(await stored(kkrbot, "SELECT * FROM valgforbund")) == 2
    assert "Forventet, ikke valgt" in expected
    assert "Formandsposten: A\nNæstformandsposten: V+I" in expected


async def test_r_elec_4_a_notice_received_by_mail_in_time_is_registered_after_the_deadline_one_received_late_is_not(
    kkrbot: RunningBot,
) -> None:
    # R-ELEC-4: a notice is on time by the day the secretariat received it, not the day it is typed in.
    await setup(kkrbot)
    await load(kkrbot, dry_run=False)
    await kkrbot.bind(NEW_MEMBER, "a-medlem-2030-1")
    kkrbot.clock.now = AFTER_THE_DEADLINE  # Wednesday 23 January; the deadline was Tuesday 22 January

    typed_late = text(await kkrbot.ask(SECRETARY, "/valgforbund V+I"))
    on_time = text(await kkrbot.ask(SECRETARY, "/valgforbund V+I modtaget 22.01.2030"))
    received_late = text(await kkrbot.ask(SECRETARY, "/valgforbund C+B modtaget 23.01.2030"))
    not_yet = text(await kkrbot.ask(SECRETARY, "/valgforbund C+B modtaget 24.01.2030"))
    unreadable = text(await kkrbot.ask(SECRETARY, "/valgforbund C+B modtaget 31.02.2030"))
    yesterday = text(await kkrbot.ask(SECRETARY, "/valgforbund C+B modtaget i går"))
    without_year = text(await kkrbot.ask(SECRETARY, "/valgforbund C+B modtaget 22.01"))
    member = text(await kkrbot.ask(NEW_MEMBER, "/valgforbund A+F modtaget 21.01.2030"))

    assert "For sent" in typed_late
    assert "/valgforbund V+I modtaget" in typed_late  # the next step: give the day it was received
    assert "modtaget tirsdag den 22. januar 2030" in on_time
    assert "inden fristen" in on_time
    assert "For sent" in received_late
    assert "onsdag den 23. januar 2030" in received_late
    assert "efter i dag" in not_yet
    assert "DD.MM.ÅÅÅÅ" in unreadable
    # A day word is not guessed at (as for a moved meeting): the answer gives the command with the day it names.
    assert "„i går“ afhænger af dagens dato" in yesterday
    assert "/valgforbund C+B modtaget 22.01.2030" in yesterday
    assert "DD.MM.ÅÅÅÅ" not in yesterday
    # A day received without a year is the last such day, not one a year ahead ("after today").
    assert "modtaget tirsdag den 22. januar 2030" in without_year
    assert "Kun sekretariatet" in member
    notices = [tuple(r) for r in await stored(kkrbot, "SELECT parties, notified_by, notified_at FROM valgforbund")]
    assert notices == [
        ("V+I", "sekretariat-1", "2030-01-21T23:00:00.000000+00:00"),  # 22 January, Copenhagen
        ("C+B", "sekretariat-1", "2030-01-21T23:00:00.000000+00:00"),
    ]


async def test_item_1_3_the_council_approves_valgforbund_at_the_meeting_so_the_secretariat_records_it_after_the_start(
    kkrbot: RunningBot,
) -> None:
    # Seed item 1.3: the council approves the valgforbund AT the constituent meeting, so its decision can only be
    # typed in once the meeting has started; until then the notice waits, and the chair computation says so.
    await setup(kkrbot)
    await load(kkrbot, dry_run=False)
    await kkrbot.bind(NEW_MEMBER, "a-medlem-2030-1")
    kkrbot.clock.now = BEFORE_THE_DEADLINE
    await kkrbot.ask(NEW_MEMBER, "/valgforbund A+F")
    await kkrbot.tg.wait_for(lambda m: m.chat_id == SECRETARY and "valgforbundet A+F" in text(m))
    kkrbot.clock.now = MEETING_STARTED
    await kkrbot.conversation.tick()
    await kkrbot.tg.wait_for(lambda m: m.chat_id == SECRETARY and "Valgperioden 2030–2034 er begyndt" in text(m))

    waiting = await kkrbot.ask(SECRETARY, "/valgforbund")
    approved = text(await kkrbot.press(SECRETARY, waiting, "KKR godkendte A+F"))
    listed = text(await kkrbot.ask(NEW_MEMBER, "/valgforbund"))

    assert "Afventer KKR's afgørelse: nr. 1: A+F" in text(waiting), text(waiting)
    assert "KKR's godkendelse af valgforbund A+F er registreret" in approved
    assert "A+F" in listed
    assert [tuple(r) for r in await stored(kkrbot, "SELECT parties, status FROM valgforbund")] == [("A+F", "approved")]


async def test_r_per_1_all_meetings_lists_the_period_its_title_names(kkrbot: RunningBot) -> None:
    await setup(kkrbot)
    await load(kkrbot, dry_run=False)
    december = text(await kkrbot.ask(CONTINUING, "/moeder"))
    kkrbot.clock.now = MEETING_STARTED
    await kkrbot.conversation.tick()
    after = text(await kkrbot.ask(CONTINUING, "/moeder"))

    assert "2026-2030" in december
    assert "fredag den 23. januar 2026" in december
    assert "fredag den 25. januar 2030" in december  # the constituent meeting that ends the period
    assert "22. marts 2030" not in december  # the next council's
    assert "2030-2034" in after
    assert "fredag den 25. januar 2030" in after
    assert "2026" not in after.replace("2026-2030", "")  # the old period's meetings: in its minutes, not here


async def test_r_per_1_without_a_loaded_next_period_all_meetings_stays_with_2026_2030_after_25_january_2030(
    kkrbot: RunningBot,
) -> None:
    await setup(kkrbot)  # nothing loaded: the bot still works for 2026-2030 when the constituent meeting starts
    kkrbot.clock.now = MEETING_STARTED

    listed = text(await kkrbot.ask(CONTINUING, "/moeder"))

    assert "2026-2030" in listed
    assert "fredag den 23. januar 2026" in listed
    assert "fredag den 25. januar 2030" in listed


async def test_r_mem_5_a_person_of_the_next_council_cannot_leave_the_roster_before_joining_it(
    kkrbot: RunningBot,
) -> None:
    # R-MEM-5 is about members who leave; a new member of the loaded next period is not in the roster yet, so her
    # departure is refused with what to do, and her absence for 25 January and her substitute's request stay.
    await setup(kkrbot)
    await load(kkrbot, dry_run=False)
    await kkrbot.bind(NEW_MEMBER, "a-medlem-2030-1")
    await kkrbot.ask(NEW_MEMBER, "/afbud 25.01.2030 ok")
    await kkrbot.tg.wait_for(lambda m: m.chat_id == SECRETARY and "har meldt afbud" in text(m))

    refused = text(await kkrbot.ask(SECRETARY, "/udtraedelse a-medlem-2030-1 byraad"))

    assert "Inge Opdigtsgaard (eksempel) er ikke i medlemslisten endnu" in refused
    assert "kkrbot period load" in refused
    assert await stored(kkrbot, "SELECT * FROM departures") == []
    assert [tuple(r) for r in await stored(kkrbot, "SELECT member_id, withdrawn_at, closed FROM absences")] == [
        ("a-medlem-2030-1", None, None)
    ]


async def test_r_elec_7_a_person_of_the_next_council_is_not_appointed_to_a_forum_before_joining_the_roster(
    kkrbot: RunningBot,
) -> None:
    # R-ELEC-7 and seed item 1.5: today's council appoints council members for its own period; a new person of the
    # loaded next period is not in the roster yet (as /udtraedelse says) and the bot cannot tell whether she sits
    # on a municipal council today, so she is refused with the next step: a candidate the secretariat vouches for.
    await setup(kkrbot)
    await load(kkrbot, dry_run=False)
    await kkrbot.ask(SECRETARY, "/forum ny trafik 1 Trafikforum")
    await kkrbot.ask(SECRETARY, "/forum ny vaekst 2 Vækstforum")

    voted = text(await kkrbot.ask(SECRETARY, "/forum stemmer trafik 22 a-medlem-2030-1=12 a-medlem-2=10"))
    listed = text(await kkrbot.ask(SECRETARY, "/forum liste vaekst A 6 a-medlem-2,a-medlem-2030-1"))

    for refusal in (voted, listed):
        assert "Inge Opdigtsgaard (eksempel) er ikke i medlemslisten endnu" in refusal
        assert "rådet for 2030–2034 på det konstituerende møde fredag den 25. januar 2030" in refusal
        assert "Intet blev registreret." in refusal
        assert "/forum kandidat ID KOMMUNE PARTI NAVN" in refusal
    assert await stored(kkrbot, "SELECT * FROM forum_rounds") == []
    assert await stored(kkrbot, "SELECT * FROM forum_lists") == []
    assert await stored(kkrbot, "SELECT * FROM forum_drafts") == []


async def test_r_mem_5_the_mayor_who_lost_is_not_offered_afbud_for_the_new_councils_meeting(kkrbot: RunningBot) -> None:
    # In December 2029 the only meeting to come is the new council's constituent meeting, and she is not in that
    # council (R-MEM-5): the help and the menu must not offer her an absence that /afbud then refuses.
    await setup(kkrbot)
    await load(kkrbot, dry_run=False)

    helped = await kkrbot.ask(LOST, "/hjaelp")
    refused = await kkrbot.ask(LOST, "/afbud")

    assert "/afbud – Meld afbud til et møde (intet møde at melde afbud til nu)" in text(helped)
    assert "du er ikke medlem af rådet ved de kommende møder" in text(refused).lower()
    for answer in (helped, refused):
        assert "Meld afbud" not in [button["text"] for row in answer.buttons for button in row]
    assert "/afbud – Meld afbud til et møde\n" in text(await kkrbot.ask(CONTINUING, "/hjaelp"))


async def test_r_per_1_a_new_member_of_the_loaded_next_council_is_told_her_seat_and_substitute_there(
    kkrbot: RunningBot,
) -> None:
    # She reports absence for 25 January and her substitute is alerted: "neither a member nor a substitute" would
    # leave her asking who that is. Today she sits nowhere, so the answer says from when the seat is hers.
    await setup(kkrbot)
    await load(kkrbot, dry_run=False)
    await kkrbot.bind(NEW_MEMBER, "a-medlem-2030-1")

    answer = text(await kkrbot.ask(NEW_MEMBER, "/stedfortraeder"))

    assert "Du kommer med i rådet for 2030–2034 på det konstituerende møde fredag den 25. januar 2030." in answer
    assert "Din personlige stedfortræder er Jens Demobjerg (eksempel)" in answer
    assert "hverken medlem eller stedfortræder" not in answer


NEW_YEAR = datetime(2030, 1, 2, 9, 0, tzinfo=COPENHAGEN)


async def test_r_mem_1_r_mem_5_from_1_january_2030_the_new_mayor_is_a_member_and_the_mayor_who_lost_is_not(
    kkrbot: RunningBot,
) -> None:
    await setup(kkrbot)
    await load(kkrbot, dry_run=False)
    december = text(await kkrbot.ask(SECRETARY, "/medlemmer Hjørring"))

    kkrbot.clock.now = NEW_YEAR
    january = text(await kkrbot.ask(SECRETARY, "/medlemmer Hjørring"))

    assert "Frida Testrup" in december
    assert "Gitte Nyvalgsen" not in december
    assert "Gitte Nyvalgsen" in january  # R-MEM-1: mayor, so member, from the term's start
    assert "Frida Testrup" not in january  # R-MEM-5: no longer mayor
    assert "Henning Prøvesen" in january  # her viceborgmester of the new term (R-MEM-2)
    assert "Du er ikke medlem af rådet ved de kommende møder" in text(await kkrbot.ask(LOST, "/afbud"))
    assert "Du er hverken medlem eller stedfortræder" in text(await kkrbot.ask(LOST, "/stedfortraeder"))


async def test_r_mem_2_r_mem_3_from_1_january_2030_an_elected_member_who_is_also_viceborgmester_stays_a_member(
    kkrbot: RunningBot,
) -> None:
    # Aalborg's 1st viceborgmester, Nina Prøvegaard (a-medlem-1), is an elected member in both periods, so the
    # mayor is substituted by the 2nd viceborgmester (R-MEM-2), and Nina stays a member until the meeting (R-MEM-3).
    await setup(kkrbot)
    await load(kkrbot, dry_run=False)
    december = text(await kkrbot.ask(SECRETARY, "/medlemmer Aalborg"))

    kkrbot.clock.now = NEW_YEAR
    january = text(await kkrbot.ask(SECRETARY, "/medlemmer Aalborg"))

    assert "Nina Prøvegaard (eksempel) (A, Aalborg, valgt)" in december
    assert "Nina Prøvegaard (eksempel) (A, Aalborg, valgt)" in january
    assert "stedfortræder: Nanna Attrapgaard" in january  # the mayor's, not Nina's: she is a member
    assert "stedfortræder: Nina Prøvegaard" not in january


async def test_r_mem_7_from_1_january_2030_the_seat_of_a_member_who_became_mayor_is_vacant_until_the_meeting(
    kkrbot: RunningBot,
) -> None:
    # f-medlem-2, an elected F member, is mayor of Mariagerfjord from 1 January: her elected seat stands empty
    # (R-MEM-7, inferred) until the new council meets; there is no new member for the secretariat to record.
    await setup(kkrbot)
    await load(kkrbot, dry_run=False)
    kkrbot.clock.now = NEW_YEAR

    listed = text(await kkrbot.ask(SECRETARY, "/medlemmer F"))

    assert "Ditte Prøvegaard (eksempel) (F, Mariagerfjord, borgmester)" in listed
    assert "1 plads står tom indtil det konstituerende møde fredag den 25. januar 2030" in listed
    assert "indtil sekretariatet registrerer" not in listed


async def test_r_mem_7_the_new_councils_constituent_meeting_has_no_seat_left_vacant_by_todays_council(
    kkrbot: RunningBot,
) -> None:
    # The seat vacant in January 2030 is today's council's; on 25 January the new council meets with all its
    # seats, so that meeting's attendance forecast does not say a seat stands empty until it (R-PER-1, R-MEET-4).
    await setup(kkrbot)
    await load(kkrbot, dry_run=False)
    kkrbot.clock.now = NEW_YEAR

    constituent = text(await kkrbot.ask(SECRETARY, "/fremmoede 25.01.2030"))

    assert "Forventet fremmøde: 22 af 22" in constituent
    assert "står tom" not in constituent


async def test_r_comp_6_a_lot_settles_a_tie_in_its_own_periods_composition_only(kkrbot: RunningBot) -> None:
    await setup(kkrbot)
    first = kkrbot.conversation.dataset
    await load(kkrbot, dry_run=False)
    async with kkrbot.conversation.db.transaction() as conn:
        await kkrbot.conversation.refresh_periods(conn)
        coming = kkrbot.conversation.next_period_at(kkrbot.clock())
        assert coming is not None
        await conn.execute("INSERT INTO composition_lots (winners, recorded_at) VALUES ('B', '2026-01-05')")
        await record_composition_lot(conn, first, ["Ø"], "sekretariat-1", kkrbot.clock())
        await record_composition_lot(conn, coming.dataset, ["I"], "sekretariat-1", kkrbot.clock())

        assert await composition_lots(conn, first) == (("B",), ("Ø",))  # a lot from before periods: the first's
        assert await composition_lots(conn, coming.dataset) == (("I",),)
