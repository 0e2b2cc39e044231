"""Meeting changes (issue #9) through the real Telegram Application and the fake Bot API: the secretariat moves,
cancels or adds a meeting with /moede, sees a preview, and on Send everyone concerned is told; a cancelled
meeting closes its absences and tells the substitute; the plan every answer uses (/naeste, /kalender) changes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from icalendar import Calendar

from tests.conftest import RunningBot
from tests.fake_telegram import SentMessage
from tests.processes import example_database, kkrbot_cli

SECRETARY, MEMBER_1, MEMBER_2, MAYOR, SUBSTITUTE, OTHER_SUBSTITUTE = 6001, 6002, 6003, 6004, 6005, 6006
MEMBERS = (MEMBER_1, MEMBER_2, MAYOR)
FEBRUARY_UID = "kkr-nordjylland-2027-02-12@kkrbot"


def text(message: SentMessage) -> str:
    return message.plain_text or ""


def told(kkrbot: RunningBot, chat_id: int, fragment: str) -> list[SentMessage]:
    return [m for m in kkrbot.tg.sent_to(chat_id) if fragment in text(m)]


async def council(kkrbot: RunningBot) -> RunningBot:
    await kkrbot.bind(SECRETARY, "sekretariat-1")
    await kkrbot.bind(MEMBER_1, "a-medlem-1")
    await kkrbot.bind(MEMBER_2, "a-medlem-2")
    await kkrbot.bind(MAYOR, "aalborg-borgmester")
    await kkrbot.bind(SUBSTITUTE, "a-stedfortraeder-1")
    await kkrbot.bind(OTHER_SUBSTITUTE, "a-stedfortraeder-2")
    return kkrbot


async def substitute_accepts_february(kkrbot: RunningBot) -> None:
    """MEMBER_1 reports absence for 12 February 2027 and their personal substitute accepts (R-MEET-5)."""
    choose = await kkrbot.ask(MEMBER_1, "/afbud")
    confirm = await kkrbot.press(MEMBER_1, choose, "fre. 12. feb. 2027")
    await kkrbot.press(MEMBER_1, confirm, "Ja, meld afbud")
    [alert] = await kkrbot.tg.wait_for(lambda m: m.chat_id == SUBSTITUTE and "Jeg deltager" in str(m.buttons))
    await kkrbot.press(SUBSTITUTE, alert, "Jeg deltager")
    await kkrbot.tg.wait_for(lambda m: m.chat_id == SECRETARY and "deltager for" in text(m))


def events(ics: bytes) -> dict[str, dict[str, str]]:
    return {
        str(event["uid"]): {
            "sequence": str(event["sequence"]),
            "status": str(event["status"]),
            "start": event.decoded("dtstart").isoformat(),
            "location": str(event["location"]),
        }
        for event in Calendar.from_ical(ics).walk("VEVENT")
    }


async def calendar(kkrbot: RunningBot, user: int) -> dict[str, dict[str, str]]:
    """The calendar file /kalender sends (a notification may arrive in between)."""
    before = [m for m in kkrbot.tg.sent_to(user) if m.document is not None]
    await kkrbot.ask(user, "/kalender")
    files = await kkrbot.tg.wait_for(lambda m: m.chat_id == user and m.document is not None, count=len(before) + 1)
    document = files[-1].document
    assert document is not None
    return events(document[1])


async def test_a_cancelled_meeting_closes_its_absences_and_tells_the_substitute(kkrbot: RunningBot) -> None:
    """R-MEET-5: the substitute who accepted to attend in a member's place is told they need not come."""
    await council(kkrbot)
    await substitute_accepts_february(kkrbot)

    preview = await kkrbot.ask(SECRETARY, "/moede aflys 12.02.2027 Formandskabet er forhindret")
    assert "Aflys mødet fredag den 12. februar 2027" in text(preview)
    assert "1 afbud til mødet bortfalder." in text(preview)
    assert not told(kkrbot, MEMBER_2, "er aflyst")
    done = await kkrbot.press(SECRETARY, preview, "Send til 4")

    [to_substitute] = await kkrbot.tg.wait_for(lambda m: m.chat_id == SUBSTITUTE and "er aflyst" in text(m))
    [to_absent] = await kkrbot.tg.wait_for(lambda m: m.chat_id == MEMBER_1 and "er aflyst" in text(m))
    for member in (MEMBER_2, MAYOR):
        await kkrbot.tg.wait_for(lambda m, member=member: m.chat_id == member and "er aflyst" in text(m))
    assert "Udført: 4 personer får besked." in text(done)
    assert "Du skal ikke komme i stedet for" in text(to_substitute)
    assert "Sekretariatet skriver: Formandskabet er forhindret" in text(to_substitute)
    assert "Dit afbud bortfalder med mødet" in text(to_absent)
    assert not told(kkrbot, OTHER_SUBSTITUTE, "er aflyst")
    async with kkrbot.conversation.db.read() as conn:
        absences = list(await conn.execute_fetchall("SELECT withdrawn_at IS NOT NULL, closed FROM absences"))
        [[lane]] = list(await conn.execute_fetchall("SELECT DISTINCT lane FROM outbox WHERE payload LIKE '%aflyst%'"))
    assert [tuple(row) for row in absences] == [(1, "meeting_cancelled")]
    assert lane == "bulk"

    following = await kkrbot.ask(MEMBER_2, "/naeste")
    assert "fredag den 23. april 2027" in text(following)
    status = await kkrbot.ask(SUBSTITUTE, "/status")
    assert "12. februar" not in text(status)


