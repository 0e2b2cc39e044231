"""The calendar file (issue #10 item 10: VTIMEZONE, METHOD, stable UID, SEQUENCE, DESCRIPTION) and
`kkrbot broadcast` queued from the command line against the running bot's database."""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
from pathlib import Path

from icalendar import Calendar

from tests.conftest import RunningBot
from tests.processes import add_crowd, example_database, kkrbot_cli

ROOT = Path(__file__).resolve().parent.parent
SECRETARY, MEMBER_1, MEMBER_2 = 5001, 5002, 5003


def events(ics: bytes) -> dict[str, dict[str, str]]:
    calendar = Calendar.from_ical(ics)
    return {
        str(event["uid"]): {"sequence": str(event["sequence"]), "description": str(event.get("description", ""))}
        for event in calendar.walk("VEVENT")
    }


async def test_r_meet_3_the_calendar_keeps_uids_and_leaves_the_agenda_out(kkrbot: RunningBot) -> None:
    await kkrbot.bind(SECRETARY, "sekretariat-1")
    first = await kkrbot.ask(SECRETARY, "/kalender")
    await kkrbot.ask(SECRETARY, "/dagsorden 12.02.2027\n1. Velkomst")
    published = await kkrbot.ask(SECRETARY, "/kalender")
    await kkrbot.ask(SECRETARY, "/dagsorden 12.02.2027\n1. Velkomst\n2. Ny sag")
    second = await kkrbot.ask(SECRETARY, "/kalender")

    assert first.document is not None
    assert published.document is not None
    assert second.document is not None
    before, after = events(first.document[1]), events(second.document[1])
    uid = "kkr-nordjylland-2027-02-12@kkrbot"
    assert before.keys() == after.keys()
    assert before[uid]["sequence"] == "0"
    # The agenda is not in the calendar (R-MEET-3), so its changes change nothing there.
    assert after[uid]["sequence"] == "0"
    assert "Velkomst" not in after[uid]["description"]
    assert after["kkr-nordjylland-2027-04-23@kkrbot"]["sequence"] == "0"


def test_kkrbot_calendar_writes_a_file_with_vtimezone_method_and_descriptions(tmp_path: Path) -> None:
    """R-MEET-1: the group-meeting window before each meeting is in the event's description."""
    example_database(tmp_path / "kkrbot.sqlite3")
    result = kkrbot_cli(tmp_path / "kkrbot.sqlite3", "calendar", "--output", str(tmp_path / "kkr.ics"))

    assert result.returncode == 0, result.stderr
    ics = (tmp_path / "kkr.ics").read_bytes()
    calendar = Calendar.from_ical(ics)
    assert str(calendar["method"]) == "PUBLISH"
    assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Copenhagen"]
    february = events(ics)["kkr-nordjylland-2027-02-12@kkrbot"]
    assert "Partierne kan holde gruppemøder kl. 08.30–10.00." in february["description"]
    assert "Dagsorden" not in february["description"]


async def test_a_broadcast_queued_from_the_command_line_is_sent_by_the_running_bot(kkrbot: RunningBot) -> None:
    await kkrbot.bind(MEMBER_1, "a-medlem-1")
    await kkrbot.bind(MEMBER_2, "a-medlem-2")
    await kkrbot.bind(SECRETARY, "sekretariat-1")
    database = kkrbot.settings.database

    queued = await asyncio.to_thread(
        kkrbot_cli, database, "broadcast", "--audience", "members", "--party", "A", "--text", "Fra kommandolinjen"
    )
    assert queued.returncode == 0, queued.stderr
    assert queued.stdout.strip() == "broadcast 1 queued: 5 recipients, 2 reachable"
    received = await kkrbot.tg.wait_for(lambda m: "Fra kommandolinjen" in (m.plain_text or ""), count=2)
    shown = await asyncio.to_thread(kkrbot_cli, database, "broadcast", "show", "1", "--json")
    listed = await asyncio.to_thread(kkrbot_cli, database, "broadcast", "list", "--json")

    assert sorted(m.chat_id for m in received) == [MEMBER_1, MEMBER_2]
    report = json.loads(shown.stdout)
    assert {k: report[k] for k in ("recipients", "delivered", "failed", "pending", "acknowledged")} == {
        "recipients": 5,
        "delivered": 2,
        "failed": 3,
        "pending": 0,
        "acknowledged": 0,
    }
    states = {s["person_id"]: (s["state"], s["reason"]) for s in report["recipient_states"]}
    assert states["a-medlem-1"] == states["a-medlem-2"] == ("delivered", None)
    assert states["aalborg-borgmester"] == ("failed", "not bound")
    assert json.loads(listed.stdout)[0]["delivered"] == 2


