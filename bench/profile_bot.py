"""Where kkrbot's time goes under load: samples the bot process with py-spy while 1,000 questions arrive.

py-spy is not a project dependency: `.venv/bin/pip install py-spy` first. Prints the share of the bot's main
thread that is idle, and of its busy time, the share spent in each of kkrbot's loops (sending = the outbox,
polling = getUpdates and the inbox, processing = the use cases).

Run from the project root: .venv/bin/python -m bench.profile_bot
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections import Counter
from pathlib import Path

from bench.loadgen import format_result, run_load
from tests.fake_telegram import FakeTelegram
from tests.processes import BotProcess, bind_everyone, wait_until_polling

LOOPS = {"OutboxWorker": "sending (outbox)", "poll (": "polling (getUpdates, inbox)", "process (": "processing"}


def shares(samples: Path) -> tuple[float, Counter[str], int]:
    idle, busy, total = 0, Counter[str](), 0
    for line in samples.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if "run_forever" not in stack:  # another thread (aiosqlite's)
            continue
        total += int(count)
        if "selectors.py" in stack:
            idle += int(count)
            continue
        loop = next((name for marker, name in LOOPS.items() if marker in stack), "other")
        busy[loop] += int(count)
    return idle / total, busy, total - idle


async def main() -> None:
    py_spy = shutil.which("py-spy") or str(Path(".venv/bin/py-spy"))
    async with FakeTelegram() as tg:
        with tempfile.TemporaryDirectory() as workdir:
            database = Path(workdir) / "kkrbot.sqlite3"
            roster, users = await bind_everyone(database)
            bot = BotProcess(
                tg, database, Path(workdir) / "bot.log", real_clock=True, KKRBOT_TELEGRAM_MAX_MESSAGES_PER_SECOND="0"
            )
            calls = tg.get_updates_calls
            await bot.start()
            await wait_until_polling(tg, calls)
            for user in users.values():
                tg.inject_message(user, "/hjaelp")
            await tg.wait_for(lambda m: True, count=len(users), timeout=60)
            samples = Path(workdir) / "samples.txt"
            assert bot.process is not None
            spy = await asyncio.create_subprocess_exec(
                py_spy,
                "record",
                "--idle",
                "--format",
                "raw",
                "-r",
                "200",
                "-d",
                "6",
                "-o",
                str(samples),
                "-p",
                str(bot.process.pid),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            result = await run_load(tg, [users[m.id] for m in roster.members], 1000, lambda u, n: "/naeste")
            await spy.wait()
            await bot.terminate()
            idle, busy, busy_total = shares(samples)
    print(format_result("kkrbot (limiter off, sampled)", result))
    print(f"main thread idle {idle:.0%}; of its busy time:")
    for loop, count in busy.most_common():
        print(f"  {loop}: {count / busy_total:.0%}")


if __name__ == "__main__":
    asyncio.run(main())
