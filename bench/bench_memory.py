"""Memory over a long run (issue 25): VmRSS of one bot every `--every` answers, to see what grows and whether it stops.

    .venv/bin/python -m bench.bench_memory --bot kkrbot --answers 30000     # ~2 minutes; --help for knobs

The bot (kkrbot with pacing off, or the bare echo bot) is its own process pinned to core 0 (`taskset -c 0`); this
process (the fake Bot API and the 46 roster people asking in a closed loop) is pinned to core 1, as in
bench.bench_cost, whose part 2 (after start, 1,000 and 10,000 answers) this extends. At every step it prints VmRSS
and its parts from /proc (RssAnon: the heap, Python's objects, SQLite's caches; RssFile: code and mapped files;
RssShmem: the WAL index SQLite maps), so a growth can be placed. It asserts nothing.

- `--env NAME=VALUE` (repeatable) sets the bot's environment, e.g. `--env MALLOC_ARENA_MAX=1`.
- `--variant memory` runs kkrbot as bench/bot_variants.py's `memory` variant: at every step the bot writes what
  SQLite's allocator holds (sqlite3_memory_used) and glibc's heap (mallinfo2); with `--tracemalloc`, also a
  tracemalloc snapshot, and at the end the bench prints the Python allocations that grew most from the first step
  to the last (tracemalloc slows the bot and adds its own memory: VmRSS is then not comparable).
- `--variant rss-steps` has kkrbot sum, between steps, what each of the event loop's callbacks (a task's step, by its
  coroutine) added to the resident size, and prints it for each step after the first: where a growth happens.
- `--variant trim` runs kkrbot with glibc's `malloc_trim(0)` every half second (bench/bot_variants.py).
  `--syscalls` counts the bot's mmap, munmap, brk, madvise and mprotect calls per answer after the warm-up
  (`perf stat`; a memory setting that returns memory to the system sooner makes more of them).
  `--smaps` prints the mappings (/proc/PID/smaps) whose resident size grew most from the first step to the last.
  `--keep FOLDER` keeps the database, the bot's log and the variant's files (`modules-STEP.txt`: sys.modules).
  `--cache-size N` sets `PRAGMA cache_size=N` on the bot's connection (the variant only; N < 0 is KiB).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import tempfile
import time
from pathlib import Path

from bench.bench_cost import BOT_CORE, prepare, wait_until_quiet
from bench.bench_delivery import cpu_seconds, echo_bot, stop, warm_up
from bench.loadgen import run_load
from tests.fake_telegram import FakeTelegram
from tests.processes import BotProcess, bind_everyone, wait_until_polling

PARTS = ("VmRSS", "RssAnon", "RssFile", "RssShmem")


def memory_parts(pid: int) -> dict[str, float]:
    """VmRSS and its parts now, in MiB."""
    parts = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in PARTS:
            parts[name] = int(value.split()[0]) / 1024
    return parts


def read_calls(pid: int) -> int:
    """read() and pread() calls the process made so far (/proc/PID/io syscr): a smaller SQLite cache reads more."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("syscr:"):
            return int(line.split()[1])
    raise RuntimeError(f"no syscr for process {pid}")


async def start(arguments: argparse.Namespace, tg: FakeTelegram, workdir: Path) -> tuple[int, object]:
    if arguments.bot == "echo":
        echo = await echo_bot(tg, rate_limiter=False, cpus=BOT_CORE)
        return echo.pid, echo
    env = dict(item.split("=", 1) for item in arguments.env)
    env["KKRBOT_TELEGRAM_MAX_MESSAGES_PER_SECOND"] = "0"
    if arguments.variant:
        env |= {"BENCH_VARIANT": arguments.variant, "BENCH_MEMORY_DIR": str(workdir)}
        if arguments.tracemalloc:
            env["BENCH_TRACEMALLOC"] = str(arguments.tracemalloc)
        if arguments.cache_size is not None:
            env["BENCH_CACHE_SIZE"] = str(arguments.cache_size)
    database = workdir / "kkrbot.sqlite3"
    bot = BotProcess(
        tg,
        database,
        workdir / "kkrbot.log",
        module="bench.bot_variants" if arguments.variant else "bot",
        cpus=BOT_CORE,
        real_clock=True,
        **env,
    )
    calls = tg.get_updates_calls
    await bot.start()
    await wait_until_polling(tg, calls)
    assert bot.process is not None
    return bot.process.pid, bot


