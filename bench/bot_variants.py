"""kkrbot with one thing changed, for experiments that explain the benchmark; never for production.

Run as `python -m bench.bot_variants run` with BENCH_VARIANT set (to several names, comma-separated, for several):
- `no-fsync`: SQLite with synchronous=OFF, to see how much of kkrbot's cost the durable commits are;
- `lock-timing`: reports, at exit, how long the database lock was held, to see whether it is the bottleneck;
- `statements`: reports, at exit, the statements run, the commits among them and the calls to aiosqlite's thread
  (bench/loopback_cost.py);
- `one-at-a-time`: each update in a transaction of its own (BATCH_LIMIT 1), as before the batches of issue 25;
- `synced-marks`: every sent mark commits with a disk sync of its own, as before issue 25's unsynced marks;
- `profile`: cProfile (the event loop's thread's CPU time) of the whole run, start-up included, written at exit to
  the file BENCH_PROFILE names (read it with `python -m pstats FILE`): which Python functions an answer runs;
- `statement-times`: reports, at exit, each kind of statement's count, CPU and wall time (bench/statement_times.py);
- `memory`: at every SIGUSR1, writes what SQLite's allocator and glibc's heap hold to BENCH_MEMORY_DIR (and, with
  BENCH_TRACEMALLOC set to a number of frames, a tracemalloc snapshot); with BENCH_CACHE_SIZE, `PRAGMA cache_size`
  on the connection (bench/bench_memory.py); since the sixth stop also Python's own allocator's arenas and blocks;
- `trim`: glibc's malloc_trim every half second (bench/bench_memory.py --variant trim);
- `gc`: reports, at exit, the cyclic garbage collector's collections and the CPU they took;
- `late-marks`: a sent mark waits up to BENCH_MARK_WAIT seconds (not one turn of the event loop) for another
  transaction to carry it;
- `small-reads`: asyncio's sockets read into a buffer of BENCH_READ_SIZE bytes (default 64 KiB), not 256 KiB;
- `cached-reads`: the meeting plan, the asker's absences and the latest agenda read once and kept (wrong once data
  changes): the most a cache of them could save per /naeste;
- `gc-freeze`: `gc.freeze()` after post_init, so that the collector no longer walks what start-up made;
- `rss-steps`: at every SIGUSR1, writes to BENCH_MEMORY_DIR which of the event loop's callbacks (a task's step, by its
  coroutine) made the resident size grow since the last signal, by how much and how often (bench_memory).
"""

from __future__ import annotations

import asyncio
import atexit
import ctypes
import os
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import aiosqlite

from bot import cli
from bot.channels import telegram
from bot.storage.db import Connection, Database


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


