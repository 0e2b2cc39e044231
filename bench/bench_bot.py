"""kkrbot against a bare python-telegram-bot echo bot, in one run, against one fake Telegram server.

Both bots run as their own processes and poll the fake server; the load generator is in this process.
Prints, for each: median and p99 latency from a question reaching the fake server to the answer leaving
the bot, throughput, and peak memory; then kkrbot's absence alert latency (a member's confirmation to
the substitute's alert at the fake server). kkrbot runs with its durable inbox and outbox, as always.

Run from the project root: .venv/bin/python -m bench.bench_bot [--questions 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.loadgen import LoadResult, format_result, percentile, run_load
from bot.storage.roster import Roster
from tests.fake_telegram import FakeTelegram
from tests.processes import BotProcess, bind_everyone, peak_memory_kib, wait_until_polling

ABSENCE_MEETINGS = ("2027-02-12", "2027-04-23", "2027-06-25", "2027-09-10", "2027-11-26")


async def bench_echo(tg: FakeTelegram, users: list[int], questions: int) -> tuple[LoadResult, int]:
    calls = tg.get_updates_calls
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.echo_process", tg.token, tg.base_url, tg.base_file_url
    )
    try:
        await wait_until_polling(tg, calls)
        await run_load(tg, users, len(users), lambda u, n: "warm up")
        result = await run_load(tg, users, questions, lambda u, n: f"question {n}")
        return result, peak_memory_kib(process.pid)
    finally:
        process.terminate()
        await process.wait()


async def bench_kkrbot(
    tg: FakeTelegram, questions: int, workdir: Path, rate_limit: float, variant: str | None = None
) -> tuple[LoadResult, int, list[float]]:
    roster, users = await bind_everyone(workdir / "kkrbot.sqlite3")
    members = [users[m.id] for m in roster.members]
    bot = BotProcess(
        tg,
        workdir / "kkrbot.sqlite3",
        workdir / "kkrbot.log",
        module="bench.bot_variants" if variant else "bot",
        KKRBOT_TELEGRAM_MAX_MESSAGES_PER_SECOND=str(rate_limit),
        **({"BENCH_VARIANT": variant} if variant else {}),
    )
    calls = tg.get_updates_calls
    await bot.start()
    try:
        await wait_until_polling(tg, calls)
        for user in users.values():  # every account has written to the bot once, as bound ones have
            tg.inject_message(user, "/hjaelp")
        await tg.wait_for(lambda m: True, count=len(users), timeout=60)
        result = await run_load(tg, members, questions, lambda u, n: "/naeste")
        alerts = await absence_alerts(tg, roster, users)
        return result, bot.peak_memory_kib, alerts
    finally:
        await bot.terminate()
        if variant:
            print(f"  [{variant}] " + (workdir / "kkrbot.log").read_text().strip().splitlines()[-1])


async def absence_alerts(tg: FakeTelegram, roster: Roster, users: dict[str, int]) -> list[float]:
    """Seconds from a member's confirmation reaching the fake server to the substitute's alert leaving the bot."""
    latencies = []
    for meeting in ABSENCE_MEETINGS:
        for member in roster.members:
            substitute = users[roster.substitute_of[member.id] or ""]
            before = len(tg.sent_to(substitute))
            update_id = tg.inject_message(users[member.id], f"/afbud {meeting} ok")
            alert = (await tg.wait_for_messages(substitute, before + 1, timeout=30))[-1]
            latencies.append(alert.received_at - tg.injected_at[update_id])
    return latencies


async def main(questions: int, variant: str | None) -> None:
    users = list(range(80_000, 80_022))
    async with FakeTelegram() as tg:
        started = time.perf_counter()
        echo, echo_peak = await bench_echo(tg, users, questions)
        runs = {}
        plan: list[tuple[str, float, str | None]] = [
            ("kkrbot, limiter off", 0.0, None),
            ("kkrbot, Telegram's 30/s limit", 30.0, None),
        ]
        if variant:
            plan = [(f"kkrbot {variant}, limiter off", 0.0, variant)]
        for label, rate_limit, bot_variant in plan:
            tg.clear()
            with tempfile.TemporaryDirectory() as workdir:
                runs[label] = await bench_kkrbot(tg, questions, Path(workdir), rate_limit, bot_variant)
        took = time.perf_counter() - started
    print(format_result("echo bot (bare PTB, no limiter)", echo) + f", peak memory {echo_peak / 1024:.1f} MiB")
    for label, (result, peak, alerts) in runs.items():
        print(format_result(f"{label}: /naeste", result) + f", peak memory {peak / 1024:.1f} MiB")
        print(
            f"  vs echo: throughput {result.throughput / echo.throughput:.2f} (goal >= 0.8), "
            f"p99 {result.p99 / echo.p99:.2f} (goal <= 2), peak memory {peak / 1024:.1f} MiB (goal < 80)"
        )
        print(
            f"  absence alert, confirmation to substitute's alert ({len(alerts)} notices): "
            f"median {statistics.median(alerts) * 1000:.1f} ms, p99 {percentile(alerts, 99) * 1000:.1f} ms"
        )
    print(f"(whole run {took:.1f} s)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument(
        "--variant", choices=["no-fsync", "lock-timing"], help="an experiment (bench/bot_variants.py), limiter off"
    )
    arguments = parser.parse_args()
    asyncio.run(main(arguments.questions, arguments.variant))
