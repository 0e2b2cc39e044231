"""The SQLite database: one aiosqlite connection, WAL with synchronous=FULL (a write that need not be durable at once
commits under NORMAL: `write`), migrations at open.

All writes go through `transaction()`, which serialises them with a lock: aiosqlite shares one connection
between tasks, and two interleaved transactions on it would commit each other's half-done work. A single write
(`write`) goes in with the next transaction to begin, so that writes that come together share one disk sync.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage.faults import Unrecoverable, database_fault
from bot.storage.migrations import MIGRATIONS

# How long a statement waits for another process's lock (`kkrbot roster import` while the bot runs, say), in
# aiosqlite's thread.
BUSY_TIMEOUT_MS = 5000


# This connection's own triggers (TEMP: not in the database's schema, so a backup or another process never has
# them): they tell the Database that a statement forgot a secret (migration 7 scrubbing a delivered invite
# message, migration 14 a processed /start token, retention emptying processed updates). The transaction's
# commit is then followed by a checkpoint, so the old page versions that held the secret leave the -wal file at
# once (and secure_delete zeroes them in the database file).
_FORGETTING_WATCHERS = """
CREATE TEMP TRIGGER IF NOT EXISTS outbox_contents_forgotten AFTER UPDATE OF payload ON outbox
WHEN OLD.payload IS NOT NEW.payload AND NEW.sensitive = 1
BEGIN SELECT kkrbot_secret_forgotten(); END;
CREATE TEMP TRIGGER IF NOT EXISTS inbox_contents_forgotten AFTER UPDATE OF payload ON inbox
WHEN OLD.payload IS NOT NEW.payload AND NEW.processed_at IS NOT NULL
BEGIN SELECT kkrbot_secret_forgotten(); END;
"""


def utc_text(moment: datetime) -> str:
    """Times are stored as UTC text so they sort and compare as strings."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_utc_text(text: str) -> datetime:
    return datetime.fromisoformat(text)


# Positional (?) or named (:name) parameters.
Params = tuple[object, ...] | Mapping[str, object]


