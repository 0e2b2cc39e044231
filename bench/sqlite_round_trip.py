"""What a round trip to aiosqlite's thread costs, beside the statement it carries, and what a COMMIT costs
(WAL, synchronous=FULL and NORMAL, on the disk of the current folder, where the bot keeps its database by default): the
figures behind running SQLite on the event loop's thread (bot/storage/db.py, `Connection`).

Run from the project root: .venv/bin/python -m bench.sqlite_round_trip
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import time
from pathlib import Path

import aiosqlite

CALLS = 20_000
COMMITS = 1_000
QUERY = "SELECT a, b FROM t WHERE a = ?"


def setup(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE t (a, b)")
    conn.execute("INSERT INTO t VALUES (1, 2)")


async def main() -> None:
    async with aiosqlite.connect(":memory:", isolation_level=None) as conn:
        await conn.execute("CREATE TABLE t (a, b)")
        await conn.execute("INSERT INTO t VALUES (1, 2)")
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(CALLS):
            await conn.execute_fetchall(QUERY, (1,))
        hop_cpu, hop_wall = (time.process_time() - cpu) / CALLS, (time.perf_counter() - wall) / CALLS
    direct = sqlite3.connect(":memory:", isolation_level=None)
    setup(direct)
    cpu = time.process_time()
    for _ in range(CALLS):
        direct.execute(QUERY, (1,)).fetchall()
    direct_cpu = (time.process_time() - cpu) / CALLS
    print(f"one short SELECT, {CALLS:,} times:")
    print(f"  through aiosqlite's thread: {hop_cpu * 1e6:.1f} µs of CPU, {hop_wall * 1e6:.1f} µs wall, per call")
    print(f"  on the calling thread:      {direct_cpu * 1e6:.1f} µs of CPU per call")
    # FULL: every commit but an answer's sent mark; NORMAL: a sent mark (bot/delivery/outbox.py, OutboxWorker).
    for level in ("FULL", "NORMAL"):
        commit_cpu, commit_wall = commit(level)
        print(f"one INSERT and its COMMIT (WAL, synchronous={level}), {COMMITS:,} times, on the calling thread:")
        print(f"  {commit_wall * 1e3:.3f} ms wall, {commit_cpu * 1e3:.3f} ms of CPU, per commit")


def commit(synchronous: str) -> tuple[float, float]:
    """CPU and wall seconds per write transaction, as the bot's database makes them (bot/storage/db.py)."""
    with tempfile.TemporaryDirectory(dir=".") as folder:
        conn = sqlite3.connect(Path(folder) / "commit.sqlite3", isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={synchronous}")
        setup(conn)
        cpu, wall = time.process_time(), time.perf_counter()
        for n in range(COMMITS):
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t VALUES (?, ?)", (n, n))
            conn.execute("COMMIT")
        result = (time.process_time() - cpu) / COMMITS, (time.perf_counter() - wall) / COMMITS
        conn.close()
    return result


if __name__ == "__main__":
    asyncio.run(main())
