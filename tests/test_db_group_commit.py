"""Single writes share commits (bot/storage/db.py, `Database.write`): a write goes in with the next transaction to
begin, so writes that come together cost one disk sync. Each is durable when its writer is told so, and a
transaction that fails loses none of the writes it carried."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.storage.db import Database, first_row


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "kkrbot.sqlite3")
    yield database
    await database.close()


async def statements_run(db: Database) -> list[str]:
    """The statements the connection runs from now on, so a test can count the commits."""
    statements: list[str] = []
    await db.connection.set_trace_callback(statements.append)
    return statements


def commits(statements: list[str]) -> int:
    return sum(1 for statement in statements if statement.strip().upper() == "COMMIT")


async def meta(db: Database, key: str) -> str | None:
    async with db.read() as conn:
        row = await first_row(conn, "SELECT value FROM meta WHERE key = ?", (key,))
    return None if row is None else str(row[0])


def put(key: str) -> tuple[str, tuple[object, ...]]:
    return "INSERT INTO meta (key, value) VALUES (?, 'written')", (key,)


async def use_case(db: Database, key: str, release: asyncio.Event | None = None, *, fail: bool = False) -> None:
    """A use case's transaction; with `release`, it holds the lock until then, and writes pile up meanwhile."""
    async with db.transaction() as conn:
        await conn.execute(*put(key))
        if release is not None:
            await release.wait()
        if fail:
            raise RuntimeError("the use case failed")


async def test_writes_that_come_together_share_one_commit(db: Database) -> None:
    statements = await statements_run(db)
    await asyncio.wait_for(asyncio.gather(*(db.write(*put(f"mark {n}")) for n in range(3))), 5)
    assert [await meta(db, f"mark {n}") for n in range(3)] == ["written"] * 3
    assert commits(statements) == 1


async def test_writes_that_wait_for_a_transaction_share_the_next_commit(db: Database) -> None:
    release = asyncio.Event()
    holder = asyncio.create_task(use_case(db, "use case", release))
    await asyncio.sleep(0)
    statements = await statements_run(db)
    writers = [asyncio.create_task(db.write(*put(f"mark {n}"))) for n in range(3)]
    await asyncio.sleep(0.01)
    release.set()
    await asyncio.wait_for(asyncio.gather(holder, *writers), 5)
    assert [await meta(db, f"mark {n}") for n in range(3)] == ["written"] * 3
    assert commits(statements) == 2  # the use case's, and one for the three writes


async def test_a_transaction_that_begins_first_carries_the_write(db: Database) -> None:
    """The poller's stored batch goes in with the processor's transaction, which begins in the same turn."""
    statements = await statements_run(db)
    writer = asyncio.create_task(db.write(*put("batch")))
    await asyncio.sleep(0)  # the write waits one turn; the use case begins meanwhile
    await use_case(db, "use case")
    await asyncio.wait_for(writer, 5)
    assert await meta(db, "batch") == "written"
    assert commits(statements) == 1


async def test_a_failed_transaction_does_not_lose_the_write_it_carried(db: Database) -> None:
    writer = asyncio.create_task(db.write(*put("batch")))
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError):
        await use_case(db, "use case", fail=True)
    await asyncio.wait_for(writer, 5)  # rolled back with the use case, then committed in its own turn
    assert await meta(db, "batch") == "written"
    assert await meta(db, "use case") is None


async def test_a_carried_write_that_fails_tells_its_writer_and_the_others_go_with_the_next(db: Database) -> None:
    await db.write(*put("taken"))
    failing = asyncio.create_task(db.write(*put("taken")))  # the key is taken: this write fails
    other = asyncio.create_task(db.write(*put("mark")))
    await asyncio.sleep(0)
    with pytest.raises(sqlite3.IntegrityError):  # the transaction that carried it fails with it ...
        await use_case(db, "use case")
    with pytest.raises(sqlite3.IntegrityError):  # ... and its writer is told
        await asyncio.wait_for(failing, 5)
    await asyncio.wait_for(other, 5)
    assert await meta(db, "mark") == "written"


