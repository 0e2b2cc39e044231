"""What each kind of SQL statement costs kkrbot per answer on loopback: how many per answer, and the CPU (the event
loop's thread) and wall time of each, from bench/bot_variants.py's `statement-times` variant. A COMMIT's wall time is
mostly its disk sync; the CPU is what the statement costs the machine.

Run from the project root: .venv/bin/python -m bench.statement_times   (about a minute; --answers N; --variant
synced-marks: beside one more thing changed)
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import os
import tempfile
from pathlib import Path

from bench.bench_delivery import kkrbot, warm_up
from bench.loadgen import run_load
from tests.fake_telegram import FakeTelegram
from tests.processes import bind_everyone

BOT_CORE, SERVER_CORE = "0", 1


async def main(answers: int, shown: int, variant: str | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        _roster, accounts = await bind_everyone(workdir / "kkrbot.sqlite3")
        users = list(accounts.values())
        async with FakeTelegram() as tg:
            variants = ",".join(["statement-times", *([variant] if variant else [])])
            bot = await kkrbot(
                tg, workdir, cpus=BOT_CORE, KKRBOT_TELEGRAM_MAX_MESSAGES_PER_SECOND="0",
                module="bench.bot_variants", BENCH_VARIANT=variants,
            )  # fmt: skip
            await warm_up(tg, users)
            result = await run_load(tg, users, answers, lambda user, n: "/naeste")
            await bot.terminate()
        # Start and warm-up are counted too: a few hundred statements beside the answers' tens of thousands.
        line = next(x for x in (workdir / "kkrbot.log").read_text().splitlines() if x.startswith("times: "))
    times: dict[str, tuple[int, float, float]] = ast.literal_eval(line.removeprefix("times: "))
    n = result.answered
    cpu, wall = sum(t[1] for t in times.values()), sum(t[2] for t in times.values())
    print(f"kkrbot, {n:,} answers (/naeste) on loopback, pacing off, on core {BOT_CORE}: {result.throughput:.0f}/s")
    print(f"statements per answer: CPU {cpu / n * 1000:.3f} ms, wall {wall / n * 1000:.3f} ms")
    print("| per answer | CPU each | wall each | statement |")
    print("|---|---|---|---|")
    for words, (count, c, w) in sorted(times.items(), key=lambda item: -item[1][1])[:shown]:
        print(f"| {count / n:.2f} | {c / count * 1e6:.0f} µs | {w / count * 1e6:.0f} µs | `{words}` |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--answers", type=int, default=3000)
    parser.add_argument("--shown", type=int, default=12, help="kinds of statement shown, the costliest first")
    parser.add_argument("--variant", help="bench/bot_variants.py's name of one more thing changed (synced-marks, say)")
    arguments = parser.parse_args()
    os.sched_setaffinity(0, {SERVER_CORE})
    asyncio.run(main(arguments.answers, arguments.shown, arguments.variant))
