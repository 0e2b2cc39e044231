"""The one outbox: everything the bot sends is written here in the transaction that causes it, and one
worker per channel drains it, several recipients at once but in order per recipient, interactive before
bulk, as fast as the channel's pacing allows, retrying what may succeed later.

The unavoidable window: a message that the channel accepted just before a crash, but whose `sent_at` was
not yet written, is sent again after the restart. A recipient has at most one message in flight or
waiting for its sent mark, so a crash repeats at most one message per recipient in flight: at most
`in_flight` messages in all (the Telegram channel's `KKRBOT_TELEGRAM_IN_FLIGHT`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import cached_property, partial

import aiosqlite

from bot.delivery.message import Message
from bot.delivery.pacing import Limits, Pacer, Send
from bot.storage.db import Database, first_row, from_utc_text, rows, utc_text
from bot.storage.documents import stored_document
from bot.storage.faults import FaultLog, database_fault, until_done

log = logging.getLogger(__name__)

IDLE_POLL_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 30.0
DEFAULT_RETRY_BASE_SECONDS = 0.5
# Due rows read at a time (one per recipient): enough to find one that the pacer lets go while others wait for their
# chat (a chat is held back only after a burst of 3). Every read copies each row's message, and the rows are read
# again after every commit: 50 made the read 170 µs of CPU, a fifth of kkrbot's statements (bench.statement_times).
FETCH_ROWS = 16
# Recipients whose last sent mark may not be on the disk yet, kept before those that are are dropped (OutboxWorker).
MARKS_KEPT = 256
# A message whose sends failed this many times while other sends on its channel succeeded is set aside (failed, with
# its reason, and reported): the trouble is the message's or its recipient's, not the channel's. Failures while every
# send fails (an outage) use no attempts, so an outage of any length sets nothing aside.
MAX_ATTEMPTS = 6
# Addresses a channel can send to; a row with another address is set aside when it is queued (it could never leave).
# A channel without an entry takes any non-empty address.
ADDRESSES = {"telegram": re.compile(r"-?[0-9]{1,16}")}


class Lane(StrEnum):
    """Answers to a person's own request and absence alerts go before bulk traffic (reminders, broadcasts),
    so a queue of bulk messages never delays what someone is waiting for."""

    INTERACTIVE = "interactive"
    BULK = "bulk"


@dataclass(frozen=True)
class OutboxItem:
    id: int
    channel: str
    address: str
    person_id: str | None
    payload: str
    attempts: int
    lane: Lane = Lane.INTERACTIVE
    # When it was read, the recipient had more messages queued behind this one.
    more: bool = False
    # When it stops mattering (Message.deadline): past it, it is set aside instead of sent.
    deadline: datetime | None = None

    @cached_property
    def message(self) -> Message:
        """Parsed when it is sent: most rows the outbox reads wait for a slot or their chat, and are read again."""
        return Message.from_payload(json.loads(self.payload))

    def with_message(self, message: Message) -> OutboxItem:
        """The same row, carrying `message` instead of its payload's (a channel that fills in a stored
        document's bytes)."""
        item = replace(self)
        object.__setattr__(item, "message", message)  # what cached_property would have stored
        return item


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
    # Why the outbox set it aside itself (attempts used up, deadline passed, an address or payload no channel can
    # send), for the secretariat's report; None for a channel's own refusal.
    set_aside: str | None = None


ATTEMPTS_USED = "attempts"
DEADLINE_PASSED = "deadline"
UNSENDABLE = "unsendable"


def sendable_address(channel: str, address: str) -> bool:
    pattern = ADDRESSES.get(channel)
    return bool(address) and (pattern is None or pattern.fullmatch(address) is not None)


async def enqueue(
    conn: aiosqlite.Connection,
    channel: str,
    address: str,
    person_id: str | None,
    message: Message,
    now: datetime,
    lane: Lane = Lane.INTERACTIVE,
) -> None:
    # A message over the channels' limits becomes several rows here, in order (Message.parts). One to an address
    # its channel cannot send to is kept, set aside at once (failed_at), so it never holds up the channel.
    unsendable = not sendable_address(channel, address)
    if unsendable:
        log.error(
            "outbox %s: a message for %s has an address the channel cannot send to; set aside", channel, person_id
        )
    await conn.executemany(
        "INSERT INTO outbox (channel, address, person_id, payload, created_at, not_before, lane, sensitive, deadline, "
        "failed_at, error) VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?)",
        [
            (
                channel,
                address,
                person_id,
                json.dumps(part.to_payload()),
                utc_text(now),
                lane.value,
                int(part.sensitive),
                utc_text(part.deadline) if part.deadline else None,
                utc_text(now) if unsendable else None,
                "unsendable address" if unsendable else None,
            )
            for part in message.parts()
        ],
    )