# A batch (`Database.batch`): the updates of one getUpdates processed in one transaction, each use case a savepoint.


async def test_use_cases_in_a_batch_share_one_commit(db: Database) -> None:
    statements = await statements_run(db)
    async with db.batch():
        for n in range(3):
            await use_case(db, f"update {n}")
    assert [await meta(db, f"update {n}") for n in range(3)] == ["written"] * 3
    assert commits(statements) == 1


async def test_a_use_case_that_fails_in_a_batch_is_undone_alone(db: Database) -> None:
    async with db.batch():
        await use_case(db, "before")
        with pytest.raises(RuntimeError):
            await use_case(db, "failing", fail=True)
        await use_case(db, "after")
    assert [await meta(db, key) for key in ("before", "failing", "after")] == ["written", None, "written"]


async def test_a_use_case_inside_a_use_case_in_a_batch_is_undone_alone(db: Database) -> None:
    async with db.batch(), db.transaction() as conn:
        await conn.execute(*put("outer"))
        with pytest.raises(RuntimeError):
            await use_case(db, "inner", fail=True)
        await conn.execute(*put("outer, after"))
    assert [await meta(db, key) for key in ("outer", "inner", "outer, after")] == ["written", None, "written"]


async def test_every_use_case_in_a_batch_runs_the_same_savepoint_statements(db: Database) -> None:
    """One text, prepared once and kept in sqlite3's statement cache, rather than a new one per use case."""
    statements = await statements_run(db)
    async with db.batch():
        for n in range(3):
            await use_case(db, f"update {n}")
    savepoints = {s for s in statements if s.startswith(("SAVEPOINT", "RELEASE"))}
    assert savepoints == {"SAVEPOINT turn", "RELEASE turn"}


async def test_a_batch_that_fails_undoes_all_of_it_and_keeps_the_writes_it_carried(db: Database) -> None:
    writer = asyncio.create_task(db.write(*put("stored updates")))
    await asyncio.sleep(0)

    async def fails_at_the_end() -> None:
        async with db.batch():
            await use_case(db, "update 1")
            raise sqlite3.OperationalError("database or disk is full")

    with pytest.raises(sqlite3.OperationalError):
        await fails_at_the_end()
    assert await meta(db, "update 1") is None
    await asyncio.wait_for(writer, 5)  # back in line, committed by its own transaction
    assert await meta(db, "stored updates") == "written"


async def test_inside_a_batch_reads_see_it_and_writes_commit_with_it(db: Database) -> None:
    """The processor's own reads and writes in a batch use the batch's transaction: the lock is the batch's."""
    statements = await statements_run(db)
    async with db.batch():
        await use_case(db, "update 1")
        assert await meta(db, "update 1") == "written"
        await db.write(*put("no handler"))
        assert commits(statements) == 0
    assert await meta(db, "no handler") == "written"
    assert commits(statements) == 1


async def test_other_tasks_wait_for_the_batch_and_see_only_what_it_committed(db: Database) -> None:
    release = asyncio.Event()
    seen: list[str | None] = []

    async def batch() -> None:
        async with db.batch():
            await use_case(db, "update 1")
            await release.wait()

    async def outbox() -> None:
        seen.append(await meta(db, "update 1"))

    batching = asyncio.create_task(batch())
    await asyncio.sleep(0.01)
    reader = asyncio.create_task(outbox())
    await asyncio.sleep(0.01)
    assert seen == []  # the outbox's read waits for the batch's lock
    release.set()
    await asyncio.wait_for(asyncio.gather(batching, reader), 5)
    assert seen == ["written"]


