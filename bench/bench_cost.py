"""Cost per answer (issue 25): kkrbot beside the bare python-telegram-bot echo bot, on loopback, in one run.

    .venv/bin/python -m bench.bench_cost     # about 6-10 minutes on a quiet 2-core machine; --help for knobs

Each bot is its own process pinned to core 0 (`taskset -c 0`, as on a 1-vCPU VM); this process (the fake Bot API,
tests/fake_telegram.py, without added latency or limits, and the 46 roster people asking in a closed loop) is
pinned to core 1. The echo bot runs without AIORateLimiter and kkrbot with pacing off, as in bench.bench_delivery
scenario 4.

1. CPU and rate: three alternating runs of each bot (echo, kkrbot, echo, ...), `--answers` answers each after a
   warm-up in which every person writes once. Prints CPU ms per answer (user + system of the bot's process, all
   its threads, from /proc; each run also user and system apart) and answers a second, each run and the mean, and
   kkrbot's ratios to the echo bot's (issue 25's goals: CPU <= 1.2x; the rate follows).
2. Memory: one more run of each bot, resident size (VmRSS) after start, after 1,000 and after 10,000 answers
   (goals: kkrbot <= 1.3x the echo bot's, and no growth from 1,000 to 10,000).
3. Start: from starting `kkrbot run` (the database warm: made and opened before) to its first `getUpdates`, at
   every start of kkrbot (goal <= 0.8 s), and the CPU seconds the process had used by then (what a busy machine
   changes least). The bytecode of bot/ and kkrcore/ and the catalogs are compiled first, as in an installed kkrbot
   (pip compiles the bytecode; the Dockerfile runs `kkrbot compile-locales`): a development tree with
   PYTHONDONTWRITEBYTECODE set compiles some 100 modules and both catalogs at every start instead.

Before each run it waits (up to `--quiet-wait` seconds) for the 1-minute load average to fall under `--quiet`
(0.3) and prints it; a run that starts above it is marked "NOT QUIET", and its figures are not comparable. Then it
times a fixed pure-Python loop on the bots' core (`host_check`), before and after each CPU run: the same work each
time, so a run whose checks took longer than the others ran on a slower host (a neighbour on the VM's host, which
no load average shows; on the machine of docs/benchmarks.md ten checks 3 s apart, idle, took 0.37-0.76 s). It prints
the ratio of the runs whose echo and kkrbot checks were all within 10 % of each other apart, and the median.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.bench_delivery import cpu_seconds, echo_bot, kkrbot, stop, user_and_system_seconds, warm_up
from bench.loadgen import run_load
from bot.i18n import compile_all
from tests.fake_telegram import FakeTelegram
from tests.processes import BotProcess, bind_everyone

BOT_CORE = "0"
SERVER_CORE = 1
MEMORY_AT = (1_000, 10_000)


@dataclass
class Runs:
    cpu_ms: list[float] = field(default_factory=list)
    rate: list[float] = field(default_factory=list)
    rss_mib: dict[str, float] = field(default_factory=dict)
    start_s: list[float] = field(default_factory=list)
    start_cpu_s: list[float] = field(default_factory=list)
    # HOST_CHECK's CPU seconds just before and just after each CPU run.
    host_s: list[tuple[float, float]] = field(default_factory=list)


def rss_mib(pid: int) -> float:
    """Resident size now (VmRSS), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


async def wait_until_quiet(limit: float, patience: float, what: str) -> None:
    """Until the 1-minute load average is under `limit` (or `patience` seconds went by); prints it."""
    waited = 0.0
    while os.getloadavg()[0] >= limit and waited < patience:
        await asyncio.sleep(5)
        waited += 5
    load = os.getloadavg()[0]
    mark = "" if load < limit else f"  NOT QUIET (>= {limit})"
    print(f"  {what}: load average {load:.2f} after waiting {waited:.0f} s{mark}", flush=True)


# The same pure-Python work every time: its CPU seconds say how fast the host runs Python just now.
HOST_CHECK = """
import time
t = time.process_time()
s = 0
for i in range(3_000_000):
    s += i * i % 7
print(time.process_time() - t)
"""


