"""What one answer costs kkrbot on loopback (no latency, no limits, no pacing), split where it is spent: CPU
milliseconds per answer on the event loop's thread and on aiosqlite's thread, answers a second, and per answer the
commits (each a disk sync) by what they commit, the SQL statements and the calls to aiosqlite's thread (two more
runs, with bench/bot_variants.py's `statements` counter). The figures behind the storage changes of issue 8;
`bench.bench_delivery` scenario 4 sets them beside the echo bot.

Run from the project root: .venv/bin/python -m bench.loopback_cost  (about 40 s; --questions N)
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import os
import tempfile
from collections import Counter
from pathlib import Path

from bench.bench_delivery import warm_up
from bench.bot_variants import THREAD
from bench.loadgen import run_load
from tests.fake_telegram import FakeTelegram
from tests.processes import BotProcess, bind_everyone, wait_until_polling


def thread_cpu_seconds(pid: int) -> dict[str, float]:
    """CPU seconds of each thread of a process: the event loop's first, then aiosqlite's."""
    seconds = {}
    for task in sorted(Path(f"/proc/{pid}/task").iterdir(), key=lambda t: int(t.name)):
        fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        seconds[task.name] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return seconds


# The lines bench/bot_variants.py's variants write at exit, printed as they are.
REPORTS = ("gc: ", "times: ")


async def one_run(questions: int, counting: bool, variant: str) -> tuple[float, dict[str, float], Counter[str]]:
    """Answers a second, CPU ms per answer by thread, and (counting) every statement the process ran; with a
    `variant`, of bench/bot_variants.py's kkrbot with that change."""
    async with FakeTelegram() as tg:
        with tempfile.TemporaryDirectory() as workdir:
            database, log = Path(workdir) / "kkrbot.sqlite3", Path(workdir) / "kkrbot.log"
            _roster, accounts = await bind_everyone(database)
            users = list(accounts.values())
            variants = ",".join(name for name in (variant, "statements" if counting else "") if name)
            bot = BotProcess(
                tg, database, log, module="bench.bot_variants" if variants else "bot", real_clock=True,
                KKRBOT_TELEGRAM_MAX_MESSAGES_PER_SECOND="0", **({"BENCH_VARIANT": variants} if variants else {}),
            )  # fmt: skip
            calls = tg.get_updates_calls
            await bot.start()
            await wait_until_polling(tg, calls)
            assert bot.process is not None
            await warm_up(tg, users)
            before = thread_cpu_seconds(bot.process.pid)
            result = await run_load(tg, users, questions, lambda u, n: "/naeste")
            after = thread_cpu_seconds(bot.process.pid)
            await bot.terminate()
            per_answer = {t: (after[t] - before.get(t, 0.0)) / result.answered * 1000 for t in after}
            lines = log.read_text().splitlines()
            if not counting:
                # What a variant reports at exit (`gc`, say), with the measured run's figures.
                for line in lines:
                    if line.startswith(REPORTS):
                        print(line)
            counted = next((line for line in lines if line.startswith("statements: ")), "")
            by_statement = Counter(ast.literal_eval(counted.partition(": ")[2])) if counted else Counter[str]()
            return result.throughput, per_answer, by_statement


async def main(questions: int, variant: str) -> None:
    rate, per_answer, _ = await one_run(questions, counting=False, variant=variant)
    loop, database, *other = per_answer.values()
    print(f"kkrbot{f' ({variant})' if variant else ''} on loopback, {questions} questions (/naeste) from 46 people, "
          f"pacing off: {rate:.1f} answers/s")  # fmt: skip
    print(f"CPU ms per answer: event loop's thread {loop:.2f}, aiosqlite's thread {database:.2f}, "
          f"other threads {sum(other):.2f}")  # fmt: skip
    # Two counted runs, so that what start-up and warm-up cost falls out of the difference.
    fewer = questions // 2
    _, _, many = await one_run(questions, counting=True, variant=variant)
    _, _, few = await one_run(fewer, counting=True, variant=variant)
    answers = questions - fewer
    per_answer = {statement: (many[statement] - few[statement]) / answers for statement in many}
    commits = {statement: count for statement, count in per_answer.items() if statement.startswith("commit: ")}
    # A sent mark's own commit does not sync the disk (outbox.OutboxWorker); the others do.
    print(f"commits per answer: {sum(commits.values()):.2f}")
    for statement, count in sorted(commits.items(), key=lambda item: -item[1]):
        print(f"  {count:5.2f}  {statement.removeprefix('commit: ')}")
    print(f"SQL statements per answer: {sum(c for s, c in per_answer.items() if s != THREAD):.2f}; "
          f"calls to aiosqlite's thread per answer: {per_answer.get(THREAD, 0.0):.2f}")  # fmt: skip
    for statement, count in sorted(per_answer.items(), key=lambda item: -item[1]):
        if count >= 0.01 and statement != THREAD and not statement.startswith("commit: "):
            print(f"  {count:5.2f}  {statement}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--variant", default="", help="bench/bot_variants.py's name: kkrbot with that change")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.questions, arguments.variant))
