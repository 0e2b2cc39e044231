"""The outbox's two lanes: what a person waits for goes before bulk traffic, and each recipient keeps order."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.delivery.message import Message
from bot.delivery.outbox import Lane, due_items, enqueue
from bot.storage.db import Database

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


async def test_an_answer_queued_after_bulk_messages_is_due_before_them(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "kkrbot.sqlite3")
    try:
        async with db.transaction() as conn:
            for chat in range(5):
                await enqueue(conn, "telegram", str(chat), None, Message(text=f"reminder {chat}"), NOW, Lane.BULK)
            await enqueue(conn, "telegram", "99", None, Message(text="the answer"), NOW)
        async with db.read() as conn:
            due = await due_items(conn, "telegram", NOW)
        assert [item.message.text for item in due][:2] == ["the answer", "reminder 0"]
    finally:
        await db.close()


async def test_a_recipients_messages_stay_in_order_across_lanes(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "kkrbot.sqlite3")
    try:
        async with db.transaction() as conn:
            await enqueue(conn, "telegram", "7", None, Message(text="broadcast"), NOW, Lane.BULK)
            await enqueue(conn, "telegram", "7", None, Message(text="answer"), NOW)
        async with db.read() as conn:
            due = await due_items(conn, "telegram", NOW)
        assert [item.message.text for item in due] == ["broadcast"]
    finally:
        await db.close()