def mappings(pid: int) -> dict[str, int]:
    """Rss in KiB of the process's mappings (/proc/PID/smaps), summed by name: [heap] (glibc's main heap),
    [anonymous] (Python's arenas, other threads' heaps, large blocks; the kernel merges and splits them), each file."""
    found: dict[str, int] = {}
    mapping = ""
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        fields = line.split()
        if "-" in fields[0] and not fields[0].endswith(":"):
            mapping = fields[5] if len(fields) > 5 else "[anonymous]"
        elif fields[0] == "Rss:":
            found[mapping] = found.get(mapping, 0) + int(fields[1])
    return found


def print_mappings(before: dict[str, int], after: dict[str, int], top: int) -> None:
    grown = sorted(((after[k] - before.get(k, 0), k) for k in after), reverse=True)[:top]
    print("\nMappings whose resident size grew most from step 1 to the last (/proc/PID/smaps):")
    for kib, name in grown:
        print(f"  {kib:+7d} KiB  {name}  (now {after[name]} KiB)")


SYSCALLS = ("mmap", "munmap", "brk", "madvise", "mprotect")


async def count_syscalls(pid: int) -> asyncio.subprocess.Process:
    """`perf stat` counting the bot's memory system calls until it is stopped (needs perf and root)."""
    events = ",".join(f"syscalls:sys_enter_{name}" for name in SYSCALLS)
    return await asyncio.create_subprocess_exec(
        "perf", "stat", "-x", ",", "-e", events, "-p", str(pid), stderr=asyncio.subprocess.PIPE
    )


async def print_syscalls(perf: asyncio.subprocess.Process, answers: int) -> None:
    perf.send_signal(signal.SIGINT)
    _, output = await perf.communicate()
    counts = {}
    for line in output.decode().splitlines():
        fields = line.split(",")
        if len(fields) > 2 and fields[2].startswith("syscalls:sys_enter_"):
            counts[fields[2].removeprefix("syscalls:sys_enter_")] = fields[0]
    per_answer = ", ".join(f"{k} {int(v) / answers:.3f}" if v.isdigit() else f"{k} {v}" for k, v in counts.items())
    print(f"  memory system calls per answer (perf stat): {per_answer}")


async def asked(pid: int, answer: Path) -> Path:
    """Sends the variant SIGUSR1 and waits for the file it writes in answer."""
    os.kill(pid, signal.SIGUSR1)
    for _ in range(600):
        if answer.exists():  # noqa: ASYNC240 (a bench polling for a small file)
            return answer
        await asyncio.sleep(0.05)
    raise RuntimeError(f"the bot did not write {answer.name}")


async def ask_the_bot(pid: int, workdir: Path, step: int) -> dict[str, float]:
    """The variant's own figures at this step (it writes them when it gets SIGUSR1)."""
    return json.loads((await asked(pid, workdir / f"memory-{step}.json")).read_text())  # type: ignore[no-any-return]


def print_growth(workdir: Path, first: int, last: int, top: int, frames: int) -> None:
    import tracemalloc

    before = tracemalloc.Snapshot.load(str(workdir / f"snapshot-{first}.pickle"))
    after = tracemalloc.Snapshot.load(str(workdir / f"snapshot-{last}.pickle"))
    print(f"\nPython allocations that grew most from step {first} to step {last} (tracemalloc):")
    for stat in after.compare_to(before, "traceback")[:top]:
        print(f"  {stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks")
        for line in stat.traceback.format()[-2 * frames :]:
            print(f"      {line}")