async def test_a_moved_meeting_shows_its_new_time_and_place_and_the_calendar_updates_it_in_place(
    kkrbot: RunningBot,
) -> None:
    await council(kkrbot)
    before = await calendar(kkrbot, MEMBER_1)

    preview = await kkrbot.ask(SECRETARY, "/moede flyt 12.02.2027 13:00-15:00 Hjørring Rådhus, Springvandspladsen 5")
    assert "Flyt mødet fredag den 12. februar 2027 kl. 10.00–12.00, Aalborg til" in text(preview)
    await kkrbot.press(SECRETARY, preview, "Send til 3")

    for member in MEMBERS:
        [message] = await kkrbot.tg.wait_for(lambda m, member=member: m.chat_id == member and "er ændret" in text(m))
        assert "Det er nu fredag den 12. februar 2027 kl. 13.00–15.00, Hjørring Rådhus, Springvandspladsen 5" in text(
            message
        )
    assert not told(kkrbot, SUBSTITUTE, "er ændret")
    shown = await kkrbot.ask(MEMBER_1, "/naeste")
    assert "kl. 13.00–15.00" in text(shown)
    assert "Hjørring Rådhus, Springvandspladsen 5" in text(shown)
    # The party group meetings move with the meeting (R-MEET-1: they are held before it).
    assert "gruppemøder kl. 11.30–13.00" in text(shown)

    after = await calendar(kkrbot, MEMBER_1)
    assert after.keys() == before.keys()
    assert before[FEBRUARY_UID]["sequence"] == "0"
    assert after[FEBRUARY_UID]["sequence"] == "1"
    assert after[FEBRUARY_UID]["start"] == "2027-02-12T13:00:00+01:00"
    assert after[FEBRUARY_UID]["location"] == "Hjørring Rådhus, Springvandspladsen 5"
    assert after["kkr-nordjylland-2027-04-23@kkrbot"]["sequence"] == "0"


async def test_a_cancelled_meeting_stays_in_the_calendar_as_cancelled(kkrbot: RunningBot) -> None:
    await council(kkrbot)
    preview = await kkrbot.ask(SECRETARY, "/moede aflys 12.02.2027")
    await kkrbot.press(SECRETARY, preview, "Send til 3")
    await kkrbot.tg.wait_for(lambda m: m.chat_id == MEMBER_1 and "er aflyst" in text(m))

    after = await calendar(kkrbot, MEMBER_1)
    assert after[FEBRUARY_UID]["status"] == "CANCELLED"
    assert after[FEBRUARY_UID]["sequence"] == "1"
    assert after["kkr-nordjylland-2027-04-23@kkrbot"]["status"] == "CONFIRMED"
    listing = await kkrbot.ask(MEMBER_1, "/moeder")
    assert "✗ fredag den 12. februar 2027 kl. 10.00–12.00, Aalborg (aflyst)" in text(listing)


async def test_an_extra_meeting_is_announced_and_becomes_the_next_meeting(kkrbot: RunningBot) -> None:
    await council(kkrbot)
    preview = await kkrbot.ask(SECRETARY, "/moede ekstra 15.01.2027 10:00-11:00 Aalborg Rådhus")
    assert "Tilføj et ekstra møde fredag den 15. januar 2027 kl. 10.00–11.00, Aalborg Rådhus." in text(preview)
    await kkrbot.press(SECRETARY, preview, "Send til 3")

    [announced] = await kkrbot.tg.wait_for(lambda m: m.chat_id == MEMBER_2 and "ekstra KKR-møde" in text(m))
    assert "absent 2027-01-15-extra" in [b["callback_data"] for b in announced.buttons[0]]
    shown = await kkrbot.ask(MEMBER_2, "/naeste")
    assert "Ekstra møde i KKR Nordjylland".upper() in text(shown).upper()
    assert "fredag den 15. januar 2027 kl. 10.00–11.00" in text(shown)
    confirm = await kkrbot.press(MEMBER_2, announced, "Meld afbud")
    assert "Vil du melde afbud til mødet fredag den 15. januar 2027" in text(confirm)
    ics = await calendar(kkrbot, MEMBER_2)
    assert ics["kkr-nordjylland-2027-01-15-extra@kkrbot"]["sequence"] == "0"