async def test_what_waits_for_the_commit_runs_after_it_and_never_after_a_rollback(db: Database) -> None:
    ran: list[str] = []
    async with db.batch():
        await use_case(db, "update 1")
        db.when_committed(lambda: ran.append("wake the outbox"))
        assert ran == []
    assert ran == ["wake the outbox"]
    ran.clear()

    async def fails() -> None:
        async with db.batch():
            db.when_committed(lambda: ran.append("wake the outbox"))
            raise RuntimeError("the batch failed")

    with pytest.raises(RuntimeError):
        await fails()
    assert ran == []
    db.when_committed(lambda: ran.append("outside a batch: at once"))
    assert ran == ["outside a batch: at once"]


async def test_a_second_task_s_batch_waits_for_the_first(db: Database) -> None:
    release = asyncio.Event()

    async def batch(key: str, wait: bool) -> None:
        async with db.batch():
            await use_case(db, key)
            if wait:
                await release.wait()

    first = asyncio.create_task(batch("first", True))
    await asyncio.sleep(0.01)
    second = asyncio.create_task(batch("second", False))
    await asyncio.sleep(0.01)
    assert not second.done()
    release.set()
    await asyncio.wait_for(asyncio.gather(first, second), 5)
    assert [await meta(db, key) for key in ("first", "second")] == ["written", "written"]


# --- commits without a disk sync (a sent mark; bot/delivery/outbox.py says why) ---------------------------------


def synced_files(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files kkrbot syncs itself (os.fdatasync), by name; SQLite's own syncs do not pass through Python."""
    synced: list[str] = []
    real = os.fdatasync

    def fdatasync(fd: int) -> None:
        synced.append(Path(os.readlink(f"/proc/self/fd/{fd}")).name)
        real(fd)

    monkeypatch.setattr(os, "fdatasync", fdatasync)
    return synced


async def synchronous(db: Database) -> int:
    async with db.read() as conn:
        row = await first_row(conn, "PRAGMA synchronous")
    assert row is not None
    return int(row[0])


async def test_a_write_that_need_not_be_durable_commits_without_a_sync_until_one_is_asked_for(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    statements = await statements_run(db)
    synced = synced_files(monkeypatch)
    await db.write(*put("sent mark"), durable=False)

    assert [statement.split()[0] for statement in statements] == ["PRAGMA", "BEGIN", "INSERT", "COMMIT", "PRAGMA"]
    assert (statements[0], statements[-1]) == ("PRAGMA synchronous=NORMAL", "PRAGMA synchronous=FULL")
    assert await meta(db, "sent mark") == "written"
    assert await synchronous(db) == 2  # FULL again, for everything else
    assert db.synced_commits < db.commits

    await db.sync()
    assert synced == ["kkrbot.sqlite3-wal"]
    assert db.synced_commits == db.commits
    await db.sync()  # nothing new to sync
    assert synced == ["kkrbot.sqlite3-wal"]


async def test_a_durable_write_or_transaction_that_carries_it_syncs_it(db: Database) -> None:
    statements = await statements_run(db)
    await asyncio.wait_for(
        asyncio.gather(db.write(*put("sent mark"), durable=False), db.write(*put("stored update"))), 5
    )
    assert commits(statements) == 1
    assert "PRAGMA synchronous=NORMAL" not in statements
    assert db.synced_commits == db.commits

    mark = asyncio.create_task(db.write(*put("another mark"), durable=False))
    await asyncio.sleep(0)  # the mark waits one turn; the use case begins meanwhile, and carries it
    await use_case(db, "use case")
    await asyncio.wait_for(mark, 5)
    assert commits(statements) == 2
    assert "PRAGMA synchronous=NORMAL" not in statements
    assert db.synced_commits == db.commits


async def test_opening_syncs_what_the_last_process_committed_without_a_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Else a crash of the process, then of the machine, could undo two sent marks of one recipient."""
    first = await Database.open(tmp_path / "kkrbot.sqlite3")
    await first.write(*put("sent mark"), durable=False)
    synced = synced_files(monkeypatch)
    second = await Database.open(tmp_path / "kkrbot.sqlite3")
    await second.close()
    await first.close()
    assert synced == ["kkrbot.sqlite3-wal"]
