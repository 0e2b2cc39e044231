"""The pipelined outbox: several recipients in flight at once, each recipient's messages strictly in order and
one at a time, and what a crash could repeat (accepted by the channel, not yet marked sent) stays at most
one message per recipient and at most `in_flight` in all."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.delivery import outbox
from bot.delivery.message import Message
from bot.delivery.outbox import Delivery, DeliveryResult, Lane, OutboxItem, OutboxWorker, enqueue
from bot.storage.db import Database

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "kkrbot.sqlite3")
    yield database
    await database.close()


class Channel:
    """A channel that takes a little while per message, and records what happens."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.in_flight: list[OutboxItem] = []
        self.most_in_flight = 0
        self.delivered: dict[str, list[str]] = {}
        self.accepted: list[OutboxItem] = []
        self.worst_window: list[OutboxItem] = []
        self.rng = random.Random(8)

    async def deliver(self, item: OutboxItem) -> DeliveryResult:
        assert item.address not in {other.address for other in self.in_flight}, "two at once to one recipient"
        self.in_flight.append(item)
        self.most_in_flight = max(self.most_in_flight, len(self.in_flight))
        self.check_crash_window(item)
        await asyncio.sleep(self.rng.uniform(0.001, 0.01))
        self.in_flight.remove(item)
        self.delivered.setdefault(item.address, []).append(item.message.text)
        self.accepted.append(item)
        return DeliveryResult(Delivery.SENT)

    def check_crash_window(self, sending: OutboxItem) -> None:
        """Were the process killed now: what the channel accepted (or may accept) and the database does not
        know as sent would be sent again."""
        with sqlite3.connect(self.database) as conn:
            sent = {row[0] for row in conn.execute("SELECT id FROM outbox WHERE sent_at IS NOT NULL")}
        window = [item for item in self.accepted if item.id not in sent] + self.in_flight
        if len(window) > len(self.worst_window):
            self.worst_window = window


async def queue(db: Database, messages: list[tuple[str, str]], lane: Lane = Lane.INTERACTIVE) -> None:
    async with db.transaction() as conn:
        for address, text in messages:
            await enqueue(conn, "telegram", address, None, Message(text=text), NOW, lane)


async def test_several_recipients_in_flight_each_in_order_and_a_crash_repeats_one_per_recipient(
    db: Database,
) -> None:
    channel = Channel(db.path)
    messages = [(str(chat), f"{chat}: {n}") for n in range(6) for chat in range(10)]
    await queue(db, messages)
    worker = OutboxWorker(db, "telegram", channel.deliver, in_flight=4)
    await worker.drain_once()

    assert channel.most_in_flight == 4
    for chat in range(10):
        assert channel.delivered[str(chat)] == [f"{chat}: {n}" for n in range(6)]
    addresses = [item.address for item in channel.worst_window]
    assert len(addresses) == len(set(addresses)) <= 4


async def test_one_in_flight_is_the_old_outbox(db: Database) -> None:
    channel = Channel(db.path)
    await queue(db, [(str(chat), f"{chat}") for chat in range(5)])
    await OutboxWorker(db, "telegram", channel.deliver).drain_once()
    assert channel.most_in_flight == 1
    assert len(channel.worst_window) == 1


async def test_bulk_never_takes_the_last_slot_so_an_answer_goes_next(db: Database) -> None:
    """While bulk messages fill the other slots, an answer queued after them is the next to go."""
    started: list[str] = []
    release = asyncio.Event()

    async def deliver(item: OutboxItem) -> DeliveryResult:
        started.append(item.message.text)
        await release.wait()
        return DeliveryResult(Delivery.SENT)

    await queue(db, [(str(chat), f"bulk {chat}") for chat in range(20)], Lane.BULK)
    worker = OutboxWorker(db, "telegram", deliver, in_flight=4)
    task = asyncio.create_task(worker.run())
    try:
        async with asyncio.timeout(10):
            while len(started) < 3:  # noqa: ASYNC110 - the worker runs in this loop
                await asyncio.sleep(0.01)
        await queue(db, [("99", "the answer")])
        worker.wake()
        async with asyncio.timeout(10):
            while len(started) < 4:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        assert started == ["bulk 0", "bulk 1", "bulk 2", "the answer"]
    finally:
        release.set()
        await worker.stop(task)


