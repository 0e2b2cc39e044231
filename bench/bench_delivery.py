"""Delivery at Telegram's limits (issue #8): kkrbot beside a bare python-telegram-bot echo bot, each its own
process, against one fake Bot API (tests/fake_telegram.py) in one run. Prints one table.

1. Throughput at Telegram's limits: 50 ms added to every call, 30 messages a second enforced with 429s (and
   about one a second per chat): closed-loop questions (`/naeste`) from the 46 bound roster people; the echo bot
   runs with PTB's `AIORateLimiter`.
2. Bulk: 1,000 bulk messages (100 recipients of the bench's own, 10 each) queued in kkrbot's outbox before it
   starts, at the same limits; one question a second while they drain (the light load of scenario 3).
3. Light load: one question a second, 50 ms added, no flood limits; latency beside the echo bot's.
4. Loopback, no limits, no pacing: CPU seconds per 1,000 answers of each bot process, and answers a second; the
   bots take turns, three runs each, and the table gives the mean and each run.

Latency runs from the question reaching the fake server to the answer reaching it. The machine's load average
is printed with the table: on a busy machine every figure is worse.

Run from the project root: .venv/bin/python -m bench.bench_delivery  (about 3 minutes; --help for knobs)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.loadgen import LoadResult, percentile, run_load
from bot.config import DEFAULT_TELEGRAM_IN_FLIGHT
from bot.delivery.message import Message
from bot.delivery.outbox import Lane, enqueue
from bot.storage.db import Database
from tests.fake_telegram import FakeTelegram, SentMessage
from tests.processes import BotProcess, bind_everyone, wait_until_polling

DELAY = 0.05
BULK_RECIPIENTS = range(95_000, 95_100)


@dataclass
class Row:
    scenario: str
    bot: str
    figures: dict[str, str] = field(default_factory=dict)


def user_and_system_seconds(pid: int) -> tuple[float, float]:
    """User and system CPU time of a running process, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / ticks, int(fields[12]) / ticks


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process, all its threads."""
    return sum(user_and_system_seconds(pid))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def latency_figures(latencies: list[float]) -> dict[str, str]:
    return {"p50 ms": ms(statistics.median(latencies)), "p99 ms": ms(percentile(latencies, 99))}


async def echo_bot(tg: FakeTelegram, rate_limiter: bool, cpus: str | None = None) -> asyncio.subprocess.Process:
    """The echo bot's process, polling; with `cpus`, on those cores only (`taskset -c`)."""
    calls = tg.get_updates_calls
    args = [tg.token, tg.base_url, tg.base_file_url] + (["--rate-limiter"] if rate_limiter else [])
    pinned = ["taskset", "-c", cpus] if cpus else []
    process = await asyncio.create_subprocess_exec(*pinned, sys.executable, "-m", "bench.echo_process", *args)
    await wait_until_polling(tg, calls)
    return process


async def kkrbot(tg: FakeTelegram, workdir: Path, cpus: str | None = None, **env: str) -> BotProcess:
    database = workdir / "kkrbot.sqlite3"
    if not database.exists():
        await bind_everyone(database)
    bot = BotProcess(tg, database, workdir / "kkrbot.log", cpus=cpus, real_clock=True, **env)
    calls = tg.get_updates_calls
    await bot.start()
    await wait_until_polling(tg, calls)
    return bot


async def open_loop(tg: FakeTelegram, users: list[int], questions: int, interval: float, text: str) -> list[float]:
    """One question every `interval` seconds, round-robin over `users`; the latency of each answer."""
    latencies: list[float] = []

    async def ask(user: int) -> None:
        before = len(tg.sent_to(user))
        update_id = tg.inject_message(user, text)
        answer = (await tg.wait_for_messages(user, before + 1, timeout=60))[before]
        latencies.append(answer.received_at - tg.injected_at[update_id])

    tasks = []
    for n in range(questions):
        tasks.append(asyncio.create_task(ask(users[n % len(users)])))
        await asyncio.sleep(interval)
    await asyncio.gather(*tasks)
    return latencies


async def warm_up(tg: FakeTelegram, users: list[int]) -> None:
    """Every account has written to the bot once, as bound ones have; the bot's caches are warm, and every answer
    has gone out (the count starts now: the fake server still holds the previous bot's messages)."""
    already = len(tg.sent)
    for user in users:
        tg.inject_message(user, "/hjaelp")
    await tg.wait_for(lambda m: True, count=already + len(users), timeout=60)


async def stop(process: asyncio.subprocess.Process | BotProcess) -> None:
    if isinstance(process, BotProcess):
        await process.terminate()
    else:
        process.terminate()
        await process.wait()