def statements() -> None:
    """Counts every statement kkrbot's connection runs, by its first words (bench/loopback_cost.py). A write outside a
    transaction commits on its own, so the commits (each a disk sync) are told apart by what they commit; the calls
    that go to aiosqlite's thread are counted apart."""
    counts: Counter[str] = Counter()
    on_the_loop = Connection._execute
    in_the_thread = aiosqlite.Connection._execute

    async def counted(self: Connection, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        sql = args[0] if args and isinstance(args[0], str) else getattr(fn, "__name__", "call")
        words = " ".join(sql.split()[:4])
        in_transaction = self._holding_write_lock or self._begin is not None
        if words.upper() == "COMMIT":
            words = "commit: a transaction"
        elif not in_transaction and words.split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            words = f"commit: {words}"
        counts[words] += 1
        return await on_the_loop(self, fn, *args, **kwargs)

    async def to_the_thread(self: aiosqlite.Connection, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        counts[THREAD] += 1
        return await in_the_thread(self, fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    Connection._execute = counted  # type: ignore[method-assign]
    aiosqlite.Connection._execute = to_the_thread  # type: ignore[method-assign]
    atexit.register(lambda: print(f"statements: {dict(counts.most_common())}", file=sys.stderr, flush=True))


def profile() -> None:
    import cProfile

    # CPU time of the event loop's thread, not wall time: a busy machine does not move the figures, and a disk sync
    # costs what it costs the CPU, not how long the disk took.
    profiler = cProfile.Profile(time.thread_time)
    profiler.enable()
    atexit.register(lambda: (profiler.disable(), profiler.dump_stats(os.environ["BENCH_PROFILE"])))


def one_at_a_time() -> None:
    telegram.BATCH_LIMIT = 1


def synced_marks() -> None:
    original = Database.write

    async def write(self: Database, sql: str, params: tuple[object, ...] = (), *, durable: bool = True) -> None:
        await original(self, sql, params)

    Database.write = write  # type: ignore[method-assign]


class MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks")
    ] + [("keepcost", ctypes.c_size_t)]


def memory() -> None:
    """Figures from inside the bot, on request (SIGUSR1), so bench_memory can place a growth: SQLite's own
    allocations (page cache, schema, statements) apart from glibc's heap as a whole and Python's objects."""
    import json
    import signal
    import tracemalloc

    folder = Path(os.environ["BENCH_MEMORY_DIR"])
    frames = int(os.environ.get("BENCH_TRACEMALLOC", "0"))
    if frames:
        tracemalloc.start(frames)
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = MallInfo2
    sqlite = ctypes.CDLL("libsqlite3.so.0")  # the library _sqlite3 loaded: the same allocator counts
    sqlite.sqlite3_memory_used.restype = ctypes.c_int64
    steps = iter(range(1_000_000))

    def pymalloc() -> dict[str, float]:
        """Python's small-object allocator, which maps its own 1 MiB arenas outside glibc's heap: what
        sys._debugmallocstats prints (to the C stderr, so through a file) of its arenas and blocks, in MiB."""
        import tempfile

        with tempfile.TemporaryFile() as out:
            sys.stderr.flush()
            saved = os.dup(2)
            os.dup2(out.fileno(), 2)
            try:
                sys._debugmallocstats()
            finally:
                os.dup2(saved, 2)
                os.close(saved)
            out.seek(0)
            text = out.read().decode()
        wanted = {
            "arenas": r"# arenas allocated current\s*=\s*([\d,]+)",
            "blocks": r"# bytes in allocated blocks\s*=\s*([\d,]+)",
            "available": r"# bytes in available blocks\s*=\s*([\d,]+)",
            "unused pools": r"unused pools \* \d+ bytes\s*=\s*([\d,]+)",
        }
        found: dict[str, float] = {}
        for name, pattern in wanted.items():
            match = re.search(pattern, text)
            value = int(match.group(1).replace(",", "")) if match else 0
            found[f"py {name}"] = value if name == "arenas" else value / (1024 * 1024)
        return found

    def write(_signal: int, _frame: object) -> None:
        step = next(steps)
        info = libc.mallinfo2()
        mib = 1024 * 1024
        figures = {
            "sqlite": sqlite.sqlite3_memory_used() / mib,
            "heap": (info.arena + info.hblkhd) / mib,
            "in use": (info.uordblks + info.hblkhd) / mib,
            "free": info.fordblks / mib,
            **pymalloc(),
        }
        if frames:
            tracemalloc.take_snapshot().dump(str(folder / f"snapshot-{step}.pickle"))
            figures["traced"] = tracemalloc.get_traced_memory()[0] / mib
        (folder / f"modules-{step}.txt").write_text("\n".join(sorted(sys.modules)) + "\n")
        partial = folder / f"memory-{step}.part"
        partial.write_text(json.dumps(figures))
        partial.rename(folder / f"memory-{step}.json")

    signal.signal(signal.SIGUSR1, write)
    cache_size = os.environ.get("BENCH_CACHE_SIZE")
    if cache_size is not None:
        original = Database.open.__func__  # type: ignore[attr-defined]

        async def open_with_cache_size(cls: type[Database], path: object) -> Database:
            database: Database = await original(cls, path)
            await database.connection.execute(f"PRAGMA cache_size={int(cache_size)}")
            return database

        Database.open = classmethod(open_with_cache_size)  # type: ignore[method-assign, assignment]


def trim() -> None:
    """glibc's malloc_trim(0) every half second, from a thread of its own: does the resident size that grows with
    the answers (docs/benchmarks.md, memory) go back to the system when asked? (It did not: +0.7 MiB either way.)"""
    libc = ctypes.CDLL("libc.so.6")

    def trimming() -> None:
        while True:
            time.sleep(0.5)
            libc.malloc_trim(0)

    threading.Thread(target=trimming, daemon=True).start()


def statement_times() -> None:
    """Reports, at exit, each kind of statement (by its first words): how many, and the CPU (the loop thread's) and
    wall time they took, so the cost of the database can be placed statement by statement (a COMMIT's wall time is
    mostly the disk sync)."""
    cpu: Counter[str] = Counter()
    wall: Counter[str] = Counter()
    count: Counter[str] = Counter()
    on_the_loop = Connection._execute

    async def timed(self: Connection, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        sql = args[0] if args and isinstance(args[0], str) else getattr(fn, "__name__", "call")
        words = re.sub(r"\d+", "N", " ".join(sql.split()[:3]))  # one kind: SAVEPOINT turn_1, turn_2, ...
        began_cpu, began = time.thread_time(), time.perf_counter()
        try:
            return await on_the_loop(self, fn, *args, **kwargs)
        finally:
            cpu[words] += time.thread_time() - began_cpu
            wall[words] += time.perf_counter() - began
            count[words] += 1

    Connection._execute = timed  # type: ignore[method-assign]
    atexit.register(
        lambda: print("times: " + repr({k: (count[k], cpu[k], wall[k]) for k in count}), file=sys.stderr, flush=True)
    )


def gc_times() -> None:
    """Reports, at exit, the cyclic garbage collector's collections by generation with the CPU they took, and the
    objects it tracks then: what collecting costs an answer."""
    import gc

    count: Counter[int] = Counter()
    cpu: dict[int, float] = {}
    began: list[float] = []

    def timing(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            began.append(time.thread_time())
        elif began:
            generation = info["generation"]
            cpu[generation] = cpu.get(generation, 0.0) + time.thread_time() - began.pop()
            count[generation] += 1

    gc.callbacks.append(timing)
    atexit.register(
        lambda: print(
            "gc: " + repr({g: (count[g], cpu[g]) for g in sorted(count)}) + f" tracked {len(gc.get_objects())}",
            file=sys.stderr,
            flush=True,
        )
    )


def late_marks() -> None:
    """A write that need not be durable at once (a sent mark) waits up to BENCH_MARK_WAIT seconds (default 0.02)
    for another transaction to carry it, instead of one turn of the event loop: how much the marks' own commits
    cost an answer. Errors are not handled as `Database.write` handles them: for measuring only. (It cost more: the
    marks' own commits went, but each recipient stayed busy until the next update's transaction, a getUpdates
    brought 1.4 updates rather than 3, and the synced commits per answer more than doubled; docs/benchmarks.md,
    sixth stop.)"""
    from bot.storage import db as db_module

    wait = float(os.environ.get("BENCH_MARK_WAIT", "0.02"))
    original = Database.write

    async def write(self: Database, sql: str, params: tuple[object, ...] = (), *, durable: bool = True) -> None:
        if durable or self._in_batch():
            return await original(self, sql, params, durable=durable)
        waiting = db_module._Write(sql, params, asyncio.get_running_loop().create_future(), durable)
        self._waiting.append(waiting)
        try:
            await asyncio.wait_for(asyncio.shield(waiting.done), wait)
        except TimeoutError:
            if not waiting.done.done():
                async with self.transaction(durable=False):
                    pass
        await waiting.done

    Database.write = write  # type: ignore[method-assign]


def small_reads() -> None:
    """asyncio's socket transports receive into a buffer of BENCH_READ_SIZE bytes (default 65536), not 256 KiB: a
    block that size comes and goes at every read, above glibc's first mmap threshold (128 KiB). Does the heap that
    grows with the answers (docs/benchmarks.md, memory) grow less? (It did not: sixth stop.)"""
    import asyncio.selector_events

    asyncio.selector_events._SelectorTransport.max_size = int(os.environ.get("BENCH_READ_SIZE", "65536"))


def cached_reads() -> None:
    """What an answer's three reads besides the asker cost at most: the meeting plan (the secretariat's changes
    applied), the asker's absences and the latest agenda, each read once and then kept, never read again. Wrong
    for a bot whose data changes (nothing here notices a change); right for the benchmark's closed loop of /naeste,
    in which nothing changes, so it bounds what a cache of these could save."""
    from bot.core import turn
    from bot.core.usecases import meetings, standing

    kept: dict[object, object] = {}

    def once(key: Callable[..., object], read: Callable[..., Any]) -> Callable[..., Any]:
        async def cached(*args: Any) -> Any:
            k = (read, key(*args))
            if k not in kept:
                kept[k] = await read(*args)
            return kept[k]

        return cached

    turn.plan = once(lambda conn, dataset: id(dataset), turn.plan)  # type: ignore[assignment]
    standing.active_absences_involving = once(lambda conn, person: person, standing.active_absences_involving)  # type: ignore[assignment]
    meetings.latest_agenda = once(lambda conn, meeting: meeting, meetings.latest_agenda)  # type: ignore[assignment]


def gc_freeze() -> None:
    """`gc.freeze()` once the bot is up (after post_init): what start-up made (modules, the roster, the catalogs)
    moves to a generation the collector never walks again. Does a collection that touches fewer objects save misses?"""
    import gc

    started = telegram.post_init

    async def post_init(application: Any) -> None:
        await started(application)
        gc.freeze()

    telegram.post_init = post_init


def rss_steps() -> None:
    """Places a growth of the resident size in a moment of the bot's work: every callback the event loop runs is
    bracketed by two reads of /proc/self/statm, and what grew is summed by the callback's name (a task's step by its
    coroutine). Costs two reads per callback; for bench_memory, not for timing."""
    import asyncio.events
    import signal

    folder = Path(os.environ["BENCH_MEMORY_DIR"])
    statm = open("/proc/self/statm", "rb", buffering=0)  # noqa: SIM115 (open for the process's life)
    page_kib = os.sysconf("SC_PAGE_SIZE") // 1024
    grown: Counter[str] = Counter()
    times: Counter[str] = Counter()
    steps = iter(range(1_000_000))

    def resident() -> int:
        statm.seek(0)
        return int(statm.read().split()[1]) * page_kib

    original = asyncio.events.Handle._run

    def run(self: asyncio.events.Handle) -> None:
        before = resident()
        original(self)
        after = resident()
        if after > before:
            callback = self._callback  # type: ignore[attr-defined]
            owner = getattr(callback, "__self__", None)
            if isinstance(owner, asyncio.Task):
                name = f"task {owner.get_coro().__qualname__}"  # type: ignore[union-attr]
            else:
                name = getattr(callback, "__qualname__", type(callback).__name__)
            grown[name] += after - before
            times[name] += 1

    def write(_signal: int, _frame: object) -> None:
        lines = [f"{kib:8d} KiB in {times[name]:5d} steps: {name}" for name, kib in grown.most_common(12)]
        (folder / f"rss-steps-{next(steps)}.txt").write_text("\n".join(lines) + "\n")
        grown.clear()
        times.clear()

    asyncio.events.Handle._run = run  # type: ignore[method-assign]
    signal.signal(signal.SIGUSR1, write)


THREAD = "calls to aiosqlite's thread"
VARIANTS = {
    "no-fsync": no_fsync,
    "lock-timing": lock_timing,
    "statements": statements,
    "profile": profile,
    "one-at-a-time": one_at_a_time,
    "synced-marks": synced_marks,
    "memory": memory,
    "statement-times": statement_times,
    "trim": trim,
    "gc": gc_times,
    "late-marks": late_marks,
    "small-reads": small_reads,
    "cached-reads": cached_reads,
    "gc-freeze": gc_freeze,
    "rss-steps": rss_steps,
}

if __name__ == "__main__":
    for name in os.environ["BENCH_VARIANT"].split(","):  # several: "statement-times,synced-marks"
        VARIANTS[name]()
    raise SystemExit(cli.main(sys.argv[1:]))