async def main(arguments: argparse.Namespace) -> None:
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(arguments.keep or folder)
        _roster, accounts = await bind_everyone(workdir / "kkrbot.sqlite3")
        users = list(accounts.values())
        async with FakeTelegram() as tg:
            await wait_until_quiet(arguments.quiet, arguments.quiet_wait, arguments.bot)
            pid, process = await start(arguments, tg, workdir)
            try:
                text = "question" if arguments.bot == "echo" else "/naeste"
                steps: list[tuple[int, dict[str, float]]] = []

                reads = [read_calls(pid)]
                cpu = [cpu_seconds(pid)]

                maps: list[dict[str, int]] = []

                async def record(answers: int) -> None:
                    figures = memory_parts(pid)
                    maps.append(mappings(pid))
                    reads.append(read_calls(pid))
                    cpu.append(cpu_seconds(pid))
                    if steps:
                        span = max(1, answers - steps[-1][0])
                        figures["reads/answer"] = (reads[-1] - reads[-2]) / span
                        figures["CPU ms/answer"] = (cpu[-1] - cpu[-2]) * 1000 / span
                    if arguments.variant == "memory":
                        figures |= await ask_the_bot(pid, workdir, len(steps))
                    if arguments.variant == "rss-steps":
                        await asked(pid, workdir / f"rss-steps-{len(steps)}.txt")
                    steps.append((answers, figures))
                    print(f"  {answers:>6,} answers: " + ", ".join(f"{k} {v:.1f}" for k, v in figures.items()))

                await record(0)
                await warm_up(tg, users)
                tg.clear()
                perf = await count_syscalls(pid) if arguments.syscalls else None
                done = 0
                while done < arguments.answers:
                    count = min(arguments.every, arguments.answers - done)
                    result = await run_load(tg, users, count, lambda u, n: text)
                    done += result.answered
                    tg.clear()
                    await record(done)
                if perf is not None:
                    await print_syscalls(perf, done)
                if arguments.smaps:
                    print_mappings(maps[1], maps[-1], arguments.top)
            finally:
                await stop(process)  # type: ignore[arg-type]
                tg.clear()
            if arguments.variant == "rss-steps":
                for step in range(2, len(steps)):
                    span = f"{steps[step - 1][0]:,} to {steps[step][0]:,} answers"
                    print(f"\nWhat made the resident size grow from {span} (by task):")
                    print((workdir / f"rss-steps-{step}.txt").read_text(), end="")
            if arguments.tracemalloc:
                print_growth(workdir, 1, len(steps) - 1, arguments.top, arguments.frames)
    print(f"({time.perf_counter() - began:.0f} s; load average after {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bot", choices=["kkrbot", "echo"], default="kkrbot")
    parser.add_argument("--answers", type=int, default=30_000)
    parser.add_argument("--every", type=int, default=1_000, help="answers between two figures")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE in the bot's environment")
    parser.add_argument(
        "--variant",
        choices=["memory", "trim", "small-reads", "rss-steps"],
        help="kkrbot as bench/bot_variants.py's variant",
    )
    parser.add_argument("--tracemalloc", type=int, default=0, help="with --variant memory: frames to keep (0: off)")
    parser.add_argument("--frames", type=int, default=4, help="frames printed per grown allocation")
    parser.add_argument("--top", type=int, default=15, help="grown allocations printed")
    parser.add_argument("--cache-size", type=int, help="with --variant memory: PRAGMA cache_size")
    parser.add_argument("--smaps", action="store_true", help="the mappings that grew most from step 1 to the last")
    parser.add_argument("--syscalls", action="store_true", help="memory system calls (perf stat, root)")
    parser.add_argument("--keep", help="a folder for the database, the log and the variant's files, kept")
    parser.add_argument("--quiet", type=float, default=0.3, help="load average to wait for before the run")
    parser.add_argument("--quiet-wait", type=float, default=30, help="longest wait for it, in seconds")
    arguments = parser.parse_args()
    if arguments.keep:
        Path(arguments.keep).mkdir(parents=True, exist_ok=True)
    prepare()
    asyncio.run(main(arguments))