async def at_the_limits(questions: int, in_flight: str, rows: list[Row], workdir: Path) -> None:
    scenario = f"1. {questions} questions, 50 ms, 30/s enforced"
    async with FakeTelegram(response_delay=DELAY, flood_limits=True) as tg:
        _roster, accounts = await bind_everyone(workdir / "kkrbot.sqlite3")
        users = list(accounts.values())
        echo = await echo_bot(tg, rate_limiter=True)
        try:
            await warm_up(tg, users)
            tg.clear()
            result = await run_load(tg, users, questions, lambda u, n: f"question {n}")
            rows.append(Row(scenario, "echo bot + AIORateLimiter", throughput(result, tg)))
        finally:
            await stop(echo)
        tg.clear()
        bot = await kkrbot(tg, workdir, KKRBOT_TELEGRAM_IN_FLIGHT=in_flight)
        try:
            await warm_up(tg, users)
            tg.clear()
            result = await run_load(tg, users, questions, lambda u, n: "/naeste")
            rows.append(Row(scenario, f"kkrbot, {in_flight} in flight", throughput(result, tg)))
        finally:
            await stop(bot)


def throughput(result: LoadResult, tg: FakeTelegram) -> dict[str, str]:
    figures = {"answers/s": f"{result.throughput:.1f}", "429s": str(tg.flood_refusals), **tightest(tg)}
    figures.update(latency_figures(list(result.latencies)))
    if result.unanswered:
        figures["unanswered"] = str(result.unanswered)
    return figures


def tightest(tg: FakeTelegram) -> dict[str, str]:
    """How close the sender came to Telegram's 30 a second: the shortest span of 31 accepted messages."""
    span = tg.tightest_second()
    return {"31 sends in ≥ s": f"{span:.3f}"} if span is not None else {}


def is_bulk(message: SentMessage) -> bool:
    return (message.text or "").startswith("bulk")


async def bulk(count: int, in_flight: str, rows: list[Row], workdir: Path) -> None:
    scenario = f"2. {count:,} bulk queued, 50 ms, 30/s enforced"
    database = workdir / "kkrbot.sqlite3"
    _roster, accounts = await bind_everyone(database)
    users = list(accounts.values())
    db = await Database.open(database)
    now = datetime.now(UTC)
    async with db.transaction() as conn:
        for n in range(count):
            address = str(BULK_RECIPIENTS[n % len(BULK_RECIPIENTS)])
            await enqueue(conn, "telegram", address, None, Message(text=f"bulk {n}"), now, Lane.BULK)
    await db.close()
    async with FakeTelegram(response_delay=DELAY, flood_limits=True) as tg:
        for user in [*BULK_RECIPIENTS, *users]:
            tg.open_chat(user)
        bot = await kkrbot(tg, workdir, KKRBOT_TELEGRAM_IN_FLIGHT=in_flight)
        try:
            await tg.wait_for(is_bulk, count=1, timeout=60)
            # Questions while the bulk drains: one a second, for most of the expected drain time. Each answer takes
            # one send of the 30 a second from the bulk.
            latencies = await open_loop(tg, users, max(10, int(count / 30 * 0.8)), 1.0, "/naeste")
            await tg.wait_for(is_bulk, count=count, timeout=300)
            sent = [m.received_at for m in tg.sent if is_bulk(m)]
            rate = (len(sent) - 1) / (max(sent) - min(sent))
            # The answers share the budget with the bulk (the pacer's 29.4 a second): every send between the first
            # bulk message and the last is the budget used.
            drain = [m.received_at for m in tg.sent if min(sent) <= m.received_at <= max(sent)]
            used = (len(drain) - 1) / (max(sent) - min(sent))
            figures = {
                "bulk/s": f"{rate:.1f}",
                "all sends/s": f"{used:.1f}",
                "429s": str(tg.flood_refusals),
                **tightest(tg),
            }
            figures.update({f"question {k}": v for k, v in latency_figures(latencies).items()})
            figures["questions"] = str(len(latencies))
            rows.append(Row(scenario, f"kkrbot, {in_flight} in flight", figures))
        finally:
            await stop(bot)


async def light_load(questions: int, rows: list[Row], workdir: Path) -> None:
    scenario = f"3. 1 question/s ({questions}), 50 ms"
    async with FakeTelegram(response_delay=DELAY) as tg:
        _roster, accounts = await bind_everyone(workdir / "kkrbot.sqlite3")
        users = list(accounts.values())
        echo = await echo_bot(tg, rate_limiter=True)
        try:
            await warm_up(tg, users)
            latencies = await open_loop(tg, users, questions, 1.0, "question")
            rows.append(Row(scenario, "echo bot + AIORateLimiter", latency_figures(latencies)))
        finally:
            await stop(echo)
        bot = await kkrbot(tg, workdir)
        try:
            await warm_up(tg, users)
            latencies = await open_loop(tg, users, questions, 1.0, "/naeste")
            rows.append(Row(scenario, "kkrbot", latency_figures(latencies)))
        finally:
            await stop(bot)