async def host_check() -> float:
    """CPU seconds of HOST_CHECK on the bots' core, in a process of its own."""
    process = await asyncio.create_subprocess_exec(
        "taskset", "-c", BOT_CORE, sys.executable, "-c", HOST_CHECK, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    return float(out)


async def start(name: str, tg: FakeTelegram, workdir: Path) -> tuple[int, BotProcess | asyncio.subprocess.Process]:
    """The bot's process, polling, pinned to the bot's core; for kkrbot, the seconds to its first getUpdates."""
    if name == "echo":
        echo = await echo_bot(tg, rate_limiter=False, cpus=BOT_CORE)
        return echo.pid, echo
    bot = await kkrbot(tg, workdir, cpus=BOT_CORE, KKRBOT_TELEGRAM_MAX_MESSAGES_PER_SECOND="0")
    assert bot.process is not None
    return bot.process.pid, bot


async def started(
    name: str, tg: FakeTelegram, workdir: Path, runs: Runs
) -> tuple[int, BotProcess | asyncio.subprocess.Process]:
    """`start`, and for kkrbot the seconds and the CPU seconds to its first getUpdates."""
    began = time.perf_counter()
    pid, process = await start(name, tg, workdir)
    if name == "kkrbot":
        runs.start_s.append(time.perf_counter() - began)
        runs.start_cpu_s.append(cpu_seconds(pid))
    return pid, process


async def cpu_run(name: str, tg: FakeTelegram, users: list[int], answers: int, workdir: Path, runs: Runs) -> None:
    pid, process = await started(name, tg, workdir, runs)
    try:
        await warm_up(tg, users)
        user, system = user_and_system_seconds(pid)
        result = await run_load(tg, users, answers, lambda u, n: "question" if name == "echo" else "/naeste")
        user_after, system_after = user_and_system_seconds(pid)
        per_answer = 1000 / result.answered
        runs.cpu_ms.append((user_after - user + system_after - system) * per_answer)
        runs.rate.append(result.throughput)
        print(
            f"  {name}: {runs.cpu_ms[-1]:.3f} ms CPU per answer ({(user_after - user) * per_answer:.3f} user, "
            f"{(system_after - system) * per_answer:.3f} system), {runs.rate[-1]:.0f} answers/s",
            flush=True,
        )
    finally:
        await stop(process)
        tg.clear()


async def memory_run(name: str, tg: FakeTelegram, users: list[int], workdir: Path, runs: Runs) -> None:
    pid, process = await started(name, tg, workdir, runs)
    try:
        runs.rss_mib["after start"] = rss_mib(pid)
        await warm_up(tg, users)
        done = 0
        for count in MEMORY_AT:
            await run_load(tg, users, count - done, lambda u, n: "question" if name == "echo" else "/naeste")
            done = count
            runs.rss_mib[f"after {count:,}"] = rss_mib(pid)
            tg.clear()
        print(f"  {name}: " + ", ".join(f"{k} {v:.1f} MiB" for k, v in runs.rss_mib.items()), flush=True)
    finally:
        await stop(process)
        tg.clear()


def spread(values: list[float], digits: int) -> str:
    return f"{statistics.fmean(values):.{digits}f} ({', '.join(f'{v:.{digits}f}' for v in values)})"


def prepare() -> None:
    """This process on the server's core; the bytecode and the catalogs compiled, as in an installed kkrbot."""
    if shutil.which("taskset") is None or (os.cpu_count() or 1) < 2:
        raise SystemExit("bench_cost needs taskset and two cores: the bot on one, the fake Bot API on the other")
    os.sched_setaffinity(0, {SERVER_CORE})
    root = Path(__file__).resolve().parent.parent
    for package in ("bot", "kkrcore"):
        compileall.compile_dir(root / package, quiet=1)
    compile_all()


async def main(arguments: argparse.Namespace) -> None:
    began, load_before = time.perf_counter(), os.getloadavg()[0]
    figures = {"echo": Runs(), "kkrbot": Runs()}
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        _roster, accounts = await bind_everyone(workdir / "kkrbot.sqlite3")
        users = list(accounts.values())
        async with FakeTelegram() as tg:
            print(f"1. CPU and rate: {arguments.rounds} alternating runs of {arguments.answers:,} answers", flush=True)
            for turn in range(arguments.rounds):
                for name in ("echo", "kkrbot"):
                    await wait_until_quiet(arguments.quiet, arguments.quiet_wait, f"run {turn + 1}, {name}")
                    before = await host_check()
                    await cpu_run(name, tg, users, arguments.answers, workdir, figures[name])
                    figures[name].host_s.append((before, await host_check()))
                    print(f"  host check before and after: {before:.3f} s, {figures[name].host_s[-1][1]:.3f} s")
            print("2. Memory: VmRSS after start, 1,000 and 10,000 answers", flush=True)
            for name in ("echo", "kkrbot"):
                await wait_until_quiet(arguments.quiet, arguments.quiet_wait, f"memory, {name}")
                await memory_run(name, tg, users, workdir, figures[name])
    echo, kkr = figures["echo"], figures["kkrbot"]
    print()
    memory_columns = " | ".join(f"VmRSS {k}" for k in echo.rss_mib)
    print(f"| bot (taskset -c 0) | CPU ms per answer | answers/s | {memory_columns} |")
    print("|---|---|---|" + "---|" * len(echo.rss_mib))
    for label, runs in (("echo bot (no limiter)", echo), ("kkrbot (pacing off)", kkr)):
        memory = " | ".join(f"{v:.1f} MiB" for v in runs.rss_mib.values())
        print(f"| {label} | {spread(runs.cpu_ms, 3)} | {spread(runs.rate, 0)} | {memory} |")
    cpu_ratios = [k / e for k, e in zip(kkr.cpu_ms, echo.cpu_ms, strict=True)]
    rate_ratios = [k / e for k, e in zip(kkr.rate, echo.rate, strict=True)]
    memory_ratios = " | ".join(f"{kkr.rss_mib[k] / echo.rss_mib[k]:.2f}x" for k in echo.rss_mib)
    print(f"| kkrbot ÷ echo | {spread(cpu_ratios, 2)}x | {spread(rate_ratios, 2)} | {memory_ratios} |")
    print()
    print(
        f"kkrbot ÷ echo, CPU per answer, the median of the {len(cpu_ratios)} runs: {statistics.median(cpu_ratios):.2f}x"
    )
    steady = [
        r for r, e, k in zip(cpu_ratios, echo.host_s, kkr.host_s, strict=True) if max(*e, *k) <= 1.1 * min(*e, *k)
    ]
    print(
        f"host check (CPU s of the same loop on core {BOT_CORE}, before and after each run; echo, kkrbot): "
        + "; ".join(
            f"{e[0]:.3f} {e[1]:.3f}, {k[0]:.3f} {k[1]:.3f}" for e, k in zip(echo.host_s, kkr.host_s, strict=True)
        )
    )
    print(
        f"runs whose four checks were within 10 % of each other: {len(steady)} of {len(cpu_ratios)}"
        + (f", kkrbot ÷ echo {spread(steady, 2)}x" if steady else "")
    )
    print(
        f"kkrbot, start to first getUpdates: {spread(kkr.start_s, 3)} s (goal <= 0.8 s); "
        f"CPU by then {spread(kkr.start_cpu_s, 3)} s"
    )
    growth = kkr.rss_mib[f"after {MEMORY_AT[1]:,}"] - kkr.rss_mib[f"after {MEMORY_AT[0]:,}"]
    print(f"kkrbot, VmRSS from {MEMORY_AT[0]:,} to {MEMORY_AT[1]:,} answers: {growth:+.1f} MiB")
    print(
        f"({time.perf_counter() - began:.0f} s; {os.cpu_count()} cores; load average before {load_before:.2f}, "
        f"after {os.getloadavg()[0]:.2f}; bots on core {BOT_CORE}, fake Bot API on core {SERVER_CORE})"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--answers", type=int, default=2000, help="answers per CPU run (part 1)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each bot (part 1)")
    parser.add_argument("--quiet", type=float, default=0.3, help="load average to wait for before each run")
    parser.add_argument("--quiet-wait", type=float, default=90, help="longest wait for it, in seconds")
    arguments = parser.parse_args()
    prepare()
    asyncio.run(main(arguments))