async def with_stored_content(db: Database, message: Message) -> Message:
    """The message with its stored document's bytes (bot.storage.documents), for a channel that needs the bytes
    for every message (Teams links a copy, the console saves one); the outbox row carries only the reference."""
    document = message.document
    if document is None or document.stored_id is None or document.content:
        return message
    async with db.read() as conn:
        stored = await stored_document(conn, document.stored_id)
    return message.model_copy(update={"document": document.model_copy(update={"content": stored.content})})


async def due_items(conn: aiosqlite.Connection, channel: str, now: datetime, limit: int = 50) -> list[OutboxItem]:
    """Only the oldest unsent message of each recipient can be due, which keeps each recipient's order. Unsent rows
    are read in the order they go (outbox_due: interactive first, then oldest first), each one skipped if its
    recipient has an older unsent row (outbox_queue), until `limit` are found: the cost follows the rows read, not
    the rows queued (a broadcast to thousands waits in the outbox while every answer's commit reads it again)."""
    found = await rows(
        conn,
        """
        SELECT o.id, o.channel, o.address, o.person_id, o.payload, o.attempts, o.lane,
          EXISTS (SELECT 1 FROM outbox n INDEXED BY outbox_queue WHERE n.channel = o.channel
                  AND n.address = o.address AND n.id > o.id AND n.sent_at IS NULL AND n.failed_at IS NULL),
          o.deadline
        FROM outbox o INDEXED BY outbox_due
        WHERE o.channel = ? AND o.sent_at IS NULL AND o.failed_at IS NULL AND o.not_before <= ?
          AND NOT EXISTS (SELECT 1 FROM outbox p INDEXED BY outbox_queue WHERE p.channel = o.channel
                          AND p.address = o.address AND p.id < o.id AND p.sent_at IS NULL AND p.failed_at IS NULL)
        ORDER BY o.lane = 'bulk', o.id LIMIT ?
        """,
        (channel, utc_text(now), limit),
    )
    return [
        OutboxItem(
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            row[5],
            Lane(row[6]),
            bool(row[7]),
            from_utc_text(row[8]) if row[8] else None,
        )
        for row in found
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
# Given the bulk rows just marked sent, in the mark's transaction: what their being sent makes due (a broadcast's
# report when its last message is out) is written with the mark, so it happens once, also across a crash.
SentHook = Callable[[aiosqlite.Connection, Sequence[OutboxItem]], Awaitable[None]]


async def mark_sent(db: Database, items: Sequence[OutboxItem], now: datetime, on_sent: SentHook | None = None) -> None:
    """The one place where messages become sent: all that finished together, in one statement (one round
    trip to SQLite, committed at once). Whatever else must happen when a message is sent belongs here.

    Interactive rows go as a single write that shares the next commit. Bulk rows, with `on_sent`, get their own
    transaction, and the hook runs in it: a hook that fails with anything but the database's fault is logged
    and undone alone, so the mark is kept (the tick does what it missed); a fault of the database fails it all,
    and the caller tries it all again."""
    sql = f"UPDATE outbox SET sent_at = ? WHERE id IN ({', '.join('?' * len(items))})"
    params = (utc_text(now), *(item.id for item in items))
    bulk = [item for item in items if item.lane is Lane.BULK]
    if on_sent is None or not bulk:
        await db.write(sql, params, durable=False)
        return
    async with db.transaction() as conn:
        await conn.execute(sql, params)
        await conn.execute("SAVEPOINT on_sent")
        try:
            await on_sent(conn, bulk)
        except Exception as exc:
            if database_fault(exc) is not None:
                raise
            log.exception("outbox: after marking %d messages sent", len(items))
            await conn.execute("ROLLBACK TO on_sent")
        await conn.execute("RELEASE on_sent")


class OutboxWorker:
    """Drains one channel's rows until stopped: up to `in_flight` recipients at once, one message per
    recipient at a time, in the order the pacer allows and interactive before bulk.

    The crash window: a message the channel accepted, whose `sent_at` was not yet written, is sent again
    after a crash. A recipient's next message leaves only after the previous one is marked sent, and a slot
    is free only once its message is marked, so a crash repeats at most one message per recipient, and at
    most `in_flight` messages in all.

    A crash of the machine too (a power loss). A mark is committed without a disk sync of its own (its commit
    is in the operating system's hands at once, which a crash of the process does not lose); and a recipient's
    next message leaves only once the previous one's mark is on the disk: synced by any durable commit since (the
    update that asked for the next answer, the transaction that queued it), or else by `Database.sync` just
    before it leaves. So each recipient has at most one message whose mark a power loss can undo. A sync per
    sent mark was most of the disk syncs per answer (issue 25).
    """

    def __init__(
        self,
        db: Database,
        channel: str,
        deliver: Callable[[OutboxItem], Awaitable[DeliveryResult]],
        *,
        on_give_up: GiveUpHook | None = None,
        on_sent: SentHook | None = None,
        retry_base: float = DEFAULT_RETRY_BASE_SECONDS,
        in_flight: int = 1,
        pacer: Pacer | None = None,
        clock: Callable[[], datetime] = real_now,
    ) -> None:
        self.db = db
        # The clock of the records (sent_at, failed_at): the conversation's, so they compare with the times the rest
        # of the database holds (retention counts from them). Retry timing follows the real clock (real_now).
        self.clock = clock
        self.channel = channel
        self.deliver = deliver
        self.on_give_up = on_give_up
        self.on_sent = on_sent
        self.retry_base = retry_base
        self.in_flight = max(1, in_flight)
        self.pacer = pacer or Pacer(Limits())
        # Consecutive pauses of the channel: an outage is the channel's, and one success ends it.
        self._failures = 0
        # Sends that succeeded, counted: a failure counts against a message's attempts only if another send succeeded
        # since that message's previous failure (so the channel works, and the trouble is the message's).
        self._successes = 0
        # Per recipient whose last send failed: (its failures in a row, `_successes` at the last one).
        self._failing: dict[str, tuple[int, int]] = {}
        # Recipients whose sends failed since the last success: two or more, and it is the channel that fails.
        self._failed_since_success: set[str] = set()
        self._wake = asyncio.Event()
        # Recipients with a message in flight or not yet marked sent: nothing else goes to them meanwhile.
        self._busy: dict[str, OutboxItem] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self._to_mark: list[OutboxItem] = []
        self._marking = False
        # Per recipient, `Database.commits` just after its last message was marked sent, until that mark is known
        # to be on the disk: the recipient's next message waits for it (see the class's docstring).
        self._marks: dict[str, int] = {}
        # Messages sent whose sent mark failed with a bug (not the database's fault): never sent again by this process.
        self._unmarked: set[int] = set()
        # The due rows last read, best first, and whether they were all there were. They are read again only when
        # something may have changed them: a commit (wake), a freed recipient with more queued, all of them used
        # while more were due, or IDLE_POLL_SECONDS gone by (retries coming due; rows from another process).
        self._candidates: list[OutboxItem] = []
        self._complete = False
        self._stale = True
        self._read_at = -float("inf")
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False
        # One dispatcher at a time (the console drains before each prompt while the worker runs): two
        # would both send the same due row.
        self._dispatching = asyncio.Lock()
        self.faults = FaultLog(log)

    def wake(self) -> None:
        self._stale = True
        self._wake.set()

    async def run(self) -> None:
        while True:
            # Cleared before dispatching, so a commit meanwhile wakes the next round at once.
            self._wake.clear()
            try:
                async with self._dispatching:
                    pause = await self._dispatch()
            except Exception as exc:  # the database, say; what was not marked sent is sent on the next round
                self._database_failed(exc, "dispatching")
                self._stale = True
                pause = IDLE_POLL_SECONDS
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can lose a cancellation that races
            # with the event, and then the worker never stops.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(pause):
                    await self._wake.wait()

    async def stop(self, task: asyncio.Task[None]) -> None:
        """Sends nothing new, lets what is in flight finish and be marked sent, then stops the worker's task:
        a clean stop repeats nothing."""
        self._stopping = True
        async with self._dispatching:
            await self._idle.wait()
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    async def drain_once(self) -> float:
        """Sends what is due and waits until it is marked sent; returns how long to wait before looking
        again (the console flushes before each prompt)."""
        async with self._dispatching:
            while True:
                self._stale = True
                pause = await self._dispatch()
                if not self._busy:
                    return pause
                await self._idle.wait()

    async def _dispatch(self) -> float:
        """Starts every send the slots and the pacer allow now; returns how long until another may be."""
        if self._stopping:
            return IDLE_POLL_SECONDS
        while len(self._busy) < self.in_flight:
            if (
                self._stale
                or (not self._candidates and not self._complete)
                or self.pacer.clock() - self._read_at >= IDLE_POLL_SECONDS
            ):
                await self._fetch()
            if not self._candidates:
                return IDLE_POLL_SECONDS
            item, ready = self._next_candidate()
            if item is None:
                return min(ready, IDLE_POLL_SECONDS)
            self._candidates.remove(item)
            self._start(item)
        return IDLE_POLL_SECONDS  # every slot taken: the first one freed wakes the worker

    async def _fetch(self) -> None:
        limit = FETCH_ROWS + len(self._busy) + len(self._unmarked)
        self._read_at = self.pacer.clock()
        async with self.db.read() as conn:
            due = await due_items(conn, self.channel, real_now(), limit)
        self._candidates = [item for item in due if item.address not in self._busy and item.id not in self._unmarked]
        self._complete = len(due) < limit
        self._stale = False

    def _next_candidate(self) -> tuple[OutboxItem | None, float]:
        """The best candidate that may leave now, or how long until one may. Candidates come interactive
        first, oldest first; one slot stays free for the interactive lane, so bulk never fills them all."""
        now = self.pacer.clock()
        soonest = float("inf")
        bulk_allowed = self.in_flight == 1 or len(self._busy) < self.in_flight - 1
        for item in self._candidates:
            if item.address in self._busy:
                continue
            if item.lane is Lane.BULK and not bulk_allowed:
                break
            ready = self.pacer.ready_at(item.address)
            if ready <= now:
                return item, 0.0
            soonest = min(soonest, ready)
        return None, (soonest - now if soonest != float("inf") else IDLE_POLL_SECONDS)

    def _start(self, item: OutboxItem) -> None:
        expired = item.deadline is not None and item.deadline <= self.clock()
        send = None if expired else self.pacer.take(item.address)
        self._busy[item.address] = item
        self._idle.clear()
        task = asyncio.create_task(self._send(item, send))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, item: OutboxItem, send: Send | None) -> None:
        """Delivers `item`, which the pacer let go as `send`; None: its deadline passed, and it is set aside unsent."""
        if send is None:
            result = DeliveryResult(Delivery.GIVE_UP, error="deadline passed", set_aside=DEADLINE_PASSED)
        else:
            try:
                result = await self._deliver_safely(item)
            finally:
                # At once: the 30th send after this one may leave a second after its answer (pacing.py says why).
                self.pacer.answered(send)
        if result.status is Delivery.SENT:
            self._failures = 0
            self._successes += 1
            self._failed_since_success.clear()
            self._failing.pop(item.address, None)
            self._to_mark.append(item)
            if not self._marking:
                await self._mark_finished()
            return
        try:
            await self._record_failure(item, result)
        except Exception as exc:  # the database: the row is still unsent, so it is tried again
            self._database_failed(exc, f"recording the failure of {item.id}")
        # Its row is still unsent (a retry) or its next one is due (given up): read them again.
        self._release([item], stale=True)

    async def _mark_finished(self) -> None:
        """Marks what finished sending, together: whatever finishes while one mark is written goes with the
        next. Only then are the recipients free for their next message."""
        self._marking = True
        try:
            # The sends whose answers came in the same turn of the event loop finish first, and share this mark and
            # its commit: a mark is written on the loop's thread, so nothing else finishes while it is written.
            await asyncio.sleep(0)
            while self._to_mark:
                batch, self._to_mark = self._to_mark, []
                try:
                    # Sent is sent: given up, these would go out again. A transient fault (the database locked
                    # or full) is waited out instead, and the recipients stay busy meanwhile.
                    await until_done(
                        partial(mark_sent, self.db, batch, self.clock(), self.on_sent),
                        f"outbox {self.channel}",
                        self.faults,
                    )
                except Exception:
                    # A bug. They stay unsent, so they are sent again after a restart, never lost; but not by this
                    # process, or it would send them over and over, each time failing to mark them.
                    log.exception("outbox %s: marking %d messages sent failed", self.channel, len(batch))
                    self._unmarked.update(item.id for item in batch)
                else:
                    self._remember_marks(batch)
                self._release(batch)
        finally:
            self._marking = False

    def _database_failed(self, exc: Exception, doing: str) -> None:
        """A transient fault (locked, full, read-only) goes to the log once a minute; anything else in full."""
        kind = database_fault(exc)
        if kind is None:
            log.exception("outbox %s: %s failed", self.channel, doing)
        else:
            self.faults.report(f"outbox {self.channel}", kind)

    def _release(self, items: Sequence[OutboxItem], *, stale: bool = False) -> None:
        for item in items:
            self._busy.pop(item.address, None)
        if not self._busy:
            self._idle.set()
        # The rows read are still due; only a freed recipient's next message is not among them.
        if stale or any(item.more for item in items):
            self._stale = True
        self._wake.set()

    async def _record_failure(self, item: OutboxItem, result: DeliveryResult) -> None:
        """A 429 pauses the channel and uses no attempt. Any other retry backs off the recipient alone, and the
        channel too once two recipients failed with no success between (an outage); it uses one of the message's
        attempts only if another send succeeded since its previous failure. A message that is given up, or has
        used its attempts, is set aside: failed, with its reason, and reported (on_give_up); the recipient's next
        messages go on."""
        now = real_now()
        attempted = 0
        if result.status is Delivery.RETRY and result.retry_after is None:
            streak, successes_then = self._failing.get(item.address, (0, -1))
            attempted = int(successes_then >= 0 and self._successes > successes_then)
            if attempted and item.attempts + 1 >= MAX_ATTEMPTS:
                result = replace(
                    result,
                    status=Delivery.GIVE_UP,
                    set_aside=ATTEMPTS_USED,
                    error=f"{result.error}; {MAX_ATTEMPTS} attempts",
                )
        if result.status is Delivery.GIVE_UP:
            self._failing.pop(item.address, None)
            async with self.db.transaction() as conn:
                await conn.execute(
                    "UPDATE outbox SET failed_at = ?, error = ?, attempts = attempts + 1 WHERE id = ?",
                    (utc_text(self.clock()), result.error, item.id),
                )
                if self.on_give_up:
                    await self.on_give_up(conn, item, result)
            log.warning("outbox %s: message %s set aside (%s)", self.channel, item.id, result.set_aside or result.error)
            return
        if result.retry_after is not None:
            # Flood control is the channel's, never one chat's: pause everything.
            wait = result.retry_after
            self.pacer.pause(wait)
        else:
            self._failing[item.address] = (streak + 1, self._successes)
            wait = backoff(streak, self.retry_base)
            self._failed_since_success.add(item.address)
            if len(self._failed_since_success) > 1:
                self.pacer.pause(backoff(self._failures, self.retry_base))
                self._failures += 1
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET not_before = ?, error = ?, attempts = attempts + ? WHERE id = ?",
                (utc_text(now + timedelta(seconds=wait)), result.error, attempted, item.id),
            )
        log.warning("outbox %s: retry in %.2fs (%s)", self.channel, wait, result.error)

    def _remember_marks(self, items: Sequence[OutboxItem]) -> None:
        if len(self._marks) >= MARKS_KEPT:  # those on the disk since (the clock's tick syncs every minute) are moot
            self._marks = {address: n for address, n in self._marks.items() if n > self.db.synced_commits}
        commits = self.db.commits
        for item in items:
            self._marks[item.address] = commits

    async def _previous_mark_on_disk(self, address: str) -> None:
        marked = self._marks.get(address)
        if marked is None:
            return
        if marked > self.db.synced_commits:
            await self.db.sync()
        del self._marks[address]

    async def _deliver_safely(self, item: OutboxItem) -> DeliveryResult:
        try:
            await self._previous_mark_on_disk(item.address)
            return await self.deliver(item)
        except Exception as exc:
            if database_fault(exc) is not None:  # the channel read the database (a stored document): wait it out
                return DeliveryResult(Delivery.RETRY, error=database_fault(exc))
            # A row the channel cannot send (a bug, a payload it cannot read) is a poison message: set aside at once,
            # or it would be tried again and again, and its recipient's next messages wait behind it.
            # The frames only: an exception's text can quote the payload (what someone wrote).
            frames = "".join(traceback.format_tb(exc.__traceback__))
            log.error(
                "outbox %s: delivery of %s failed unexpectedly (%s); set aside\n%s",
                self.channel,
                item.id,
                type(exc).__name__,
                frames,
            )
            return DeliveryResult(Delivery.GIVE_UP, error=f"unsendable ({type(exc).__name__})", set_aside=UNSENDABLE)
