"""The one outbox: everything the bot sends is written here in the transaction that causes it, and one
worker per channel drains it in order per recipient, retrying what may succeed later.

The unavoidable window: a message that the channel accepted just before a crash, but whose `sent_at` was
not yet written, is sent again after the restart. The worker sends one message at a time, so a crash
repeats at most one message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import aiosqlite

from bot.delivery.message import Message
from bot.storage.db import Database, first_row, rows, utc_text

log = logging.getLogger(__name__)

IDLE_POLL_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 30.0
DEFAULT_RETRY_BASE_SECONDS = 0.5


@dataclass(frozen=True)
class OutboxItem:
    id: int
    channel: str
    address: str
    person_id: str | None
    message: Message
    attempts: int


class Lane(StrEnum):
    """Answers to a person's own request and absence alerts go before bulk traffic (reminders, broadcasts),
    so a queue of bulk messages never delays what someone is waiting for."""

    INTERACTIVE = "interactive"
    BULK = "bulk"


class Delivery(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # may succeed later: network, 5xx, 429
    GIVE_UP = "give_up"  # will never succeed: blocked, chat gone, a bad request


@dataclass(frozen=True)
class DeliveryResult:
    status: Delivery
    retry_after: float | None = None
    error: str | None = None
    blocked: bool = False


async def enqueue(
    conn: aiosqlite.Connection,
    channel: str,
    address: str,
    person_id: str | None,
    message: Message,
    now: datetime,
    lane: Lane = Lane.INTERACTIVE,
) -> None:
    await conn.execute(
        "INSERT INTO outbox (channel, address, person_id, payload, created_at, not_before, lane) "
        "VALUES (?, ?, ?, ?, ?, '', ?)",
        (channel, address, person_id, json.dumps(message.to_payload()), utc_text(now), lane.value),
    )


async def due_items(conn: aiosqlite.Connection, channel: str, now: datetime, limit: int = 50) -> list[OutboxItem]:
    """Only the oldest unsent message of each recipient can be due, which keeps each recipient's order."""
    found = await rows(
        conn,
        """
        SELECT o.id, o.channel, o.address, o.person_id, o.payload, o.attempts FROM outbox o
        WHERE o.channel = ? AND o.sent_at IS NULL AND o.failed_at IS NULL AND o.not_before <= ?
          AND NOT EXISTS (
            SELECT 1 FROM outbox p WHERE p.channel = o.channel AND p.address = o.address
              AND p.sent_at IS NULL AND p.failed_at IS NULL AND p.id < o.id)
        ORDER BY o.lane = 'bulk', o.id LIMIT ?
        """,
        (channel, utc_text(now), limit),
    )
    return [
        OutboxItem(row[0], row[1], row[2], row[3], Message.from_payload(json.loads(row[4])), row[5]) for row in found
    ]


async def pending_count(conn: aiosqlite.Connection, channel: str | None = None) -> int:
    sql = "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL"
    params: tuple[object, ...] = ()
    if channel:
        sql += " AND channel = ?"
        params = (channel,)
    row = await first_row(conn, sql, params)
    return int(row[0]) if row else 0


def real_now() -> datetime:
    """Retry timing is the transport's business and follows the real clock, whatever clock the domain uses
    (tests freeze that one). A new row's `not_before` is empty: due at once."""
    return datetime.now(UTC)


def backoff(failures: int, base: float) -> float:
    return float(min(MAX_BACKOFF_SECONDS, base * 2**failures))


GiveUpHook = Callable[[aiosqlite.Connection, OutboxItem, DeliveryResult], Awaitable[None]]


class OutboxWorker:
    """Drains one channel's rows, one at a time, until stopped."""

    def __init__(
        self,
        db: Database,
        channel: str,
        deliver: Callable[[OutboxItem], Awaitable[DeliveryResult]],
        *,
        on_give_up: GiveUpHook | None = None,
        retry_base: float = DEFAULT_RETRY_BASE_SECONDS,
    ) -> None:
        self.db = db
        self.channel = channel
        self.deliver = deliver
        self.on_give_up = on_give_up
        self.retry_base = retry_base
        # Consecutive failures of the channel, not of one row: an outage is the channel's, and one success
        # ends it.
        self._failures = 0
        self._wake = asyncio.Event()
        # A drain may be asked for while one runs (the console flushes before each prompt); two at once
        # would both send the same due row.
        self._draining = asyncio.Lock()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            # Cleared before draining, so a commit during the drain wakes the next round at once.
            self._wake.clear()
            try:
                pause = await self.drain_once()
            except Exception:  # the database, say; what was not marked sent is sent on the next round
                log.exception("outbox %s: draining failed", self.channel)
                pause = IDLE_POLL_SECONDS
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can lose a cancellation that races
            # with the event, and then the worker never stops.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(pause):
                    await self._wake.wait()

    async def stop(self, task: asyncio.Task[None]) -> None:
        """Stops the worker's task between two deliveries, never inside one: a clean stop repeats nothing."""
        async with self._draining:
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    async def drain_once(self) -> float:
        """Sends what is due; returns how long to wait before looking again."""
        async with self._draining:
            return await self._drain()

    async def _drain(self) -> float:
        while True:
            async with self.db.read() as conn:
                items = await due_items(conn, self.channel, real_now())
            if not items:
                return IDLE_POLL_SECONDS
            for item in items:
                result = await self._deliver_safely(item)
                now = real_now()
                if result.status is Delivery.SENT:
                    # The common case is one statement, committed at once: the crash window stays one message.
                    self._failures = 0
                    await self.db.write("UPDATE outbox SET sent_at = ? WHERE id = ?", (utc_text(now), item.id))
                    continue
                async with self.db.transaction() as conn:
                    if result.status is Delivery.GIVE_UP:
                        await conn.execute(
                            "UPDATE outbox SET failed_at = ?, error = ?, attempts = attempts + 1 WHERE id = ?",
                            (utc_text(now), result.error, item.id),
                        )
                        if self.on_give_up:
                            await self.on_give_up(conn, item, result)
                        continue
                    if result.retry_after is not None:
                        wait = result.retry_after
                    else:
                        wait = backoff(self._failures, self.retry_base)
                        self._failures += 1
                    await conn.execute(
                        "UPDATE outbox SET not_before = ?, error = ?, attempts = attempts + 1 WHERE id = ?",
                        (utc_text(now + timedelta(seconds=wait)), result.error, item.id),
                    )
                # Flood control and network trouble are rarely about one chat: pause the whole channel.
                log.warning("outbox %s: retry in %.2fs (%s)", self.channel, wait, result.error)
                return wait

    async def _deliver_safely(self, item: OutboxItem) -> DeliveryResult:
        try:
            return await self.deliver(item)
        except Exception as exc:  # a bug in a channel must not stop the outbox
            log.exception("outbox %s: delivery of %s failed unexpectedly", self.channel, item.id)
            return DeliveryResult(Delivery.RETRY, error=f"{type(exc).__name__}")
