"""The attendance of record (R-MEET-4, issue 19 item 4) and what stays private (R-MEET-3), through the real
Application and the fake Bot API with the clock set, and `kkrbot` on the running bot's database.

Before anyone records who came, the bot knows only notices and answers: `/fremmoede`, `/referat` and `kkrbot
minutes` say so. Once the secretariat records the attendance (`/fremmoede registrer`, a preview and Save), they
state it, with the version; a correction is a new version and the old one stays."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime

from icalendar import Calendar

from bot.core.usecases.calendar_feed import feed_calendar
from bot.storage.calendar_feeds import feed_secret
from bot.storage.roster import Roster
from tests.conftest import COPENHAGEN, REFERENCE_NOW, RunningBot
from tests.fake_telegram import SentMessage
from tests.processes import kkrbot_cli

SECRETARY, MEMBER_1, MEMBER_2, SUBSTITUTE = 8001, 8002, 8003, 8004
HELD = "20.11.2026"


def text(message: SentMessage) -> str:
    return message.plain_text or ""


async def names(kkrbot: RunningBot) -> dict[str, str]:
    async with kkrbot.conversation.db.read() as conn:
        return {p.id: p.name for p in (await Roster.load(conn)).people}


async def council_after_20_november(kkrbot: RunningBot) -> RunningBot:
    """A week before the meeting of 20 November 2026, MEMBER_1 reported absence and the substitute accepted;
    on REFERENCE_NOW (23 November) that meeting was held three days ago."""
    kkrbot.clock.now = datetime(2026, 11, 13, 9, 0, tzinfo=COPENHAGEN)
    await kkrbot.bind(SECRETARY, "sekretariat-1")
    await kkrbot.bind(MEMBER_1, "a-medlem-1")
    await kkrbot.bind(MEMBER_2, "a-medlem-2")
    await kkrbot.bind(SUBSTITUTE, "a-stedfortraeder-1")
    await kkrbot.ask(MEMBER_1, f"/afbud {HELD} ok")
    [alert] = await kkrbot.tg.wait_for(lambda m: m.chat_id == SUBSTITUTE and "Jeg deltager" in str(m.buttons))
    await kkrbot.press(SUBSTITUTE, alert, "Jeg deltager")
    await kkrbot.tg.wait_for(lambda m: m.chat_id == SECRETARY and "deltager for" in text(m))
    kkrbot.clock.now = REFERENCE_NOW
    return kkrbot


async def test_r_meet_4_recorded_attendance_is_what_fremmoede_and_kkrbot_minutes_state(kkrbot: RunningBot) -> None:
    await council_after_20_november(kkrbot)
    people = await names(kkrbot)
    member_1, member_2 = f"{people['a-medlem-1']} (eksempel) (A)", f"{people['a-medlem-2']} (eksempel) (A)"
    substitute = f"{people['a-stedfortraeder-1']} (eksempel) (A)"

    # Before the record: the notices and answers, never as the attendance.
    before = await kkrbot.ask(SECRETARY, f"/fremmoede {HELD}")
    assert "Ifølge afbud og svar ventedes 22 af 22" in text(before)
    assert "Fremmøde: 22 af 22" not in text(before)
    assert "beslutningsdygtigt" not in text(before)
    minutes_before = await kkrbot.ask(SECRETARY, f"/referat {HELD}")
    assert f"{member_1} havde meldt afbud, og {substitute} havde sagt ja til at deltage i stedet." in text(
        minutes_before
    )
    assert "deltog i stedet" not in text(minutes_before)

    # The guided flow: a preview from the notices and answers, with the correction written after the date.
    preview = await kkrbot.ask(SECRETARY, f"/fremmoede registrer {HELD} fraværende a-medlem-2")
    assert "Udgangspunktet er afbud og svar" in text(preview)
    assert "(a-medlem-1): fraværende; " in text(preview)
    assert "(a-stedfortraeder-1) deltog i stedet" in text(preview)
    assert "(a-medlem-2): fraværende" in text(preview)
    assert "21 af 22 pladser besat; beslutningsdygtighed kræver 11." in text(preview)
    saved = await kkrbot.press(SECRETARY, preview, "Gem")
    assert "er registreret (version 1)" in text(saved)

    attendance = await kkrbot.ask(SECRETARY, f"/fremmoede {HELD}")
    assert "Registreret fremmøde (version 1" in text(attendance)
    assert "Registreret fremmøde: 21 af 22; beslutningsdygtighed krævede 11. Mødet var beslutningsdygtigt." in text(
        attendance
    )
    minutes = await kkrbot.ask(SECRETARY, f"/referat {HELD}")
    assert f"{member_1} var fraværende, og {substitute} deltog i stedet." in text(minutes)
    assert f"{member_2} var fraværende." in text(minutes)

    exported = await asyncio.to_thread(kkrbot_cli, kkrbot.settings.database, "minutes", HELD)
    assert exported.returncode == 0, exported.stderr
    assert "Registreret fremmøde (version 1" in exported.stdout
    assert f"- {member_1} var fraværende, og {substitute} deltog i stedet." in exported.stdout
    assert f"- {member_2} var fraværende." in exported.stdout
    table = await asyncio.to_thread(kkrbot_cli, kkrbot.settings.database, "attendance", HELD, "--json")
    document = json.loads(table.stdout)
    assert (document["basis"], document["present"], document["members"]) == ("recorded", 21, 22)
    assert (document["expected_present"], document["expected_quorate"]) == (None, None)  # no forecast: recorded


async def test_r_meet_4_one_person_counts_once_and_a_correction_keeps_the_history(kkrbot: RunningBot) -> None:
    await council_after_20_november(kkrbot)
    shown = await kkrbot.ask(SECRETARY, f"/fremmoede {HELD}")
    first = await kkrbot.press(SECRETARY, shown, "Registrer fremmøde")
    assert "Forhåndsvisning: registreret fremmøde".upper() in text(first).upper()
    await kkrbot.press(SECRETARY, first, "Gem")

    twice = await kkrbot.ask(SECRETARY, f"/fremmoede registrer {HELD} stedfortræder a-medlem-2=a-stedfortraeder-1")
    assert "Én person tæller én gang: a-stedfortraeder-1 kan ikke sidde på to pladser." in text(twice)
    assert "Gem" not in str(twice.buttons)
    unknown = await kkrbot.ask(SECRETARY, f"/fremmoede registrer {HELD} fraværende nobody")
    assert "„nobody“ er ikke et medlems plads" in text(unknown)

    correction = await kkrbot.ask(SECRETARY, f"/fremmoede registrer {HELD} til_stede a-medlem-1")
    assert "Rettelse af version 1" in text(correction)
    # Save pressed twice before the first press is answered saves once.
    before = len(kkrbot.tg.sent_to(SECRETARY))
    kkrbot.tg.inject_button_press(SECRETARY, correction.message_id, "Gem")
    kkrbot.tg.inject_button_press(SECRETARY, correction.message_id, "Gem")
    answers = await kkrbot.tg.wait_for_messages(SECRETARY, before + 2)
    assert "allerede gemt eller droppet" in text(answers[-1])

    attendance = await kkrbot.ask(SECRETARY, f"/fremmoede {HELD}")
    assert "Registreret fremmøde (version 2" in text(attendance)
    assert "Tidligere versioner: version 1 (" in text(attendance)
    assert "Registreret fremmøde: 22 af 22" in text(attendance)
    async with kkrbot.conversation.db.read() as conn:
        history = list(
            await conn.execute_fetchall(
                "SELECT r.version, s.present, s.substitute_id FROM attendance_records r "
                "JOIN attendance_seats s ON s.record_id = r.id WHERE s.member_id = 'a-medlem-1' ORDER BY r.version"
            )
        )
    assert [tuple(row) for row in history] == [(1, "substitute", "a-stedfortraeder-1"), (2, "member", None)]


async def test_r_meet_4_only_the_secretariat_records_and_only_after_the_meeting_began(kkrbot: RunningBot) -> None:
    await council_after_20_november(kkrbot)

    member = await kkrbot.ask(MEMBER_1, f"/fremmoede registrer {HELD}")
    ahead = await kkrbot.ask(SECRETARY, "/fremmoede registrer 12.02.2027")

    assert "Det kan kun KKR-sekretariatet" in text(member)
    assert "er ikke begyndt" in text(ahead)
    async with kkrbot.conversation.db.read() as conn:
        [[drafts]] = list(await conn.execute_fetchall("SELECT count(*) FROM attendance_drafts"))
    assert drafts == 0


async def test_r_meet_4_only_a_record_says_the_meeting_was_not_quorate(kkrbot: RunningBot) -> None:
    await council_after_20_november(kkrbot)
    async with kkrbot.conversation.db.read() as conn:
        members = [m.id for m in (await Roster.load(conn)).members]

    recorded = await asyncio.to_thread(
        kkrbot_cli, kkrbot.settings.database, "attendance", "record", HELD, "fraværende", ",".join(members[:12])
    )

    refused = await asyncio.to_thread(
        kkrbot_cli, kkrbot.settings.database, "attendance", "record", HELD, "fraværende", "nobody"
    )
    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr.startswith("kkrbot: „nobody“ er ikke et medlems plads")
    assert recorded.returncode == 0, recorded.stderr
    assert "Registreret fremmøde: 10 af 22; beslutningsdygtighed krævede 11." in recorded.stdout
    assert "Mødet var ikke beslutningsdygtigt." in recorded.stdout
    attendance = await kkrbot.ask(SECRETARY, f"/fremmoede {HELD}")
    assert "Mødet var ikke beslutningsdygtigt." in text(attendance)


async def test_r_meet_3_the_calendar_export_and_feed_carry_date_time_and_place_only(kkrbot: RunningBot) -> None:
    """The meetings are not public (R-MEET-3): what a calendar shares holds no agenda, name or attendance, and
    the text for the minutes says it is input to KL's minutes."""
    await council_after_20_november(kkrbot)
    await kkrbot.ask(SECRETARY, "/dagsorden 12.02.2027\n1. Fortroligt punkt om regional trafik")
    people = await names(kkrbot)

    chat = await kkrbot.ask(MEMBER_1, "/kalender")
    exported = await asyncio.to_thread(kkrbot_cli, kkrbot.settings.database, "calendar")
    async with kkrbot.conversation.db.transaction() as conn:
        secret = await feed_secret(conn, "a-medlem-1", kkrbot.clock())
    feed = await feed_calendar(kkrbot.conversation, secret)

    assert chat.document is not None
    assert exported.returncode == 0, exported.stderr
    assert feed is not None
    for ics in (chat.document[1], exported.stdout.encode(), feed):
        events = Calendar.from_ical(ics).walk("VEVENT")
        assert len(events) > 20
        for event in events:
            assert set(event) <= {"UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "LOCATION", "DESCRIPTION"} | {
                "SEQUENCE",
                "STATUS",
            }
        content = ics.decode()
        assert "Fortroligt" not in content
        assert "Dagsorden" not in content
        assert not [name for name in people.values() if name in content]
        for word in ("fremmøde", "afbud", "stedfortræder"):
            assert word not in content.lower()
    minutes = await kkrbot.ask(SECRETARY, f"/referat {HELD}")
    assert "Til brug for KL's referat: møderne er ikke offentlige, og KL offentliggør referatet." in text(minutes)


async def test_r_meet_4_after_the_meeting_the_notices_speak_of_what_was_said_not_who_attends(
    kkrbot: RunningBot,
) -> None:
    """Before a record, /fremmoede of a held meeting must not say the substitute "deltager" (attends): the bot
    knows only that they said yes, as /referat already puts it."""
    await council_after_20_november(kkrbot)

    before = text(await kkrbot.ask(SECRETARY, f"/fremmoede {HELD}"))
    await kkrbot.ask(SECRETARY, "/sprog en")
    english = text(await kkrbot.ask(SECRETARY, f"/attendance {HELD}"))

    assert "havde sagt ja til at deltage" in before
    assert ") deltager" not in before
    assert "had said they would attend" in english
    assert "will attend" not in english
