"""kkrbot with one thing changed, for experiments that explain the benchmark; never for production.

Run as `python -m bench.bot_variants run` with BENCH_VARIANT set:
- `no-fsync`: SQLite with synchronous=OFF, to see how much of kkrbot's cost the durable commits are;
- `lock-timing`: reports, at exit, how long the database lock was held, to see whether it is the bottleneck;
- `round-trips`: reports, at exit, the calls made to aiosqlite's thread, by statement (bench/loopback_cost.py).
"""

from __future__ import annotations

import asyncio
import atexit
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import aiosqlite

from bot import cli
from bot.storage.db import Database


def no_fsync() -> None:
    original = Database.open.__func__  # type: ignore[attr-defined]

    async def open_without_fsync(cls: type[Database], path: object) -> Database:
        database: Database = await original(cls, path)
        await database.connection.execute("PRAGMA synchronous=OFF")
        return database

    Database.open = classmethod(open_without_fsync)  # type: ignore[method-assign, assignment]


class TimedLock(asyncio.Lock):
    """The database lock, counting how long it is held in all."""

    held = 0.0
    uses = 0

    async def acquire(self) -> Literal[True]:
        acquired = await super().acquire()
        self._since = time.perf_counter()
        return acquired

    def release(self) -> None:
        TimedLock.held += time.perf_counter() - self._since
        TimedLock.uses += 1
        super().release()


def lock_timing() -> None:
    original = Database.__init__

    def init(self: Database, connection: aiosqlite.Connection, path: Path) -> None:
        original(self, connection, path)
        self._lock = TimedLock()

    Database.__init__ = init  # type: ignore[method-assign]
    atexit.register(
        lambda: print(f"lock held {TimedLock.held:.2f} s in {TimedLock.uses} uses", file=sys.stderr, flush=True)
    )


def round_trips() -> None:
    """Counts every call that goes to aiosqlite's thread (its `_execute`), by the statement's first words."""
    calls: Counter[str] = Counter()
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        sql = args[0] if args and isinstance(args[0], str) else getattr(fn, "__name__", "call")
        calls[" ".join(sql.split()[:4])] += 1
        return await original(self, fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    aiosqlite.Connection._execute = counted  # type: ignore[method-assign]
    atexit.register(
        lambda: print(f"round trips {sum(calls.values())}: {dict(calls.most_common())}", file=sys.stderr, flush=True)
    )


VARIANTS = {"no-fsync": no_fsync, "lock-timing": lock_timing, "round-trips": round_trips}

if __name__ == "__main__":
    VARIANTS[os.environ["BENCH_VARIANT"]]()
    raise SystemExit(cli.main(sys.argv[1:]))
