"""Never a 429 of our own making (issue 20): ten realistic runs of kkrbot, its own process, against the fake Bot API
with 50 ms added to every call and Telegram's flood limits enforced (tests/fake_telegram.py: at most 30 accepted
messages in any sliding second over all chats; per private chat a burst of 5, then one a second). In each run a
fresh bot starts and the whole bound roster (46 people) asks at once, closed-loop (each asks again when answered),
until `--questions` are answered. For each run the table gives the most messages that arrived in any one second
over all chats (at most 30), the most to one chat in any one second, and the 429s for each rule; the last line says
whether every run kept within both.

Run from the project root, on a quiet machine: .venv/bin/python -m bench.bench_flood  (about 2 minutes)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from bench.bench_delivery import DELAY, kkrbot, stop
from bench.loadgen import run_load
from bot.config import DEFAULT_TELEGRAM_IN_FLIGHT
from tests.fake_telegram import FLOOD_PER_SECOND, FakeTelegram
from tests.processes import bind_everyone


async def one_run(workdir: Path, questions: int, in_flight: str) -> dict[str, float]:
    async with FakeTelegram(response_delay=DELAY, flood_limits=True) as tg:
        _roster, accounts = await bind_everyone(workdir / "kkrbot.sqlite3")
        users = list(accounts.values())
        for user in users:
            tg.open_chat(user)
        bot = await kkrbot(tg, workdir, KKRBOT_TELEGRAM_IN_FLIGHT=in_flight)
        try:
            started = time.perf_counter()
            result = await run_load(tg, users, questions, lambda u, n: "/naeste")
            took = time.perf_counter() - started
        finally:
            await stop(bot)
        return {
            "answered": result.answered,
            "answers/s": result.answered / took,
            "most in 1 s": tg.busiest_second(),
            "most to 1 chat in 1 s": tg.busiest_chat_second(),
            "429 (30/s)": tg.flood_refusals - tg.flood_chat_refusals,
            "429 (per chat)": tg.flood_chat_refusals,
        }


async def main(arguments: argparse.Namespace) -> None:
    load_before = os.getloadavg()
    results = []
    for run in range(arguments.runs):
        with tempfile.TemporaryDirectory() as workdir:
            figures = await one_run(Path(workdir), arguments.questions, arguments.in_flight)
        results.append(figures)
        print(
            f"run {run + 1}: {figures['answered']:.0f} answered, {figures['answers/s']:.1f}/s; most in any second "
            f"{figures['most in 1 s']:.0f} (limit {FLOOD_PER_SECOND}), "
            f"to one chat {figures['most to 1 chat in 1 s']:.0f}; "
            f"429s {figures['429 (30/s)']:.0f} overall, {figures['429 (per chat)']:.0f} per chat",
            flush=True,
        )
    load_after = os.getloadavg()
    most = max(r["most in 1 s"] for r in results)
    most_chat = max(r["most to 1 chat in 1 s"] for r in results)
    refused = sum(r["429 (30/s)"] + r["429 (per chat)"] for r in results)
    print(
        f"{arguments.runs} runs: most in any second {most:.0f} (limit {FLOOD_PER_SECOND}), most to one chat in any "
        f"second {most_chat:.0f}, {refused:.0f} x 429; "
        f"{'within both limits in every run' if refused == 0 and most <= FLOOD_PER_SECOND else 'A LIMIT WAS PASSED'}; "
        f"{os.cpu_count()} cores, load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (1 min)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--questions", type=int, default=300, help="answered questions per run")
    parser.add_argument("--in-flight", default=str(DEFAULT_TELEGRAM_IN_FLIGHT), help="KKRBOT_TELEGRAM_IN_FLIGHT")
    asyncio.run(main(parser.parse_args()))