async def test_a_members_meeting_change_is_refused_and_nothing_is_sent(kkrbot: RunningBot) -> None:
    await council(kkrbot)
    sent_before = len(kkrbot.tg.sent)
    refused = await kkrbot.ask(MEMBER_1, "/moede aflys 12.02.2027")

    assert "Det kan kun KKR-sekretariatet" in text(refused)
    assert len(kkrbot.tg.sent) == sent_before + 1
    async with kkrbot.conversation.db.read() as conn:
        [[changes]] = list(await conn.execute_fetchall("SELECT count(*) FROM meeting_overrides"))
        [[drafts]] = list(await conn.execute_fetchall("SELECT count(*) FROM meeting_change_drafts"))
    assert (changes, drafts) == (0, 0)


async def test_cancel_in_the_preview_changes_nothing_and_send_twice_changes_once(kkrbot: RunningBot) -> None:
    await council(kkrbot)
    dropped = await kkrbot.ask(SECRETARY, "/moede flyt 12.02.2027 Hjørring")
    answer = await kkrbot.press(SECRETARY, dropped, "Annuller")
    assert "Intet blev ændret" in text(answer)
    assert "Aalborg" in text(await kkrbot.ask(MEMBER_1, "/naeste"))

    preview = await kkrbot.ask(SECRETARY, "/moede flyt 12.02.2027 Hjørring")
    before = len(kkrbot.tg.sent_to(SECRETARY))
    # Pressed twice before the first press is answered (after it, the buttons are gone).
    kkrbot.tg.inject_button_press(SECRETARY, preview.message_id, "Send til 3")
    kkrbot.tg.inject_button_press(SECRETARY, preview.message_id, "Send til 3")
    answers = await kkrbot.tg.wait_for_messages(SECRETARY, before + 2)
    await kkrbot.tg.wait_for(lambda m: m.chat_id == MAYOR and "er ændret" in text(m))

    assert "allerede udført eller droppet" in text(answers[-1])
    assert len(told(kkrbot, MEMBER_1, "er ændret")) == 1
    async with kkrbot.conversation.db.read() as conn:
        [[changes]] = list(await conn.execute_fetchall("SELECT count(*) FROM meeting_overrides"))
    assert changes == 1


async def test_changes_that_do_not_fit_the_plan_are_refused_with_the_reason(kkrbot: RunningBot) -> None:
    await council(kkrbot)
    held = await kkrbot.ask(SECRETARY, "/moede aflys 20.11.2026")
    taken = await kkrbot.ask(SECRETARY, "/moede flyt 12.02.2027 23.04.2027")
    backwards = await kkrbot.ask(SECRETARY, "/moede flyt 12.02.2027 15:00-13:00")
    incomplete = await kkrbot.ask(SECRETARY, "/moede ekstra 15.01.2027 Aalborg")
    no_meeting = await kkrbot.ask(SECRETARY, "/moede aflys 13.02.2027")

    assert "allerede begyndt eller afholdt" in text(held)
    assert "Der er allerede et møde den dag" in text(taken)
    assert "Mødet skal slutte, efter det begynder" in text(backwards)
    assert "Et ekstra møde skal have en dato, et tidsrum fra-til og et sted" in text(incomplete)
    assert "Der er ikke noget KKR-møde lørdag den 13. februar 2027." in text(no_meeting)
    async with kkrbot.conversation.db.read() as conn:
        [[drafts]] = list(await conn.execute_fetchall("SELECT count(*) FROM meeting_change_drafts"))
    assert drafts == 0


async def test_the_secretariat_can_write_in_english(kkrbot: RunningBot) -> None:
    await kkrbot.bind(SECRETARY, "sekretariat-2", language="en")
    await kkrbot.bind(MEMBER_1, "a-medlem-1", language="en")
    preview = await kkrbot.ask(SECRETARY, "/meeting cancel 12.02.2027", language="en")
    assert "Cancel the meeting Friday 12 February 2027" in text(preview)
    await kkrbot.press(SECRETARY, preview, "Send to 1", count=1)
    [message] = await kkrbot.tg.wait_for(lambda m: m.chat_id == MEMBER_1 and "is cancelled" in text(m))
    assert "The KKR meeting Friday 12 February 2027" in text(message)


