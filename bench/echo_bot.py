"""A bare python-telegram-bot echo bot: the floor under kkrbot's latency and throughput.

Whatever kkrbot measures against FakeTelegram, this shows how much of it is PTB polling plus one
sendMessage round trip, and how much is kkrbot's own work.

Run from the project root: ``.venv/bin/python -m bench.echo_bot`` (``--help`` for knobs).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # Run as a file path: make `bench` and `tests` importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

from bench.loadgen import LoadResult, format_result, run_load
from tests.fake_telegram import FakeTelegram

__all__ = ["build_echo_application", "echo_bot_running", "main"]

EchoApplication = Application[Any, Any, Any, Any, Any, Any]


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is not None and update.message.text is not None:
        await update.message.reply_text(update.message.text)


def build_echo_application(tg: FakeTelegram, *, concurrent_updates: bool | int = False) -> EchoApplication:
    application = (
        ApplicationBuilder()
        .token(tg.token)
        .base_url(tg.base_url)
        .base_file_url(tg.base_file_url)
        .concurrent_updates(concurrent_updates)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    return application


@asynccontextmanager
async def echo_bot_running(
    tg: FakeTelegram, *, concurrent_updates: bool | int = False
) -> AsyncIterator[EchoApplication]:
    """What ``run_polling`` does, minus owning the event loop, so it can share the test's loop."""
    application = build_echo_application(tg, concurrent_updates=concurrent_updates)
    updater = application.updater
    if updater is None:
        raise RuntimeError("ApplicationBuilder built no Updater")
    async with application:
        await application.start()
        await updater.start_polling(poll_interval=0, timeout=10)
        try:
            yield application
        finally:
            await updater.stop()
            await application.stop()


async def bench(questions: int, users: int, concurrent_updates: int, response_delay: float) -> LoadResult:
    async with (
        FakeTelegram(response_delay=response_delay) as tg,
        echo_bot_running(tg, concurrent_updates=concurrent_updates or False),
    ):
        return await run_load(
            tg,
            users=[100_000_000 + n for n in range(users)],
            questions=questions,
            text_for=lambda user, n: f"Spørgsmål {n} fra {user}",
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--users", type=int, default=22)
    parser.add_argument(
        "--concurrent-updates",
        type=int,
        default=0,
        help="PTB concurrent_updates (0 = sequential, PTB's default)",
    )
    parser.add_argument(
        "--response-delay",
        type=float,
        default=0.0,
        help="seconds FakeTelegram adds to every non-getUpdates call, to mimic a real round trip",
    )
    args = parser.parse_args(argv)
    result = asyncio.run(bench(args.questions, args.users, args.concurrent_updates, args.response_delay))
    mode = f"concurrent_updates={args.concurrent_updates}" if args.concurrent_updates else "sequential"
    print(format_result(f"PTB echo bot ({mode})", result))


if __name__ == "__main__":
    main()
