"""CPU per answer as instruction counts, kkrbot beside the bare echo bot (issue 25's first goal: at most 1.2x).

It counts instructions, not seconds: each bot runs as its own process under valgrind's callgrind, which counts
every instruction the process executes in user space (all its threads: aiosqlite's too), the same however busy
the machine is. Counting is switched on (`callgrind_control -i on`) after the bot is up and every account has
asked once (`bench_delivery.warm_up`), and off after the measured questions were all answered, so start-up is
not in the count. What the kernel does for the process (the disk syncs, the sockets) is not counted: the commits
per answer (`bench.loopback_cost`) say how many syncs each answer takes.

Not quite independent of the machine, all the same: how many updates one getUpdates brings, and how many sends
share one sent mark, depend on timing, and each poll or commit fewer is work saved per answer. The bench prints the
getUpdates calls per answer beside the count; runs on a busy machine (load 6) moved kkrbot's count by up to 3 %.

Loopback as `bench_delivery` scenario 4: no added latency, no flood limits, kkrbot's pacing off, the echo bot
without AIORateLimiter; kkrbot answers `/naeste` from the 46 bound roster people, the echo bot echoes. Under
callgrind a process runs 50-100 times slower, so the default is a few hundred questions (about 2-4 minutes).

With `--variant NAME` it also counts kkrbot with one of bench/bot_variants.py's changes and prints its ratios to
kkrbot: a change's effect in instructions and misses, which no busy host moves (`--only kkrbot --variant NAME`
counts the two kkrbots alone).

Run from the project root: .venv/bin/python -m bench.instructions_per_answer  (--questions N, --only kkrbot)
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.loadgen import run_load
from tests.fake_telegram import FakeTelegram
from tests.processes import PROJECT_ROOT, BotProcess, bind_everyone

# Under callgrind, start-up takes tens of seconds, and an answer tens of milliseconds.
START_TIMEOUT = 600.0
LOAD_TIMEOUT = 1800.0
VALGRIND = ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--vgdb=yes"]
# With --cache-sim: callgrind's caches, the last level sized as this machine's per-core L2 (AMD EPYC: 512 KiB,
# 8-way), not its L3, which the VM's host shares with other guests (its CPUID reports 256 MiB). A miss there is a
# trip to the shared L3 or to memory.
CACHE_SIM = ["--cache-sim=yes", "--LL=524288,8,64"]
MISSES = {"L1 misses": ("I1mr", "D1mr", "D1mw"), "L2 misses": ("ILmr", "DLmr", "DLmw")}


async def up(tg: FakeTelegram, calls_before: int) -> None:
    async with asyncio.timeout(START_TIMEOUT):
        while tg.get_updates_calls <= calls_before:  # noqa: ASYNC110 - the poller is another process
            await asyncio.sleep(0.1)


def callgrind_control(*args: str) -> None:
    subprocess.run(["callgrind_control", *args], check=True, capture_output=True, timeout=300)


def counted_events(out_file: Path) -> dict[str, int]:
    """What was counted, by event (Ir: instructions; with the cache simulation also its misses): the `totals:` line
    of callgrind's output, named by its `events:` line (the `summary:` line holds only what was counted since the
    last switch, 0 once counting is off)."""
    text = out_file.read_text()
    names = re.search(r"^events: (.+)$", text, re.MULTILINE)
    totals = re.search(r"^totals: ([\d ]+)$", text, re.MULTILINE)
    if names is None or totals is None:
        raise RuntimeError(f"no counts in {out_file}")
    return dict(zip(names.group(1).split(), map(int, totals.group(1).split()), strict=True))


async def measure(
    tg: FakeTelegram, users: list[int], questions: int, text: str, start: CountedProcess, keep: Path | None
) -> dict[str, int]:
    """Events per answer of one bot process (instructions, and misses with --cache-sim), counted over `questions`
    answers after the warm-up."""
    out_file = start.log.with_suffix(".callgrind")
    calls = tg.get_updates_calls
    await start.start()
    assert start.process is not None
    pid = str(start.process.pid)
    try:
        await up(tg, calls)
        await warm_up_slowly(tg, users)
        await asyncio.to_thread(callgrind_control, "-i", "on", pid)
        polls = tg.get_updates_calls
        result = await run_load(tg, users, questions, lambda u, n: text, timeout=LOAD_TIMEOUT)
        polls = tg.get_updates_calls - polls
        await asyncio.to_thread(callgrind_control, "-i", "off", pid)
        if result.unanswered:
            raise RuntimeError(f"{result.unanswered} questions unanswered")
    finally:
        await start.terminate_slowly()
    if keep is not None:
        shutil.copy(out_file, keep / out_file.name)
    print(f"  ({polls / result.answered:.2f} getUpdates calls per answer)", flush=True)
    return {event: count // result.answered for event, count in counted_events(out_file).items()}


async def warm_up_slowly(tg: FakeTelegram, users: list[int]) -> None:
    """`bench_delivery.warm_up` with callgrind's patience: every account has asked once, every answer is out."""
    async with asyncio.timeout(START_TIMEOUT):
        already = len(tg.sent)
        for user in users:
            tg.inject_message(user, "/hjaelp")
        await tg.wait_for(lambda m: True, count=already + len(users), timeout=START_TIMEOUT)