async def test_kkrbot_meeting_cancel_from_the_command_line_while_the_bot_runs(kkrbot: RunningBot) -> None:
    """The same change as the chat's Send, queued in the running bot's database; the bot's outbox tells people."""
    await council(kkrbot)
    await substitute_accepts_february(kkrbot)
    database = kkrbot.settings.database

    cancelled = await asyncio.to_thread(kkrbot_cli, database, "meeting", "cancel", "12.02.2027", "--reason", "Sne")
    assert cancelled.returncode == 0, cancelled.stderr
    assert cancelled.stdout.strip() == (
        "meeting 2027-02-12 cancelled: 2027-02-12 10:00-12:00 Aalborg; 23 people concerned, 4 told"
    )
    [to_substitute] = await kkrbot.tg.wait_for(lambda m: m.chat_id == SUBSTITUTE and "er aflyst" in text(m))
    assert "Du skal ikke komme i stedet for" in text(to_substitute)
    assert "Sekretariatet skriver: Sne" in text(to_substitute)
    for member in MEMBERS:
        await kkrbot.tg.wait_for(lambda m, member=member: m.chat_id == member and "er aflyst" in text(m))
    async with kkrbot.conversation.db.read() as conn:
        [[closed]] = list(await conn.execute_fetchall("SELECT closed FROM absences"))
    assert closed == "meeting_cancelled"

    listed = await asyncio.to_thread(kkrbot_cli, database, "meeting", "list", "--json")
    february = next(m for m in json.loads(listed.stdout) if m["id"] == "2027-02-12")
    assert (february["cancelled"], february["sequence"]) == (True, 1)
    following = await kkrbot.ask(MEMBER_2, "/naeste")
    assert "fredag den 23. april 2027" in text(following)


def test_kkrbot_meeting_refuses_in_one_line(tmp_path: Path) -> None:
    database = tmp_path / "kkrbot.sqlite3"
    example_database(database)
    no_meeting = kkrbot_cli(database, "meeting", "cancel", "13.02.2027")
    backwards = kkrbot_cli(
        database, "meeting", "add", "05.03.2027", "--start", "12:00", "--end", "10:00", "--place", "X"
    )
    held = kkrbot_cli(database, "meeting", "move", "2026-11-20", "--place", "Hjørring")
    bad_time = kkrbot_cli(database, "meeting", "move", "12.02.2027", "--start", "25:00")

    assert (no_meeting.returncode, no_meeting.stderr) == (2, "kkrbot: there is no KKR meeting on 13.02.2027\n")
    assert backwards.returncode == 2
    assert backwards.stderr == "kkrbot: The meeting must end after it starts, for example 13:00-15:00.\n"
    assert held.returncode == 2
    assert "already started or been held" in held.stderr
    assert bad_time.returncode == 2
    assert "--start must be a time of day like 13:00" in bad_time.stderr


async def test_a_cancelled_meeting_takes_no_absence_and_says_it_is_cancelled(kkrbot: RunningBot) -> None:
    await council(kkrbot)
    preview = await kkrbot.ask(SECRETARY, "/moede aflys 12.02.2027")
    await kkrbot.press(SECRETARY, preview, "Send til 3")
    await kkrbot.tg.wait_for(lambda m: m.chat_id == MEMBER_1 and "er aflyst" in text(m))

    refused = await kkrbot.ask(MEMBER_1, "/afbud 12.02.2027")
    shown = await kkrbot.ask(MEMBER_1, "/moeder 12.02.2027")

    assert "er aflyst, så der er intet afbud at melde" in text(refused)
    assert "Mødet er aflyst." in text(shown)
    assert "Meld afbud" not in str(shown.buttons)
    async with kkrbot.conversation.db.read() as conn:
        [[absences]] = list(await conn.execute_fetchall("SELECT count(*) FROM absences"))
    assert absences == 0


async def test_a_time_that_cannot_be_is_refused_not_taken_for_the_place(kkrbot: RunningBot) -> None:
    await council(kkrbot)
    refused = await kkrbot.ask(SECRETARY, "/moede flyt 12.02.2027 26:00 Hjørring")

    assert "Jeg kan ikke læse „26:00“ som et klokkeslæt" in text(refused)
    async with kkrbot.conversation.db.read() as conn:
        [[drafts]] = list(await conn.execute_fetchall("SELECT count(*) FROM meeting_change_drafts"))
    assert drafts == 0