def test_kkrbot_broadcast_refuses_what_it_cannot_send(tmp_path: Path) -> None:
    database = tmp_path / "kkrbot.sqlite3"
    example_database(database)
    nobody = kkrbot_cli(database, "broadcast", "--audience", "members", "--text", "Hej")
    party = kkrbot_cli(database, "broadcast", "--audience", "members", "--party", "Q", "--text", "Hej")
    meeting = kkrbot_cli(database, "broadcast", "--audience", "all", "--meeting", "13.02.2027", "--text", "Hej")
    (tmp_path / "notes.txt").write_text("not a pdf")
    document = kkrbot_cli(
        database, "broadcast", "--audience", "all", "--text", "Hej", "--document", str(tmp_path / "notes.txt")
    )

    assert nobody.returncode == 2
    assert "nobody in that audience is connected" in nobody.stderr
    assert party.returncode == 2
    assert "unknown municipality or party: Q" in party.stderr
    assert meeting.returncode == 2
    assert "no KKR meeting on 13.02.2027" in meeting.stderr
    assert document.returncode == 2
    assert "is not a PDF" in document.stderr


PDF_RECIPIENTS = 12


def a_pdf(folder: Path, size: int = 200_000) -> tuple[Path, bytes]:
    content = b"%PDF-1.4\n" + random.Random(size).randbytes(size)
    path = folder / "dagsorden.pdf"
    path.write_bytes(content)
    return path, content


def stored_bytes(database: Path) -> dict[str, int]:
    """How the database holds documents: stored documents, their bytes, and the biggest outbox row."""
    with sqlite3.connect(database) as conn:
        documents, document_bytes = conn.execute("SELECT count(*), sum(length(content)) FROM documents").fetchone()
        [biggest_row] = conn.execute("SELECT max(length(payload)) FROM outbox").fetchone()
        [inline] = conn.execute("SELECT count(*) FROM broadcasts WHERE document_content IS NOT NULL").fetchone()
    return {"documents": documents, "bytes": document_bytes, "biggest outbox row": biggest_row, "inline": inline}


async def test_a_pdf_broadcast_from_the_command_line_is_stored_once_uploaded_once_and_sent_on_by_file_id(
    kkrbot: RunningBot, tmp_path: Path
) -> None:
    """The PDF's bytes are in the database once, not in every outbox row; Telegram gets them once: the first
    send uploads them, and every other recipient gets the same file by the file_id Telegram answered with."""
    async with kkrbot.conversation.db.transaction() as conn:
        crowd = await add_crowd(conn, kkrbot.tg, PDF_RECIPIENTS)
    pdf, content = a_pdf(tmp_path)

    queued = await asyncio.to_thread(
        kkrbot_cli, kkrbot.settings.database, "broadcast", "--audience", "substitutes", "--text", "Dagsordenen",
        "--document", str(pdf),
    )  # fmt: skip
    assert queued.returncode == 0, queued.stderr
    received = await kkrbot.tg.wait_for(lambda m: m.method == "sendDocument", count=PDF_RECIPIENTS, timeout=60)

    assert sorted(m.chat_id for m in received) == crowd
    assert all(m.document == ("dagsorden.pdf", content) and "Dagsordenen" in (m.plain_text or "") for m in received)
    assert [m.chat_id for m in received if m.uploaded] == [received[0].chat_id]
    assert len({str(m.params["document"]) for m in received if not m.uploaded}) == 1
    held = stored_bytes(kkrbot.settings.database)
    assert (held["documents"], held["bytes"], held["inline"]) == (1, len(content), 0)
    assert held["biggest outbox row"] < 2_000


async def test_when_the_bot_never_learns_the_file_id_the_next_send_uploads_the_pdf_again(
    kkrbot: RunningBot, tmp_path: Path
) -> None:
    """The first upload reaches Telegram but its answer is lost (a 500 after delivery), as when the process dies
    before keeping the file_id: the next send uploads it again, and the rest go by file_id; nobody misses it."""
    async with kkrbot.conversation.db.transaction() as conn:
        crowd = await add_crowd(conn, kkrbot.tg, PDF_RECIPIENTS)
    pdf, content = a_pdf(tmp_path)
    kkrbot.tg.add_fault("sendDocument", "accepted-500")

    queued = await asyncio.to_thread(
        kkrbot_cli, kkrbot.settings.database, "broadcast", "--audience", "substitutes", "--text", "Dagsordenen",
        "--document", str(pdf),
    )  # fmt: skip
    assert queued.returncode == 0, queued.stderr
    received = await kkrbot.tg.wait_for(lambda m: m.method == "sendDocument", count=PDF_RECIPIENTS + 1, timeout=60)

    assert sorted({m.chat_id for m in received}) == crowd
    assert all(m.document == ("dagsorden.pdf", content) for m in received)
    uploads = [m for m in received if m.uploaded]
    assert len(uploads) == 2
    assert len(received) - len(uploads) == PDF_RECIPIENTS - 1
