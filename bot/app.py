"""Assembles the bot from settings: database, bundled data, roster seed, conversation, channel."""

from __future__ import annotations

import asyncio
import logging
import signal
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path

from bot.channels.console import Console, ConsoleRouter
from bot.config import ConfigError, Settings
from bot.core.conversation import Conversation, Router
from bot.i18n import preload, translator
from bot.storage.db import Database, first_row
from bot.storage.emulator_accounts import EmulatorConflict, settle_emulator_accounts
from bot.storage.roster import EXAMPLE_ROSTER, load_roster_file, replace_roster
from kkrcore.dataset import load_dataset
from kkrcore.models import Dataset

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


class TokenRedactor(logging.Filter):
    """Defence in depth: whatever a library logs, the token is replaced before it is written."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg = message.replace(self.token, "<token>")
            record.args = ()
        return True


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL at INFO, and Telegram's URLs contain the token.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for secret in (
        settings.telegram_token,
        settings.teams_client_secret,
        settings.smtp_password,
        settings.smtp_oauth_client_secret,
    ):
        if secret:
            for handler in logging.getLogger().handlers:
                handler.addFilter(TokenRedactor(secret.get_secret_value()))


async def seed_example_roster(db: Database, dataset: Dataset) -> bool:
    """On first start the database gets the bundled example roster, so there is someone to be."""
    async with db.transaction() as conn:
        if await first_row(conn, "SELECT value FROM meta WHERE key = 'roster_seeded'"):
            return False
        await replace_roster(conn, load_roster_file(EXAMPLE_ROSTER, dataset), utc_now())
        await conn.execute("INSERT INTO meta (key, value) VALUES ('roster_seeded', 'example')")
    return True


async def open_conversation(
    settings: Settings, router: Router | None = None, clock: Callable[[], datetime] = utc_now
) -> Conversation:
    dataset = load_dataset(settings.data_file)
    db = await Database.open(settings.database)
    await seed_example_roster(db, dataset)
    preload(settings.tz)
    conversation = Conversation(db, dataset, settings, clock, router)
    async with db.read() as conn:
        await conversation.refresh_periods(conn)
    return conversation


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)


@asynccontextmanager
async def http_services(settings: Settings, conversation: Conversation, *, tick: bool) -> AsyncIterator[object]:
    """The HTTP endpoint (and Teams) when configured; aiohttp and the Teams libraries are imported only then,
    so the default install needs neither. Every start settles the Teams emulator's bindings first."""
    await settle_emulator(conversation.db, settings)
    if not settings.http_enabled:
        yield None
        return
    from bot.web import serve_http

    async with serve_http(settings, conversation, tick=tick) as endpoint:
        yield endpoint


async def settle_emulator(db: Database, settings: Settings) -> None:
    """Emulator mode refuses a database with real Teams bindings; a start without it deletes the mode's bindings."""
    try:
        await settle_emulator_accounts(db, settings.teams_emulator)
    except EmulatorConflict as exc:
        raise ConfigError(str(exc)) from None


def email_services(settings: Settings, conversation: Conversation) -> AbstractAsyncContextManager[object]:
    """The e-mail worker when KKRBOT_SMTP_HOST is set; aiosmtplib is imported only then (the `email` extra)."""
    if not settings.email_enabled:
        return nullcontext()
    from bot.channels.email import serve_email

    return serve_email(conversation)


async def run_telegram(settings: Settings) -> None:
    from bot.channels.telegram import build_application, run_until_stopped

    assert settings.telegram_token is not None
    conversation = await open_conversation(settings)
    application = build_application(
        settings.telegram_token.get_secret_value(),
        settings.telegram_api_url,
        settings.file_url,
        conversation,
        conversation.db,
        settings.poll_timeout,
        settings.telegram_max_messages_per_second,
        settings.telegram_in_flight,
    )
    stop = asyncio.Event()
    _stop_on_signals(stop)
    log.info("kkrbot is polling Telegram (database %s)", settings.database)
    try:
        async with http_services(settings, conversation, tick=False), email_services(settings, conversation):
            await run_until_stopped(application, stop)
    finally:
        await conversation.db.close()


async def run_teams(settings: Settings) -> None:
    """Teams without Telegram: the HTTP endpoint, and the reminders' clock that Telegram's job queue would run."""
    conversation = await open_conversation(settings)
    stop = asyncio.Event()
    _stop_on_signals(stop)
    try:
        async with http_services(settings, conversation, tick=True), email_services(settings, conversation):
            await stop.wait()
    finally:
        await conversation.db.close()


async def run_console(settings: Settings) -> None:
    conversation = await open_conversation(settings, router=ConsoleRouter())
    try:
        async with http_services(settings, conversation, tick=False):
            # Files the bot sends (the calendar) go to a folder of their own, named when written.
            download_dir = Path(tempfile.mkdtemp(prefix="kkrbot-"))
            _ = translator(settings.default_language, settings.tz)
            await Console(conversation, _, download_dir=download_dir).run()
    finally:
        await conversation.db.close()