class CountedProcess(BotProcess):
    """A bot process run under callgrind: `kkrbot run`, or with `argv` another module (the echo bot)."""

    def __init__(
        self, tg: FakeTelegram, database: Path, log: Path, argv: list[str] | None = None, cache_sim: bool = False,
        **env: str,
    ):  # fmt: skip
        super().__init__(tg, database, log, real_clock=True, **env)
        self.argv = argv
        self.cache_sim = cache_sim

    async def start(self) -> None:
        out_file = self.log.with_suffix(".callgrind")
        environment = self.environment()
        argv = self.argv or ["-m", "bot", "run"]
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                *VALGRIND, *(CACHE_SIM if self.cache_sim else []), f"--callgrind-out-file={out_file}",
                sys.executable, *argv,
                env=environment, stdout=log, stderr=log, cwd=PROJECT_ROOT if self.argv else self.database.parent,
            )  # fmt: skip

    async def terminate_slowly(self) -> None:
        assert self.process is not None
        self.process.terminate()
        await asyncio.wait_for(self.process.wait(), START_TIMEOUT)


def misses(events: dict[str, int]) -> dict[str, int]:
    """The L1 and L2 misses, each summed over instructions and data, of the events counted (none without the
    cache simulation)."""
    return {
        label: sum(events[part] for part in parts)
        for label, parts in MISSES.items()
        if all(part in events for part in parts)
    }


def per_answer(name: str, events: dict[str, int]) -> str:
    return f"{name}: {events['Ir']:,} instructions per answer" + "".join(
        f", {count:,} {label}" for label, count in misses(events).items()
    )


async def main(questions: int, only: str, keep: Path | None, cache_sim: bool, variant: str) -> None:
    counted: dict[str, dict[str, int]] = {}
    async with FakeTelegram() as tg:
        with tempfile.TemporaryDirectory() as workdir:
            database = Path(workdir) / "kkrbot.sqlite3"
            _roster, accounts = await bind_everyone(database)
            users = list(accounts.values())
            if only in ("", "echo"):
                echo = CountedProcess(
                    tg, database, Path(workdir) / "echo.log",
                    argv=["-m", "bench.echo_process", tg.token, tg.base_url, tg.base_file_url], cache_sim=cache_sim,
                )  # fmt: skip
                counted["echo"] = await measure(tg, users, questions, "question", echo, keep)
                print(per_answer("echo bot (no limiter)", counted["echo"]), flush=True)
            if only in ("", "kkrbot"):
                bot = CountedProcess(
                    tg, database, Path(workdir) / "kkrbot.log", cache_sim=cache_sim,
                    KKRBOT_TELEGRAM_MAX_MESSAGES_PER_SECOND="0",
                )  # fmt: skip
                counted["kkrbot"] = await measure(tg, users, questions, "/naeste", bot, keep)
                print(per_answer("kkrbot, pacing off (/naeste)", counted["kkrbot"]), flush=True)
            if variant:
                changed = CountedProcess(
                    tg, database, Path(workdir) / f"kkrbot-{variant}.log", argv=["-m", "bench.bot_variants", "run"],
                    cache_sim=cache_sim, KKRBOT_TELEGRAM_MAX_MESSAGES_PER_SECOND="0", BENCH_VARIANT=variant,
                )  # fmt: skip
                counted[variant] = await measure(tg, users, questions, "/naeste", changed, keep)
                print(per_answer(f"kkrbot ({variant})", counted[variant]), flush=True)
    for name, against in (("kkrbot", "echo"), (variant, "kkrbot")):
        if name in counted and against in counted:
            ratios(name, counted[name], against, counted[against], questions)


def ratios(name: str, counted: dict[str, int], against: str, base: dict[str, int], questions: int) -> None:
    goal = " (goal <= 1.2)" if against == "echo" else ""
    against = "echo bot" if against == "echo" else against
    print(f"{name} / {against}: {counted['Ir'] / base['Ir']:.2f}x{goal}, {questions} answers each")
    base_misses, counted_misses = misses(base), misses(counted)
    for label, count in base_misses.items():
        print(f"{name} / {against}, {label}: {counted_misses[label] / count:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--only", choices=["echo", "kkrbot"], default="")
    parser.add_argument(
        "--keep", type=Path, help="a folder to keep callgrind's files in (callgrind_annotate reads them)"
    )
    parser.add_argument(
        "--cache-sim",
        action="store_true",
        help="also simulate the caches (L1, and a 512 KiB L2 as the last level) and count the misses; slower",
    )
    parser.add_argument(
        "--variant", default="", help="also count kkrbot with bench/bot_variants.py's change NAME, beside kkrbot"
    )
    arguments = parser.parse_args()
    asyncio.run(main(arguments.questions, arguments.only, arguments.keep, arguments.cache_sim, arguments.variant))
