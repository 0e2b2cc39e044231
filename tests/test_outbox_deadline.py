"""A message past its deadline (an alert or a reminder at its meeting's start) is set aside, not sent late: failed
with its reason and handed to the give-up hook (the secretariat's report); the recipient's next message goes on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite

from bot.delivery.message import Message
from bot.delivery.outbox import DEADLINE_PASSED, Delivery, DeliveryResult, OutboxItem, OutboxWorker, enqueue
from bot.storage.db import Database, rows

NOW = datetime(2027, 2, 12, 9, 5, tzinfo=UTC)


async def test_a_reminder_past_its_meeting_start_is_set_aside_and_the_next_message_goes(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "kkrbot.sqlite3")
    sent: list[str] = []
    set_aside: list[tuple[int, str | None]] = []

    async def deliver(item: OutboxItem) -> DeliveryResult:
        sent.append(item.message.text)
        return DeliveryResult(Delivery.SENT)

    async def on_give_up(conn: aiosqlite.Connection, item: OutboxItem, result: DeliveryResult) -> None:
        set_aside.append((item.id, result.set_aside))

    try:
        async with db.transaction() as conn:
            late = Message(text="reminder", deadline=NOW - timedelta(minutes=5))
            await enqueue(conn, "telegram", "7", "a-medlem-1", late, NOW)
            await enqueue(conn, "telegram", "7", "a-medlem-1", Message(text="answer"), NOW)
            await enqueue(
                conn, "telegram", "8", "a-medlem-2", Message(text="in time", deadline=NOW + timedelta(hours=1)), NOW
            )
        worker = OutboxWorker(db, "telegram", deliver, on_give_up=on_give_up, clock=lambda: NOW)
        await worker.drain_once()
        await worker.drain_once()
        async with db.read() as conn:
            failed = await rows(conn, "SELECT address, error FROM outbox WHERE failed_at IS NOT NULL")
    finally:
        await db.close()

    assert sorted(sent) == ["answer", "in time"]
    assert [reason for _, reason in set_aside] == [DEADLINE_PASSED]
    assert [tuple(row) for row in failed] == [("7", "deadline passed")]
