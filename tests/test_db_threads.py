"""Where SQLite runs (bot/storage/db.py, `Connection`): every statement on the event loop's thread, unless it must
wait for another process's lock; that one waits on aiosqlite's thread, so the bot keeps answering while another
process holds the database."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import aiosqlite
import pytest

from bot.storage.db import Database, first_row


async def open_with_thread_probe(path: Path) -> Database:
    """The database, with an SQL function that names the thread a statement runs on."""
    db = await Database.open(path)
    await db.connection.create_function("thread", 0, lambda: threading.current_thread().name)
    return db


async def thread_of(conn: aiosqlite.Connection) -> str:
    """The thread this statement runs on."""
    row = await first_row(conn, "SELECT thread()")
    assert row is not None
    return str(row[0])


async def meta_value(db: Database, key: str) -> str | None:
    async with db.read() as conn:
        row = await first_row(conn, "SELECT value FROM meta WHERE key = ?", (key,))
    return None if row is None else str(row[0])


async def test_statements_run_on_the_loop_when_nobody_else_holds_the_database(tmp_path: Path) -> None:
    db = await open_with_thread_probe(tmp_path / "kkrbot.sqlite3")
    loop_thread = threading.current_thread().name
    try:
        async with db.transaction() as conn:
            inside = [await thread_of(conn) for _ in range(3)]
        async with db.read() as conn:
            outside = await thread_of(conn)
        await db.write("INSERT INTO meta (key, value) VALUES ('probe', thread())")
        single_write = await meta_value(db, "probe")
    finally:
        await db.close()
    assert inside == [loop_thread] * 3
    assert outside == loop_thread
    assert single_write == loop_thread


@pytest.mark.parametrize("how", ["transaction", "single write"])
async def test_the_loop_keeps_running_while_a_write_waits_for_another_process(tmp_path: Path, how: str) -> None:
    path = tmp_path / "kkrbot.sqlite3"
    db = await open_with_thread_probe(path)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing: `kkrbot roster import`, say
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def write() -> None:
        if how == "single write":
            await db.write("INSERT INTO meta (key, value) VALUES ('probe', thread())")
            return
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO meta (key, value) VALUES ('probe', thread())")
            await conn.execute("INSERT INTO meta (key, value) VALUES ('after', thread())")

    ticker = asyncio.create_task(tick())
    writer = asyncio.create_task(write())
    try:
        await asyncio.sleep(0.3)
        assert not writer.done()  # the write waits for the lock (busy_timeout) ...
        assert ticks >= 10  # ... in aiosqlite's thread: the loop went on
        other.execute("COMMIT")
        await asyncio.wait_for(writer, 5)
        loop_thread = threading.current_thread().name
        assert await meta_value(db, "probe") not in (None, loop_thread)  # waited in the thread, with BEGIN
        if how == "transaction":
            assert await meta_value(db, "after") == loop_thread  # the rest of the transaction, on the loop
        async with db.read() as conn:  # and the loop's statements no longer wait: busy_timeout is 0 again
            assert await thread_of(conn) == loop_thread
            assert tuple(await first_row(conn, "PRAGMA busy_timeout") or ()) == (0,)
    finally:
        ticker.cancel()
        other.close()
        await db.close()


async def test_a_failed_statement_on_the_loop_rolls_the_whole_transaction_back(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "kkrbot.sqlite3")

    async def write_the_same_key_twice() -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO meta (key, value) VALUES ('first', '1')")
            await conn.execute("INSERT INTO meta (key, value) VALUES ('first', '2')")  # the key is taken

    try:
        with pytest.raises(sqlite3.IntegrityError):
            await write_the_same_key_twice()
        async with db.transaction() as conn:  # the connection is usable again: the transaction was ended
            await conn.execute("INSERT INTO meta (key, value) VALUES ('second', '1')")
        first, second = await meta_value(db, "first"), await meta_value(db, "second")
    finally:
        await db.close()
    assert first is None
    assert second == "1"


async def test_a_transaction_after_a_checkpoint_commits(tmp_path: Path) -> None:
    """The checkpoint's result row is read to the end: left unread, its statement stayed active in aiosqlite's
    thread until the next call there, and that call was the next transaction's COMMIT."""
    db = await Database.open(tmp_path / "kkrbot.sqlite3")
    try:
        for round_ in range(3):
            async with db.transaction() as conn:
                await conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('round', ?)", (str(round_),))
            await db.checkpoint()
        assert await meta_value(db, "round") == "2"
    finally:
        await db.close()