async def loopback(questions: int, rounds: int, rows: list[Row], workdir: Path) -> None:
    """The two bots take turns, `rounds` times each, and each row gives the mean of its rounds with the rounds
    beside it: one run of a few seconds moves by up to a tenth from the one before on the same machine."""
    scenario = f"4. loopback, no limits, {questions} questions"
    async with FakeTelegram() as tg:
        _roster, accounts = await bind_everyone(workdir / "kkrbot.sqlite3")
        users = list(accounts.values())
        measured: dict[str, list[tuple[float, float, list[float]]]] = {"echo": [], "kkrbot": []}

        async def measure(name: str, pid: int, text: str) -> None:
            await warm_up(tg, users)
            before = cpu_seconds(pid)
            result = await run_load(tg, users, questions, lambda u, n: text)
            cpu = (cpu_seconds(pid) - before) / result.answered * 1000
            measured[name].append((result.throughput, cpu, list(result.latencies)))

        for _ in range(rounds):
            echo = await echo_bot(tg, rate_limiter=False)
            try:
                await measure("echo", echo.pid, "question")
            finally:
                await stop(echo)
            bot = await kkrbot(tg, workdir, KKRBOT_TELEGRAM_MAX_MESSAGES_PER_SECOND="0")
            try:
                assert bot.process is not None
                await measure("kkrbot", bot.process.pid, "/naeste")
            finally:
                await stop(bot)
        means: dict[str, tuple[float, float]] = {}
        for name, label in (("echo", "echo bot (no limiter)"), ("kkrbot", "kkrbot, pacing off")):
            runs = measured[name]
            rate, cpu = statistics.fmean(r[0] for r in runs), statistics.fmean(r[1] for r in runs)
            means[name] = (rate, cpu)
            figures = {
                "answers/s": f"{rate:.1f} ({', '.join(f'{r[0]:.0f}' for r in runs)})",
                "CPU s/1,000": f"{cpu:.2f} ({', '.join(f'{r[1]:.2f}' for r in runs)})",
            }
            figures.update(latency_figures([latency for r in runs for latency in r[2]]))
            rows.append(Row(scenario, label, figures))
        (echo_rate, echo_cpu), (kkr_rate, kkr_cpu) = means["echo"], means["kkrbot"]
        rows[-1].figures["vs echo"] = (
            f"CPU {kkr_cpu / echo_cpu:.2f}x (goal <= 2), rate {kkr_rate / echo_rate:.2f} (goal >= 0.5)"
        )


def print_table(rows: list[Row]) -> None:
    columns = ["scenario", "bot"]
    for row in rows:
        columns += [key for key in row.figures if key not in columns]
    table = [[row.scenario, row.bot, *(row.figures.get(c, "") for c in columns[2:])] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in table)) for i, c in enumerate(columns)]
    print(" | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    print("-|-".join("-" * w for w in widths))
    for r in table:
        print(" | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)))


async def main(arguments: argparse.Namespace) -> None:
    rows: list[Row] = []
    load_before = os.getloadavg()
    started = time.perf_counter()
    plan: list[tuple[str, Callable[[Path], Awaitable[None]]]] = [
        ("1", lambda w: at_the_limits(arguments.questions, arguments.in_flight, rows, w)),
        ("2", lambda w: bulk(arguments.bulk, arguments.in_flight, rows, w)),
        ("3", lambda w: light_load(arguments.light, rows, w)),
        ("4", lambda w: loopback(arguments.loopback, arguments.rounds, rows, w)),
    ]
    for name, run in plan:
        if name in arguments.only:
            with tempfile.TemporaryDirectory() as workdir:
                await run(Path(workdir))
    took = time.perf_counter() - started
    print_table(rows)
    load_after = os.getloadavg()
    print(
        f"({took:.0f} s; {os.cpu_count()} cores; load average before {load_before[0]:.2f}, after "
        f"{load_after[0]:.2f} (1 min))"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=300, help="scenario 1")
    parser.add_argument("--bulk", type=int, default=1000, help="scenario 2")
    parser.add_argument("--light", type=int, default=20, help="scenario 3")
    parser.add_argument("--loopback", type=int, default=2000, help="scenario 4")
    parser.add_argument("--rounds", type=int, default=3, help="scenario 4: turns of each bot")
    parser.add_argument("--in-flight", default=str(DEFAULT_TELEGRAM_IN_FLIGHT), help="kkrbot's, scenarios 1-2")
    parser.add_argument("--only", default="1234", help="which scenarios, e.g. 12")
    asyncio.run(main(parser.parse_args()))
