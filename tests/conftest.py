"""Shared fixtures: the fake Telegram server, and the real kkrbot Application running against it."""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import trustme

from bot.app import open_conversation
from bot.channels.telegram import KkrApplication, build_application, run_until_stopped
from bot.config import Settings
from bot.core.conversation import Conversation
from bot.storage.accounts import create_invite
from bot.storage.db import first_row
from bot.storage.health import TICK
from tests.fake_telegram import FakeTelegram, SentMessage
from tests.process_clock import COPENHAGEN, REFERENCE_NOW

__all__ = ["COPENHAGEN", "REFERENCE_NOW", "Clock", "RunningBot", "start_bot"]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_settings(tg: FakeTelegram, database: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "telegram_token": tg.token,
        "telegram_api_url": tg.base_url,
        "telegram_file_url": tg.base_file_url,
        "database": database,
        "poll_timeout": 1,
        # The fake enforces no flood limits unless a test asks (tests/test_pacing.py), so neither does the bot:
        # pacing at one message a second per chat would make every conversation test wait.
        "telegram_max_messages_per_second": 0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


@dataclass
class RunningBot:
    tg: FakeTelegram
    application: KkrApplication
    conversation: Conversation
    clock: Clock
    settings: Settings
    _stop: asyncio.Event
    _task: asyncio.Task[None]

    async def stop(self) -> None:
        self._stop.set()
        await self._task
        await self.conversation.db.close()

    async def invite(self, person_id: str) -> str:
        async with self.conversation.db.transaction() as conn:
            return await create_invite(conn, person_id, self.clock(), timedelta(days=14))

    async def ask(self, user_id: int, text: str, *, language: str | None = "da", count: int = 1) -> SentMessage:
        """Sends a message as the user and returns the bot's last answer to it."""
        before = len(self.tg.sent_to(user_id))
        self.tg.inject_message(user_id, text, language_code=language)
        answers = await self.tg.wait_for_messages(user_id, before + count)
        return answers[-1]

    async def press(self, user_id: int, message: SentMessage, label: str, *, count: int = 1) -> SentMessage:
        before = len(self.tg.sent_to(user_id))
        self.tg.inject_button_press(user_id, message.message_id, label)
        answers = await self.tg.wait_for_messages(user_id, before + count)
        return answers[-1]

    async def bind(self, user_id: int, person_id: str, *, language: str | None = "da") -> SentMessage:
        token = await self.invite(person_id)
        return await self.ask(user_id, f"/start {token}", language=language)


async def start_bot(tg: FakeTelegram, database: Path, clock: Clock, **overrides: object) -> RunningBot:
    settings = make_settings(tg, database, **overrides)
    conversation = await open_conversation(settings, clock=clock)
    application = build_application(
        tg.token,
        tg.base_url,
        tg.base_file_url,
        conversation,
        conversation.db,
        settings.poll_timeout,
        settings.telegram_max_messages_per_second,
        settings.telegram_in_flight,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(run_until_stopped(application, stop))
    return RunningBot(tg, application, conversation, clock, settings, stop, task)


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def clock() -> Clock:
    return Clock(REFERENCE_NOW)


async def first_tick(bot: RunningBot) -> None:
    """Until the clock's first tick has run (0.1 s after the start, then every TICK_SECONDS): a first tick that came
    in the middle of a test, after the test set the clock, would send what that time makes due (a reminder to the
    secretariat, say) between a question and its answer, and `ask` would take it for the answer."""

    async def ticked() -> bool:
        async with bot.conversation.db.read() as conn:
            return await first_row(conn, "SELECT 1 FROM meta WHERE key = ?", (f"heartbeat:{TICK}",)) is not None

    async with asyncio.timeout(30):
        while not await ticked():  # noqa: ASYNC110 - the tick is the bot's, in its own task: nothing to await
            await asyncio.sleep(0.05)


@pytest.fixture
async def kkrbot(tg: FakeTelegram, tmp_path: Path, clock: Clock) -> AsyncIterator[RunningBot]:
    running = await start_bot(tg, tmp_path / "kkrbot.sqlite3", clock)
    await first_tick(running)
    yield running
    await running.stop()


async def eventually(condition: Callable[[], bool], within: float = 30.0) -> None:
    """Waits until `condition` holds: for what the bot sets beside the conversation, in the background (the
    menus, its description), which no answer waits for."""
    async with asyncio.timeout(within):
        while True:
            if condition():
                return
            await asyncio.sleep(0.02)


def link_token(text: str) -> str:
    match = re.search(r"\?start=([A-Za-z0-9_-]+)", text)
    assert match, text
    return match.group(1)


@pytest.fixture
def authority() -> trustme.CA:
    """A certificate authority of the test's own, for a server on 127.0.0.1 that speaks TLS (as api.telegram.org)."""
    return trustme.CA()


def served_over_tls(authority: trustme.CA) -> ssl.SSLContext:
    """A server's TLS context, with a certificate for 127.0.0.1 from `authority`."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    return context