async def rows(conn: aiosqlite.Connection, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
    """All rows in one round trip to SQLite's thread (a cursor takes three: execute, fetch, close)."""
    return list(await conn.execute_fetchall(sql, params))


async def first_row(conn: aiosqlite.Connection, sql: str, params: Params = ()) -> aiosqlite.Row | None:
    found = await rows(conn, sql, params)
    return found[0] if found else None


class Connection(aiosqlite.Connection):
    """aiosqlite's connection, which runs every statement on the event loop's own thread unless it must wait for
    another process: then, and only then, in aiosqlite's thread, under busy_timeout, while the loop goes on.

    A call to aiosqlite's thread costs about 0.1 ms of CPU in handing over and back, fifty to a hundred times what a
    short statement costs SQLite (`bench/sqlite_round_trip.py`), and a `/naeste` made three of them. The thread pays
    off only for a statement that waits, and in this process nothing does:
    - Another connection's lock is the one real wait (`kkrbot roster import` while the bot runs). The connection
      keeps busy_timeout 0 here, so a statement that would wait fails at once with SQLITE_BUSY, having done nothing,
      and is run again in the thread with busy_timeout BUSY_TIMEOUT_MS (the statement of a write transaction waits
      there together with its BEGIN IMMEDIATE). Once BEGIN holds the write lock, nothing in the transaction waits
      for anyone (in WAL mode readers never block a writer).
    - COMMIT syncs the WAL (synchronous=FULL) here too. That is a wait for the disk, but a short one: 0.25-0.36 ms
      on the machine of docs/benchmarks.md, 0.1 ms of it CPU, where the hop alone costs 0.07-0.12 ms of CPU
      (`bench/sqlite_round_trip.py`). On loopback the bot answers a fifth faster and with a fifth less CPU with
      its commits here than in the thread (`bench/bench_delivery.py`, scenario 4). A disk that syncs slowly makes
      every commit as slow in the thread as here; here it holds up the loop meanwhile, and loses nothing.

    Never two threads at once: `Database` serialises every use with its lock, and a call to the thread is awaited
    before the next statement, so the thread is idle whenever a statement runs here (the sqlite3 connection is
    opened with check_same_thread=False for that). Every statement goes through `_execute`, aiosqlite's one door
    to its thread, so this is the one place that needs to know."""

    _begin: str | None = None
    # BEGIN IMMEDIATE succeeded and neither COMMIT nor ROLLBACK has been sent.
    _holding_write_lock = False

    @property
    def transaction_lost(self) -> bool:
        """BEGIN was sent and nothing ended the transaction here, yet SQLite has none: it rolled all of it back
        (on some disk and memory errors). A statement now would run, and commit, on its own."""
        return self._holding_write_lock and not self.in_transaction

    def begin_with_next_statement(self, begin: str) -> None:
        self._begin = begin

    def end_transaction(self) -> bool:
        """Before COMMIT or ROLLBACK. True if the BEGIN was sent (there is a transaction to end); False if the
        transaction ran no statement, so there is nothing to commit."""
        self._holding_write_lock = False
        began, self._begin = self._begin is None, None
        return began

    def set_synchronous(self, level: str) -> None:
        """At once, without aiosqlite's cursor: a setting of the connection's that waits for nothing, changed twice
        for each commit without a sync (`Database.transaction`), where the two calls through aiosqlite cost more
        than the statements do."""
        self._conn.execute(f"PRAGMA synchronous={level}")

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        begin, self._begin = self._begin, None
        try:
            if begin is not None:
                self._conn.execute(begin)
                self._holding_write_lock = True
            return fn(*args, **kwargs)
        except sqlite3.OperationalError as exc:
            # The primary code of an extended one. A statement that fails with SQLITE_BUSY did nothing.
            if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY or (self._holding_write_lock and begin is None):
                raise
        statement = partial(fn, *args, **kwargs)

        def waiting_for_the_lock() -> Any:  # in aiosqlite's thread
            self._conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            try:
                if begin is not None and not self._holding_write_lock:
                    self._conn.execute(begin)
                    self._holding_write_lock = True
                return statement()
            finally:
                self._conn.execute("PRAGMA busy_timeout=0")

        return await super()._execute(waiting_for_the_lock)  # type: ignore[no-untyped-call]


def _inode(path: Path) -> int | None:
    if str(path) == ":memory:":
        return None
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return -1


@dataclass(frozen=True)
class _Write:
    sql: str
    params: tuple[object, ...]
    done: asyncio.Future[None]
    durable: bool


class Database:
    def __init__(self, connection: Connection, path: Path) -> None:
        self.connection = connection
        self.path = path
        self._lock = asyncio.Lock()
        self._inode = _inode(path)
        # Single writes waiting for the next transaction to carry them (`write`).
        self._waiting: list[_Write] = []
        # Set by the TEMP triggers when the running transaction forgot a secret (_FORGETTING_WATCHERS).
        self._forgot_secret = False
        # The task whose batch (`batch`) holds the transaction open: its transactions are savepoints in it.
        self._batch_task: asyncio.Task[Any] | None = None
        # What the batch's transactions left to do once it commits (`when_committed`).
        self._after_batch: list[Callable[[], None]] = []
        # Commits so far, and the last of them known to be on the disk (`commits`, `sync`).
        self._commits = 0
        self._synced = 0
        self._synchronous = "FULL"  # as `open` sets it

    @classmethod
    async def open(cls, path: Path) -> Database:
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
            # Create the file owner-only before SQLite does, so it is never readable by others.
            fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
            os.close(fd)
            os.chmod(path, 0o600)
        connection = Connection(
            partial(sqlite3.connect, path, isolation_level=None, check_same_thread=False), iter_chunk_size=64
        )
        await connection
        try:
            connection.row_factory = aiosqlite.Row
            await connection.execute("PRAGMA journal_mode=WAL")
            await connection.execute("PRAGMA synchronous=FULL")
            await connection.execute("PRAGMA foreign_keys=ON")
            # Nothing waits on the loop's thread: a statement that would wait for another process's lock waits in
            # aiosqlite's thread instead, under BUSY_TIMEOUT_MS (`Connection`).
            await connection.execute("PRAGMA busy_timeout=0")
            # Deleted and overwritten contents (a delivered invite link, a pruned message) are zeroed in the file,
            # not left in free space where a copy of the database would still hold them.
            await connection.execute("PRAGMA secure_delete=ON")
            # A page cache of 512 KiB, not SQLite's 2 MiB: the pages an answer reads fit in it, and the default one
            # filled with the inbox's and outbox's newest pages, so the bot grew for its first 2,000 answers
            # (bench.bench_memory, docs/benchmarks.md; issue 25). Durability does not depend on it.
            await connection.execute("PRAGMA cache_size=-512")
            database = cls(connection, path)
            # What the last process committed without a sync (its last sent marks) goes on the disk before this one
            # sends anything: otherwise a crash of the process and then of the machine could undo two marks of
            # one recipient (outbox.OutboxWorker).
            # One that cannot be synced now (a read-only disk) fails at its first durable commit instead.
            with contextlib.suppress(OSError):
                database._sync_wal()
            await database._migrate()
            await connection.create_function("kkrbot_secret_forgotten", 0, database._note_forgotten_secret)
            await connection.executescript(_FORGETTING_WATCHERS)
        except BaseException:
            # aiosqlite's thread would keep the process alive after the error is reported.
            await connection.close()
            raise
        return database

    async def _migrate(self) -> None:
        async with self.connection.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        version = int(row[0]) if row else 0
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            try:
                await self.connection.executescript(
                    f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version={number};\nCOMMIT;"
                )
            except sqlite3.Error as exc:
                if self.connection.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        await self.connection.execute("ROLLBACK")
                raise Unrecoverable(
                    f"the database {self.path} could not be migrated to version {number}: {exc}"
                ) from exc

    def _note_forgotten_secret(self) -> None:  # in a statement, from a TEMP trigger
        self._forgot_secret = True

    def ensure_file(self) -> None:
        """Raises `Unrecoverable` when the database file was deleted or replaced under the running bot: SQLite
        would go on writing into the deleted file, and all of it would be lost at the next start."""
        if self._inode is not None and _inode(self.path) != self._inode:
            raise Unrecoverable(f"the database file {self.path} was deleted or replaced while the bot ran")

    async def close(self) -> None:
        await self.connection.close()

    def _in_batch(self) -> bool:
        return self._batch_task is not None and self._batch_task is asyncio.current_task()

    @contextlib.asynccontextmanager
    async def batch(self) -> AsyncIterator[None]:
        """One transaction, one commit and one disk sync for several transactions of this task (the updates of one
        getUpdates, processed in order): inside it, each `transaction` is a savepoint that is undone alone when it
        fails, `read` and `write` use the batch's transaction, and `when_committed` waits for the batch's commit.

        What the savepoints released is durable only when the batch commits, and the batch's caller must not let
        anything out of the process before then (the outbox cannot read a row until it is committed). If the batch
        fails (the database's fault in one of them, or at the commit), all of it is rolled back and its caller
        does each again alone. Other tasks' transactions and writes wait for the lock meanwhile, and the single
        writes waiting when it begins (the poller's store of these very updates) go in with it. Inside means in this
        task: a task it starts waits for the batch like any other (and `asyncio.wait_for` on Python 3.11 runs what it
        waits for in a task of its own), so the batch's code awaits the database directly, as PTB's blocking
        handlers do."""
        if self._in_batch():
            raise RuntimeError("a batch inside a batch")
        try:
            async with self.transaction():
                self._batch_task = asyncio.current_task()
                try:
                    yield
                finally:
                    self._batch_task = None
        except BaseException:
            self._after_batch.clear()
            raise
        done, self._after_batch = self._after_batch, []
        for callback in done:
            callback()

    def when_committed(self, callback: Callable[[], None]) -> None:
        """Runs `callback` once what was just written is committed: at once, after a transaction of its own; at the
        batch's commit inside a batch, and never if the batch is rolled back (its transactions are then done
        again, and they ask again)."""
        if self._in_batch():
            self._after_batch.append(callback)
        else:
            callback()

    def _check_batch(self) -> None:
        if self.connection.transaction_lost:
            raise sqlite3.OperationalError("the batch's transaction was rolled back")

    @contextlib.asynccontextmanager
    async def _savepoint(self) -> AsyncIterator[aiosqlite.Connection]:
        """A transaction inside the batch: undone alone if it fails. A failure that also ended the batch's
        transaction (SQLite rolls all of it back on some disk and memory errors) is raised as it is, and the
        batch fails with it: a statement after it would run outside any transaction."""
        self._check_batch()
        # One name for all: the same text is one statement prepared once (sqlite3's cache holds 128), where a name
        # per turn prepared two new ones each time and pushed the others out. Nested, the innermost of the name
        # is the one ROLLBACK TO and RELEASE mean (https://sqlite.org/lang_savepoint.html).
        name = "turn"
        await self.connection.execute(f"SAVEPOINT {name}")
        try:
            yield self.connection
        except BaseException:
            if self.connection.in_transaction:
                await self.connection.execute(f"ROLLBACK TO {name}")
                await self.connection.execute(f"RELEASE {name}")
            raise
        await self.connection.execute(f"RELEASE {name}")

    @contextlib.asynccontextmanager
    async def transaction(self, *, durable: bool = True) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction. It begins with the single writes (`write`) waiting when it does, which share its
        commit; if it fails, they wait for the next one. Inside a `batch`, a savepoint of the batch's transaction.

        Its commit syncs the disk, unless it is not `durable` and carries no write that is: then it is committed
        without the sync (`commits`)."""
        if self._in_batch():
            async with self._savepoint() as conn:
                yield conn
            return
        async with self._lock:
            durable = durable or any(write.durable for write in self._waiting)
            # SQLite takes the setting only outside a transaction; set before the writes are taken, which a failure
            # here would lose.
            level = "FULL" if durable else "NORMAL"
            if self._synchronous != level:
                self._set_synchronous(level)
            carried, self._waiting = self._waiting, []
            self._forgot_secret = False
            self.connection.begin_with_next_statement("BEGIN IMMEDIATE")
            try:
                for write in carried:
                    try:
                        await self.connection.execute(write.sql, write.params)
                    except Exception as exc:
                        # The database's fault (locked, full) is the transaction's: the write waits for the next.
                        # Any other is the write's own: its writer is told, and this transaction fails with it.
                        if database_fault(exc) is None:
                            write.done.set_exception(exc)
                        raise
                yield self.connection
                if self.connection.end_transaction():
                    await self.connection.execute("COMMIT")
                    self._commits += 1
                    if durable:
                        self._synced = self._commits
            except BaseException:
                self.connection.end_transaction()
                # A COMMIT that failed (busy, disk full) leaves the transaction open, and a statement that
                # failed may have ended it already: roll back only what is open, or the connection stays
                # inside a transaction and every later BEGIN fails for good.
                if self.connection.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        await self.connection.execute("ROLLBACK")
                # Rolled back with the rest: back in line, for the next transaction, at the latest their writer's own.
                self._waiting[:0] = [write for write in carried if not write.done.done()]
                raise
            finally:
                if not durable:
                    # Back to FULL at once, for whatever else runs; if it cannot be now, the next durable
                    # transaction sets it before it begins.
                    with contextlib.suppress(sqlite3.Error):
                        self._set_synchronous("FULL")
            for write in carried:
                write.done.set_result(None)
            if self._forgot_secret:
                self._forgot_secret = False
                # Committed already: a checkpoint that cannot be done now (another process reading) is done by
                # the next one, at the latest the next tick's. Its result row read to the end, as in `checkpoint`.
                with contextlib.suppress(sqlite3.Error):
                    await self.connection.execute_fetchall("PRAGMA wal_checkpoint(TRUNCATE)")

    def _set_synchronous(self, level: str) -> None:
        """In WAL mode a commit under synchronous=NORMAL writes the WAL without a sync: it survives a crash of the
        process, not of the machine, until the next sync."""
        self.connection.set_synchronous(level)
        self._synchronous = level

    @property
    def commits(self) -> int:
        """How many transactions this connection has committed: what a writer committed is on the disk once
        `synced_commits` reaches the count read after its commit."""
        return self._commits

    @property
    def synced_commits(self) -> int:
        return self._synced

    async def sync(self) -> None:
        """Puts every commit so far on the disk: a sync of the WAL file, as a durable commit ends with. A commit
        without one is on the disk after the next durable commit, or this."""
        if self._synced == self._commits:
            return
        commits = self._commits
        self._sync_wal()
        self._synced = max(self._synced, commits)

    def _sync_wal(self) -> None:
        if str(self.path) == ":memory:":
            return
        try:
            fd = os.open(f"{self.path}-wal", os.O_RDONLY)
        except FileNotFoundError:
            return  # no WAL: a checkpoint moved it all into the database file, and synced that
        try:
            os.fdatasync(fd)
        finally:
            os.close(fd)

    async def write(self, sql: str, params: tuple[object, ...] = (), *, durable: bool = True) -> None:
        """One statement, committed when this returns, with whatever else commits then. One that need not be
        `durable` at once (a sent mark: outbox.py says why) does not sync the disk in a commit of its own.

        Each commit syncs the disk, and single writes come from several tasks at once: a batch of updates from the
        poller, sent marks from the outbox, beside the use cases' transactions. So a write waits for the next
        transaction to begin, whoever begins it, and goes in with it: after one turn of the event loop (the tasks
        that are ready by then go first: the processor, say, with the updates the poller has just handed over), in
        line for the lock. Its writer's own transaction commits it if no other carried it. Inside a `batch`, it is
        written at once, and commits with the batch."""
        if self._in_batch():
            self._check_batch()
            await self.connection.execute(sql, params)
            return
        write = _Write(sql, params, asyncio.get_running_loop().create_future(), durable)
        self._waiting.append(write)
        try:
            await asyncio.sleep(0)
            if not write.done.done():
                async with self.transaction(durable=durable):
                    pass  # carries this write, unless a transaction that began before carried it already
        except BaseException:
            # It failed in its writer's own transaction, and the writer is told: nobody carries it later.
            with contextlib.suppress(ValueError):
                self._waiting.remove(write)
            if write.done.done() and not write.done.cancelled():
                write.done.exception()  # the same failure is raised here
            raise
        await write.done

    async def checkpoint(self) -> None:
        """Copies the WAL into the database file and empties it: old page versions in the WAL (a message
        before it was scrubbed) would otherwise stay readable in the -wal file until SQLite reuses it."""
        async with self._lock:
            # Its result row read to the end: a statement with a row left unread stays active, and aiosqlite's
            # thread holds on to the last cursor it made until its next call, so the next COMMIT there would fail
            # ("SQL statements in progress").
            await self.connection.execute_fetchall("PRAGMA wal_checkpoint(TRUNCATE)")

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        """Reads take the same lock, so they never see another task's transaction half done. Inside a `batch`, the
        batch's own transaction: what it wrote so far."""
        if self._in_batch():
            yield self.connection
            return
        async with self._lock:
            yield self.connection
