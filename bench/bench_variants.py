"""kkrbot beside kkrbot with one thing changed (bench/bot_variants.py), in one run: the CPU per answer (user and
system time of the bot's process, from /proc) and the rate of each, in alternating runs, so that a change to the hot
path is measured against the bot without it on the same machine at the same time. bench_cost's closed loop: the 46
roster people asking /naeste, the bot alone on core 0, the fake Bot API on core 1, pacing off; before each run it waits
for the 1-minute load average to fall under --quiet, as bench_cost does.

Run from the project root: .venv/bin/python -m bench.bench_variants --variants one-at-a-time   (a few minutes)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
from pathlib import Path

from bench.bench_cost import BOT_CORE, SERVER_CORE, wait_until_quiet
from bench.bench_delivery import kkrbot, stop, user_and_system_seconds, warm_up
from bench.loadgen import run_load
from tests.fake_telegram import FakeTelegram
from tests.processes import bind_everyone

PLAIN = "kkrbot"


async def one_run(tg: FakeTelegram, workdir: Path, users: list[int], name: str, answers: int) -> tuple[float, ...]:
    variant = {} if name == PLAIN else {"module": "bench.bot_variants", "BENCH_VARIANT": name}
    bot = await kkrbot(tg, workdir, cpus=BOT_CORE, KKRBOT_TELEGRAM_MAX_MESSAGES_PER_SECOND="0", **variant)
    assert bot.process is not None
    try:
        await warm_up(tg, users)
        user, system = user_and_system_seconds(bot.process.pid)
        result = await run_load(tg, users, answers, lambda u, n: "/naeste")
        user_after, system_after = user_and_system_seconds(bot.process.pid)
    finally:
        await stop(bot)
        tg.clear()
    per_answer = 1000 / result.answered
    return (user_after - user) * per_answer, (system_after - system) * per_answer, result.throughput


async def main(arguments: argparse.Namespace) -> None:
    names = [PLAIN, *arguments.variants]
    figures: dict[str, list[tuple[float, ...]]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        _roster, accounts = await bind_everyone(workdir / "kkrbot.sqlite3")
        users = list(accounts.values())
        async with FakeTelegram() as tg:
            for turn in range(arguments.rounds):
                for name in names:
                    await wait_until_quiet(arguments.quiet, arguments.quiet_wait, f"round {turn + 1}, {name}")
                    user, system, rate = await one_run(tg, workdir, users, name, arguments.answers)
                    figures[name].append((user, system, rate))
                    print(f"  {name}: CPU {user + system:.3f} ms per answer ({user:.3f} user, {system:.3f} system), "
                          f"{rate:.0f} answers/s", flush=True)  # fmt: skip
    print("\n| bot | CPU ms per answer | user | system | answers/s |\n|---|---|---|---|---|")
    for name, runs in figures.items():
        user, system, rate = (statistics.fmean(run[i] for run in runs) for i in range(3))
        print(f"| {name} | {user + system:.3f} | {user:.3f} | {system:.3f} | {rate:.0f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", nargs="+", required=True, help="bench/bot_variants.py's names")
    parser.add_argument("--answers", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--quiet", type=float, default=0.3)
    parser.add_argument("--quiet-wait", type=float, default=90)
    arguments = parser.parse_args()
    os.sched_setaffinity(0, {SERVER_CORE})
    asyncio.run(main(arguments))
