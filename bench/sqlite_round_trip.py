"""What a round trip to aiosqlite's thread costs, beside the statement it carries: the figure behind running a
write transaction's statements on the event loop's thread (bot/storage/db.py, `Connection`).

Run from the project root: .venv/bin/python -m bench.sqlite_round_trip
"""

from __future__ import annotations

import asyncio
import sqlite3
import time

import aiosqlite

CALLS = 20_000
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


if __name__ == "__main__":
    asyncio.run(main())
