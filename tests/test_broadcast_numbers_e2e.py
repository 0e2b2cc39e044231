"""Broadcast numbers (issue 23 item 3): a broadcast gets its number when it is sent, so a preview that was
cancelled or never sent leaves no gap in the numbers people see; the number is the one the chat, the "Set"
button, `/udsendelser N` and `kkrbot broadcast list|show` use. Broadcasts made before numbers were given keep
their old number (their id), so the numbers already in messages and on buttons still name them."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

from bot.storage.migrations import MIGRATIONS
from tests.conftest import REFERENCE_NOW, Clock, RunningBot, start_bot
from tests.fake_telegram import FakeTelegram, SentMessage
from tests.processes import kkrbot_cli

SECRETARY, MEMBER_1, MEMBER_2, MAYOR = 4001, 4002, 4003, 4004


def text(message: SentMessage) -> str:
    return message.plain_text or ""


async def bind_council(kkrbot: RunningBot) -> None:
    await kkrbot.bind(SECRETARY, "sekretariat-1")
    await kkrbot.bind(MEMBER_1, "a-medlem-1")
    await kkrbot.bind(MEMBER_2, "a-medlem-2")
    await kkrbot.bind(MAYOR, "aalborg-borgmester")


async def test_cancelled_and_forgotten_previews_take_no_number(kkrbot: RunningBot) -> None:
    await bind_council(kkrbot)
    cancelled = await kkrbot.ask(SECRETARY, "/udsend medlemmer Den droppede kladde")
    await kkrbot.press(SECRETARY, cancelled, "Annuller")
    await kkrbot.ask(SECRETARY, "/udsend medlemmer Den glemte kladde")  # left waiting, never sent
    preview = await kkrbot.ask(SECRETARY, "/udsend medlemmer 12.02.2027 set\nDen første rigtige udsendelse")
    sent = await kkrbot.press(SECRETARY, preview, "Send til 3")
    [message] = await kkrbot.tg.wait_for(lambda m: m.chat_id == MEMBER_1 and "Den første rigtige" in text(m))
    # Each report comes with its broadcast's last delivery: waited for, so none is taken for an answer below.
    await kkrbot.tg.wait_for(lambda m: m.chat_id == SECRETARY and "Udsendelse 1 er færdig" in text(m))
    await kkrbot.press(MEMBER_1, message, "Set")
    # The first broadcast's report may come in between (with the last delivery, and again after the Set press):
    # the preview is the message that shows the new text.
    await kkrbot.ask(SECRETARY, "/udsend medlemmer Den anden udsendelse")
    [second] = await kkrbot.tg.wait_for(lambda m: m.chat_id == SECRETARY and "Den anden udsendelse" in text(m))
    await kkrbot.press(SECRETARY, second, "Send til 3")
    await kkrbot.tg.wait_for(lambda m: m.chat_id == MAYOR and "Den anden udsendelse" in text(m))
    await kkrbot.tg.wait_for(lambda m: m.chat_id == SECRETARY and "Udsendelse 2 er færdig" in text(m))
    listed = await kkrbot.ask(SECRETARY, "/udsendelser")
    first = await kkrbot.ask(SECRETARY, "/udsendelser 1")
    shown = await asyncio.to_thread(kkrbot_cli, kkrbot.settings.database, "broadcast", "show", "2", "--json")

    assert "Udsendelse 1 sendes nu til 3 modtagere" in text(sent)
    assert "FORHÅNDSVISNING AF UDSENDELSEN" in text(preview).upper()
    assert message.buttons[0][0]["callback_data"] == "seen 1"
    assert [b[0]["callback_data"] for b in listed.buttons] == ["broadcasts 2", "broadcasts 1"]
    assert [line.split(".")[0] for line in text(listed).splitlines() if line[:1].isdigit()] == ["2", "1"]
    assert "Den første rigtige udsendelse" in text(first)
    assert "22 modtagere: 3 leveret, 19 ikke leveret, 0 venter, 1 set" in text(first)
    assert first.buttons[0][0]["callback_data"] == "broadcast remind 1"
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["id"] == 2
    assert json.loads(shown.stdout)["text"] == "Den anden udsendelse"


def _database_before_numbers(path: Path) -> None:
    """A database as the bot left it before broadcasts had numbers: broadcast 1 sent, 2 cancelled, 3 sent; the
    sent ones reported to the secretariat, as they were then (else the report of broadcast 1 comes at start, racing
    the answers the test waits for)."""
    before = next(i for i, script in enumerate(MIGRATIONS) if "ADD COLUMN number" in script)
    with sqlite3.connect(path) as conn:
        for script in MIGRATIONS[:before]:
            conn.executescript(script)
        conn.execute(f"PRAGMA user_version={before}")
        for sent, cancelled, words in (
            ("2026-11-20T09:00:00+00:00", None, "Gammel udsendelse et"),
            (None, "2026-11-20T09:05:00+00:00", "Gammel annulleret"),
            ("2026-11-20T09:10:00+00:00", None, "Gammel udsendelse tre"),
        ):
            conn.execute(
                "INSERT INTO broadcasts (sender_id, audience, text, ack, created_at, sent_at, cancelled_at, "
                "reported_at) VALUES ('sekretariat-1', 'medlemmer', ?, 1, '2026-11-20T09:00:00+00:00', ?, ?, ?)",
                (words, sent, cancelled, sent),
            )
        conn.execute("INSERT INTO broadcast_recipients (broadcast_id, person_id) VALUES (3, 'a-medlem-1')")


async def test_numbers_given_before_keep_naming_the_same_broadcasts(tg: FakeTelegram, tmp_path: Path) -> None:
    database = tmp_path / "kkrbot.sqlite3"
    _database_before_numbers(database)
    kkrbot = await start_bot(tg, database, Clock(REFERENCE_NOW))
    try:
        await bind_council(kkrbot)
        old = await kkrbot.ask(SECRETARY, "/udsendelser 3")
        cancelled = await kkrbot.ask(SECRETARY, "/udsendelser 2")
        preview = await kkrbot.ask(SECRETARY, "/udsend medlemmer Ny efter opgraderingen")
        sent = await kkrbot.press(SECRETARY, preview, "Send til 3")
        # An old "Set" button carries the old number, which is the broadcast's id.
        kkrbot.tg.inject_message(MEMBER_1, "/set 3", language_code="da")
        await kkrbot.tg.wait_for(lambda m: m.chat_id == MEMBER_1 and "sekretariatet kan se" in text(m))
        async with kkrbot.conversation.db.read() as conn:
            [[seen]] = list(
                await conn.execute_fetchall(
                    "SELECT count(*) FROM broadcast_recipients WHERE broadcast_id = 3 AND acknowledged_at IS NOT NULL"
                )
            )
    finally:
        await kkrbot.stop()

    assert "Gammel udsendelse tre" in text(old)
    assert "Udsendelse 2 blev annulleret; intet blev sendt." in text(cancelled)
    assert "Udsendelse 4 sendes nu" in text(sent)
    assert seen == 1