async def test_sends_that_finish_in_the_same_turn_of_the_loop_share_one_sent_mark(db: Database) -> None:
    """Each sent mark is a commit, a disk sync; answers that arrive together are marked together."""
    release = asyncio.Event()
    statements: list[str] = []

    async def deliver(item: OutboxItem) -> DeliveryResult:
        await release.wait()  # the four answers come in together
        return DeliveryResult(Delivery.SENT)

    await queue(db, [(str(chat), f"{chat}") for chat in range(4)])
    worker = OutboxWorker(db, "telegram", deliver, in_flight=4)
    await db.connection.set_trace_callback(statements.append)
    drained = asyncio.create_task(worker.drain_once())
    await asyncio.sleep(0.05)
    release.set()
    await asyncio.wait_for(drained, 5)
    marks = {statement for statement in statements if statement.startswith("UPDATE outbox SET sent_at")}
    assert len(marks) == 1
    assert marks.pop().endswith("WHERE id IN (1, 2, 3, 4)")


async def test_a_recipient_s_next_message_waits_until_the_last_one_s_mark_is_on_the_disk(db: Database) -> None:
    """A sent mark commits without a disk sync of its own: a crash of the process cannot undo it, a power loss can,
    and the message would go again. So a recipient's next message leaves only once the last one's mark is on the
    disk, and a power loss too repeats at most one message per recipient. Others do not wait for that sync."""
    sending: list[tuple[str, bool]] = []

    async def deliver(item: OutboxItem) -> DeliveryResult:
        sending.append((item.message.text or "", db.synced_commits == db.commits))
        return DeliveryResult(Delivery.SENT)

    await queue(db, [("7", "first"), ("7", "second"), ("8", "to another")])
    await OutboxWorker(db, "telegram", deliver).drain_once()

    assert sending == [
        ("first", True),  # the commit that queued it was durable
        ("second", True),  # the mark of "first" was synced before it left
        ("to another", False),  # the mark of "second" is not on the disk yet, and need not be for recipient 8
    ]


async def test_marks_known_to_be_on_the_disk_are_not_kept(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker remembers recipients whose last mark may not be synced; not everyone it ever wrote to."""
    monkeypatch.setattr(outbox, "MARKS_KEPT", 4)

    async def deliver(item: OutboxItem) -> DeliveryResult:
        return DeliveryResult(Delivery.SENT)

    worker = OutboxWorker(db, "telegram", deliver)
    for chat in range(10):
        await queue(db, [(str(chat), "an answer")])  # a durable commit: every mark so far is on the disk
        await worker.drain_once()
    assert len(worker._marks) <= 4


async def test_a_message_whose_mark_fails_with_a_bug_is_sent_once_not_over_and_over(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It stays unsent, and goes again after a restart; this process does not send it again, and the others go on."""
    delivered: list[str] = []

    async def deliver(item: OutboxItem) -> DeliveryResult:
        delivered.append(item.message.text or "")
        return DeliveryResult(Delivery.SENT)

    async def broken_mark(*args: object) -> None:
        raise RuntimeError("a bug in marking")

    monkeypatch.setattr(outbox, "mark_sent", broken_mark)
    await queue(db, [("7", "to 7"), ("8", "to 8")])
    await asyncio.wait_for(OutboxWorker(db, "telegram", deliver).drain_once(), 5)
    assert delivered == ["to 7", "to 8"]

    monkeypatch.undo()
    await asyncio.wait_for(OutboxWorker(db, "telegram", deliver).drain_once(), 5)  # after a restart
    assert delivered == ["to 7", "to 8", "to 7", "to 8"]
