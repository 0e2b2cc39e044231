"""Never a 429 of our own making (issue 20): ten realistic runs of kkrbot, its own process, against the fake Bot API
with 50 ms added to every call and Telegram's flood limits enforced (tests/fake_telegram.py: at most 30 accepted
messages in any sliding second over all chats; per private chat a burst of 5, then one a second). In each run a
fresh bot starts and the whole bound roster (46 people) asks at once, closed-loop (each asks again when answered),
until `--questions` are answered. Per run and over all runs it prints the answers a second, the most messages that
arrived in any one second over all chats (limit 30) and the shortest span of 31 arrivals (above 1 s: none near a
429), the most to one chat in any one second (the per-chat rule allows a burst of 5), and the 429s for each rule.
It exits 1 if any run met a 429 or passed a limit.

Run from the project root, on a quiet machine: .venv/bin/python -m bench.bench_flood  (about 2 minutes)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_delivery import DELAY, kkrbot, stop
from bench.loadgen import run_load
from bot.config import DEFAULT_TELEGRAM_IN_FLIGHT
from tests.fake_telegram import FLOOD_CHAT_BURST, FLOOD_PER_SECOND, FakeTelegram
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
            "seconds": took,
            "most in 1 s": tg.busiest_second(),
            "31 in ≥ s": tg.tightest_second() or float("inf"),
            "most to 1 chat in 1 s": tg.busiest_chat_second(),
            "429 (30/s)": tg.flood_refusals - tg.flood_chat_refusals,
            "429 (per chat)": tg.flood_chat_refusals,
        }


def line(figures: dict[str, float]) -> str:
    return (
        f"{figures['answered']:.0f} answered, {figures['answered'] / figures['seconds']:.1f} answers/s; "
        f"most in any second {figures['most in 1 s']:.0f} (limit {FLOOD_PER_SECOND}), 31 in >= "
        f"{figures['31 in ≥ s']:.3f} s; most to one chat in any second {figures['most to 1 chat in 1 s']:.0f} "
        f"(burst {FLOOD_CHAT_BURST:.0f}); 429s {figures['429 (30/s)']:.0f} overall, "
        f"{figures['429 (per chat)']:.0f} per chat"
    )


def within_limits(figures: dict[str, float]) -> bool:
    """No 429 for either rule (the fake's per-chat bucket is the per-chat rule) and at most 30 in any second."""
    return figures["429 (30/s)"] + figures["429 (per chat)"] == 0 and figures["most in 1 s"] <= FLOOD_PER_SECOND


async def main(arguments: argparse.Namespace) -> bool:
    """Runs and prints; True if every run kept within both limits."""
    load_before = os.getloadavg()
    results = []
    for run in range(arguments.runs):
        with tempfile.TemporaryDirectory() as workdir:
            figures = await one_run(Path(workdir), arguments.questions, arguments.in_flight)
        results.append(figures)
        print(f"run {run + 1}: {line(figures)}", flush=True)
    load_after = os.getloadavg()
    overall = {
        "answered": sum(r["answered"] for r in results),
        "seconds": sum(r["seconds"] for r in results),
        "most in 1 s": max(r["most in 1 s"] for r in results),
        "31 in ≥ s": min(r["31 in ≥ s"] for r in results),
        "most to 1 chat in 1 s": max(r["most to 1 chat in 1 s"] for r in results),
        "429 (30/s)": sum(r["429 (30/s)"] for r in results),
        "429 (per chat)": sum(r["429 (per chat)"] for r in results),
    }
    kept = all(within_limits(r) for r in results)
    slowest = min(r["answered"] / r["seconds"] for r in results)
    print(
        f"{arguments.runs} runs: {line(overall)}; slowest run {slowest:.1f} answers/s; "
        f"{'within both limits in every run' if kept else 'A LIMIT WAS PASSED'}; "
        f"{os.cpu_count()} cores, load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (1 min)"
    )
    return kept


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--questions", type=int, default=300, help="answered questions per run")
    parser.add_argument("--in-flight", default=str(DEFAULT_TELEGRAM_IN_FLIGHT), help="KKRBOT_TELEGRAM_IN_FLIGHT")
    sys.exit(0 if asyncio.run(main(parser.parse_args())) else 1)
