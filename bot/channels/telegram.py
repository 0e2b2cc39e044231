"""The Telegram channel: python-telegram-bot for the Bot API, with our own durable polling.

python-telegram-bot's Updater confirms fetched updates to Telegram before its handlers run, so a crash
would lose them. Here the poller stores each batch in the inbox first; only the next getUpdates call,
which carries the new offset, confirms them. A processor replays the inbox in update order, and the
use case marks each update processed in its own transaction. Everything sent goes through the outbox.
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
import warnings
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

import httpx
from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    InputFile,
    Update,
)
from telegram import Message as TelegramMessage
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackContext,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.channels.telegram_request import JsonRequest
from bot.channels.telegram_side_calls import (
    call_until_done,
    in_background,
    retry_after_seconds,
    telegram_fault,
    unless_stopped,
)
from bot.channels.telegram_update import why_malformed
from bot.config import DEFAULT_TELEGRAM_IN_FLIGHT, LANGUAGES, Language
from bot.core.commands import all_command_names, commands_for, parse_action
from bot.core.conversation import FREE_TEXT, TICK_SECONDS, Conversation
from bot.core.messages import Attachment, Outcome, Request
from bot.delivery.inbox import MARK_PROCESSED, next_offset, pending_updates, set_aside, store_updates
from bot.delivery.message import Document, Message
from bot.delivery.outbox import Delivery, DeliveryResult, OutboxItem, OutboxWorker
from bot.delivery.pacing import Limits, Pacer
from bot.delivery.peer_watch import PeerWatch
from bot.i18n import N_, translator
from bot.storage.accounts import accounts_of
from bot.storage.db import Database, utc_text
from bot.storage.documents import keep_telegram_file_id, stored_document, telegram_file_id
from bot.storage.faults import FaultLog, Unrecoverable, database_fault, pause, until_done
from bot.storage.health import POLL, POLL_TRIED, TICK, beat, record_peer
from bot.storage.roster import Role, Roster

log = logging.getLogger(__name__)

CHANNEL = "telegram"
# The most updates processed in one transaction (`_process_batch`); getUpdates gives at most 100 at a time.
BATCH_LIMIT = 100
# The Bot API's JSON for LinkPreviewOptions(is_disabled=True), as it is sent (see keyboard).
NO_PREVIEW = {"is_disabled": True}
ALLOWED_UPDATES = ["message", "callback_query"]
GET_UPDATES = "getUpdates"
SEND_MESSAGE = "sendMessage"
# How long a send waits for the Bot API's answer. PTB's default (5 s) gives up on a slow but successful
# send, and the outbox then sends it again; a slow Bot API answers within this.
SEND_READ_TIMEOUT = 30.0
# The long poll waits `poll_timeout` at Telegram, and this much more for the answer to arrive.
POLL_READ_MARGIN = 10.0
# Empty getUpdates answers come at most this often: Telegram's long poll waits for updates, but a server that answers
# at once would make the poller spin.
MIN_EMPTY_POLL_SECONDS = 0.5
# The poller records that it works at most this often.
HEARTBEAT_SECONDS = 5.0
# getUpdates and sendMessage go through do_api_request, as raw JSON (see fetch_updates and telegram_delivery),
# which warns that Bot.get_updates and Bot.send_message exist; they parse what must stay raw or is never read.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.(getUpdates|sendMessage)'", category=PTBUserWarning)
# PTB 22 gives durations (a 429's retry_after) as seconds and warns, at every 429, inside its own RetryAfter, that its
# next major version gives a timedelta; PTB_TIMEDELTA opts in now (retry_after_seconds reads both). An environment
# that sets it keeps its choice.
os.environ.setdefault("PTB_TIMEDELTA", "true")


class Services:
    """What the handlers need, kept in `bot_data` and reached through `KkrContext`."""

    def __init__(
        self, conversation: Conversation, db: Database, poll_timeout: int, limits: Limits, in_flight: int
    ) -> None:
        self.conversation = conversation
        self.db = db
        self.poll_timeout = poll_timeout
        self.limits = limits
        self.in_flight = in_flight
        self.tasks: list[asyncio.Task[None]] = []
        # Fresh updates go from the poller to the processor in memory, stored in the inbox by the processor's
        # transaction at the latest (see poll); the inbox is read back only at start, for what a crash left
        # unprocessed.
        self.fresh: asyncio.Queue[Update] = asyncio.Queue()
        self.replayed = asyncio.Event()
        # Updates whose use case marked them processed in its own transaction.
        self.handled: set[int] = set()
        self.outbox: OutboxWorker | None = None
        self.outbox_task: asyncio.Task[None] | None = None
        self.faults = FaultLog(log)
        # Set by on_error when a use case failed on a transient fault: the update is tried again.
        self.transient: BaseException | None = None
        # What stops the process: set by run_until_stopped, and by a loop that met an unrecoverable fault.
        self.stop: asyncio.Event | None = None
        self.failure: BaseException | None = None
        # Side calls under way (menus, the description): retried beside the bot, never part of a use case.
        self.side_calls: set[asyncio.Task[Any]] = set()

    def side_call(self, coroutine: Coroutine[Any, Any, object], name: str) -> None:
        in_background(coroutine, name, self.side_calls, self.fail)

    def fail(self, error: BaseException) -> None:
        """Stops the process with `error`'s one line (the first one wins)."""
        if self.failure is None:
            self.failure = error
        if self.stop is not None:
            self.stop.set()

    def supervise(self, task: asyncio.Task[None], name: str) -> asyncio.Task[None]:
        """A loop that ends while the process lives leaves a deaf bot, so its end stops the process."""

        def ended(task: asyncio.Task[None]) -> None:
            if task.cancelled():
                return
            error = task.exception()
            if error is None:
                error = Unrecoverable(f"the {name} loop ended")
            elif not isinstance(error, Unrecoverable):
                log.critical("the %s loop failed", name, exc_info=error)
                error = Unrecoverable(f"the {name} loop failed ({type(error).__name__}); see the log")
            self.fail(error)

        task.add_done_callback(ended)
        return task


class KkrContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[str, Any]]):
    """The custom context of rules-bot's kind: handlers write `context.services`."""

    @property
    def services(self) -> Services:
        services: Services = self.bot_data["services"]
        return services


KkrApplication = Application[ExtBot[None], KkrContext, dict[Any, Any], dict[Any, Any], dict[str, Any], Any]


# --- handlers: the whole routing, in one place -------------------------------------------------------------


def register_handlers(application: KkrApplication) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler(all_command_names(), on_command, filters=private))
    application.add_handler(MessageHandler(private & filters.COMMAND, on_unknown_command))
    application.add_handler(MessageHandler(private & filters.Document.ALL, on_document))
    application.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, on_text))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_error_handler(on_error)


def _argument_text(update: Update, args: Sequence[str]) -> str:
    """What follows the command, as written (line breaks kept); a button's arguments; or free text whole."""
    message = update.effective_message
    if update.callback_query is not None or message is None:
        return " ".join(args)
    raw = message.text or message.caption or ""
    if not raw.startswith("/"):
        return raw.strip()
    parts = raw.split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


def _attachment(update: Update) -> Attachment | None:
    message = update.effective_message
    document = message.document if message and update.callback_query is None else None
    if document is None:
        return None
    return Attachment(
        file_id=document.file_id,
        filename=document.file_name or "document",
        mime_type=document.mime_type,
        size=document.file_size,
    )


async def _request(update: Update, context: KkrContext, command: str, args: Sequence[str] = ()) -> Request:
    """Who asks what, from a Telegram update. No `person_id`: the conversation looks the account up in the
    bindings inside the use case's transaction, which saves a read per update."""
    user = update.effective_user
    assert user is not None
    return Request(
        channel=CHANNEL,
        address=str(user.id),
        command=command,
        args=tuple(args),
        text=_argument_text(update, args),
        attachment=_attachment(update),
        language_hint=user.language_code,
        display_name=user.full_name,
    )


async def _ask(update: Update, context: KkrContext, command: str, args: Sequence[str]) -> Outcome:
    request = await _request(update, context, command, args)
    outcome = await context.services.conversation.handle(request, update_id=update.update_id)
    context.services.handled.add(update.update_id)
    if command == "start" and outcome.bound is not None:
        # After the commit, beside the conversation: a menu that cannot be set now never undoes a binding.
        scope = BotCommandScopeChat(int(request.address))
        services, role = context.services, outcome.bound.role
        services.db.when_committed(
            lambda: services.side_call(
                publish_commands(context.bot, scope, role, services.faults, attempts=5), "setMyCommands"
            )
        )
    return outcome


def _command_name(update: Update) -> str:
    """'/naeste@KKRBot args' -> 'naeste'; the handlers' filters guarantee a text message."""
    text = update.effective_message.text if update.effective_message else None
    return (text or "/").split()[0][1:].split("@")[0][:32]


async def on_command(update: Update, context: KkrContext) -> None:
    await _ask(update, context, _command_name(update), context.args or ())


async def on_unknown_command(update: Update, context: KkrContext) -> None:
    """Commands Telegram does not link, such as /næste with its æ, and ones the bot does not know: the core
    finds the first and answers the second, so the arguments go along."""
    text = update.effective_message.text if update.effective_message else None
    await _ask(update, context, _command_name(update), (text or "").split()[1:])


async def on_document(update: Update, context: KkrContext) -> None:
    """A file with a caption that is a command ("/dagsorden 12.02.2027"); without one, free text."""
    caption = update.effective_message.caption if update.effective_message else None
    if caption and caption.startswith("/") and len(caption) > 1:
        command = caption.split()[0][1:].split("@")[0][:32]
        await _ask(update, context, command, caption.split()[1:])
    else:
        await _ask(update, context, FREE_TEXT, ())


async def on_text(update: Update, context: KkrContext) -> None:
    await _ask(update, context, FREE_TEXT, ())


async def on_button(update: Update, context: KkrContext) -> None:
    """A button press is acknowledged at once, beside its handling, so the button stops spinning even while the
    outbox waits out a 429; the answer itself comes through the outbox like any message.

    The acknowledgement and the removal of used buttons are not messages to a person, so they are side calls
    (telegram_side_calls), in the background: they never hold up or fail the update, and a failure is retried or
    logged. Across a crash both stay correct: a replayed press is acknowledged again (Telegram refuses a second or
    late acknowledgement, which is logged), and if the bot dies after the answer was committed but before the
    buttons were removed, pressing one again gets "already answered", which removes them then.
    """
    query = update.callback_query
    assert query is not None
    services = context.services
    services.side_call(call_until_done(query.answer, "answerCallbackQuery", services.faults, attempts=1), "ack")
    command, args = parse_action(query.data or "")
    outcome = await _ask(update, context, command, args)
    if outcome.buttons_used and query.message is not None:
        chat_id, message_id = query.message.chat.id, query.message.message_id
        remove = partial(context.bot.edit_message_reply_markup, chat_id=chat_id, message_id=message_id)
        services.side_call(call_until_done(remove, "editMessageReplyMarkup", services.faults, attempts=3), "buttons")


async def on_tick(context: KkrContext) -> None:
    """Reminders and escalations, then the clock's heartbeat. The job queue calls it every TICK_SECONDS and
    goes on after a failure; a transient one (the database locked, a full disk) is logged once a minute."""
    services = context.services
    try:
        await services.conversation.tick()
        async with services.db.transaction() as conn:
            await beat(conn, TICK, datetime.now(UTC))
    except Exception as exc:
        kind = database_fault(exc)
        if kind is None:
            raise
        services.faults.report("tick", kind)
        return
    services.faults.recovered("tick")


async def on_error(update: object, context: KkrContext) -> None:
    """Logs, tells the person, and never stops the bot. A transient fault is not the person's problem: the
    update is tried again (see _process_one), so nobody is told that something went wrong."""
    if context.error is not None and database_fault(context.error) is not None:
        context.services.transient = context.error
        return
    log.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_user is not None:
        request = await _request(update, context, "error")
        await context.services.conversation.apologise(request, update_id=update.update_id)


# --- durable polling ------------------------------------------------------------------------------------


async def fetch_updates(bot: ExtBot[None], offset: int | None, wait: int) -> list[Any]:
    """getUpdates as raw JSON. PTB's get_updates parses the whole batch at once: one malformed update fails
    every update in it, again after each restart, and PTB logs the batch (people's messages) as an error."""
    api_kwargs: dict[str, Any] = {"timeout": wait, "allowed_updates": ALLOWED_UPDATES}
    if offset is not None:
        api_kwargs["offset"] = offset
    result = await bot.do_api_request(GET_UPDATES, api_kwargs=api_kwargs, read_timeout=wait + POLL_READ_MARGIN)
    return result if isinstance(result, list) else []


def parse_update(payload: Any, bot: ExtBot[None]) -> Update | str:
    """The update, or why it cannot be parsed: the field that fails kkrbot's model of what it reads (telegram_update),
    or the parser's error type; never a value or an error's text (they may quote the update)."""
    try:
        if not isinstance(payload, dict):
            raise TypeError("not an object")
        malformed = why_malformed(payload)
        if malformed is not None:
            return malformed
        update = Update.de_json(payload, bot)
    except Exception as exc:
        return type(exc).__name__
    return update


def _update_id(payload: Any) -> int | None:
    update_id = payload.get("update_id") if isinstance(payload, dict) else None
    return update_id if isinstance(update_id, int) and not isinstance(update_id, bool) else None


async def poll(application: KkrApplication, services: Services) -> None:
    """Fetches updates and stores them, raw, before the next call confirms their offset; then parses each one
    alone and hands it to the processor. Never ends: a transient fault (network, 5xx, 409, the database locked
    or full) is retried with a growing pause and logged once a minute; a token refused while running stops
    the process (Unrecoverable)."""
    await services.replayed.wait()
    db, faults, bot = services.db, services.faults, application.bot

    async def read_offset() -> int | None:
        async with db.read() as conn:
            return await next_offset(conn, CHANNEL)

    offset = await until_done(read_offset, "inbox", faults, check=db.ensure_file)
    failures = 0
    last_beat = 0.0
    loop = asyncio.get_running_loop()
    outage_noted = -HEARTBEAT_SECONDS
    down = False

    async def note_peer(error: str | None) -> None:
        """Writes whether Telegram answered getUpdates (`peer:telegram`), the poller's try beside it."""
        try:
            async with db.transaction() as conn:
                now = datetime.now(UTC)
                if error is not None:
                    await beat(conn, POLL_TRIED, now)
                await record_peer(conn, CHANNEL, error, now)
        except Exception as exc:  # the health record must never stop the poller
            log.warning("getUpdates: could not record Telegram's answer for health: %s", type(exc).__name__)

    async def note_outage(error: str) -> None:
        """While Telegram does not answer getUpdates, health says `degraded: telegram` (the poller keeps
        trying), not that polling is stuck: written at most every HEARTBEAT_SECONDS, never stopping the poller."""
        nonlocal outage_noted, down
        if loop.time() - outage_noted < HEARTBEAT_SECONDS:
            return
        outage_noted, down = loop.time(), True
        await note_peer(error)

    while True:
        asked = loop.time()
        try:
            batch = await fetch_updates(bot, offset, services.poll_timeout)
        except (InvalidToken, EndPointNotFound):
            raise Unrecoverable(
                "Telegram refused KKRBOT_TELEGRAM_TOKEN while running (401 Unauthorized); check it with @BotFather"
            ) from None
        except RetryAfter as exc:
            faults.report(GET_UPDATES, "429 flood control")
            await asyncio.sleep(retry_after_seconds(exc.retry_after))
            continue
        except TelegramError as exc:
            faults.report(GET_UPDATES, telegram_fault(exc))
            await note_outage(telegram_fault(exc))
            await asyncio.sleep(pause(failures, 0.25, 30.0))
            failures += 1
            continue
        except Exception as exc:  # a bug or a surprise in the transport: polling must go on all the same
            faults.report(GET_UPDATES, f"unexpected {type(exc).__name__}")
            await note_outage(f"unexpected {type(exc).__name__}")
            await asyncio.sleep(pause(failures, 0.25, 30.0))
            failures += 1
            continue
        failures = 0
        faults.recovered(GET_UPDATES)
        if down:
            down = False
            await note_peer(None)
        fetched: list[tuple[int, Any, Update | str]] = []
        for payload in batch:
            update_id = _update_id(payload)
            if update_id is None:
                log.warning("getUpdates returned an element without an update_id; skipped")
                continue
            fetched.append((update_id, payload, parse_update(payload, bot)))
        if not fetched:
            # A server that answers an empty poll at once (a proxy, a test server) must not make the poller spin.
            await asyncio.sleep(MIN_EMPTY_POLL_SECONDS - (loop.time() - asked))
        beat_due = loop.time() - last_beat >= HEARTBEAT_SECONDS
        if not fetched and not beat_due:
            continue
        db.ensure_file()
        now = datetime.now(UTC)

        async def store(
            fetched: list[tuple[int, Any, Update | str]] = fetched, now: datetime = now, beat_due: bool = beat_due
        ) -> None:
            rows = [(i, payload, parsed if isinstance(parsed, str) else None) for i, payload, parsed in fetched]
            await store_updates(db, CHANNEL, rows, services.conversation.clock())
            if beat_due:
                async with db.transaction() as conn:
                    await beat(conn, POLL, now)

        # The processor has the updates at once, and its first transaction stores them, before it marks the first
        # one processed: the batch's store is a single write, and it goes in with the next transaction to begin
        # (bot/storage/db.py, `Database.write`). Until stored, the batch is only here: the next getUpdates (which
        # confirms it) waits until the store has committed, in the processor's transaction or in one of its own.
        for update_id, _payload, parsed in fetched:
            if isinstance(parsed, Update):
                services.fresh.put_nowait(parsed)
            else:
                log.warning("update %s cannot be parsed (%s); kept aside in the inbox", update_id, parsed)
        await until_done(store, "inbox", faults, check=db.ensure_file)
        if beat_due:
            last_beat = loop.time()
        if fetched:
            offset = max(update_id for update_id, _payload, _parsed in fetched) + 1


async def process(application: KkrApplication, services: Services) -> None:
    """Processes updates in order: first what a crash left in the inbox, then what the poller hands over."""
    db = services.db

    async def read_pending() -> list[tuple[int, Any]]:
        async with db.read() as conn:
            return await pending_updates(conn, CHANNEL)

    for update_id, payload in await until_done(read_pending, "inbox", services.faults, check=db.ensure_file):
        parsed = parse_update(payload, application.bot)
        if isinstance(parsed, Update):
            await _process_one(application, services, parsed)
            continue
        log.warning("update %s cannot be parsed (%s); kept aside in the inbox", update_id, parsed)

        async def mark(update_id: int = update_id, why: str = parsed) -> None:
            async with db.transaction() as conn:
                await set_aside(conn, CHANNEL, update_id, why, services.conversation.clock())

        await until_done(mark, "inbox", services.faults, check=db.ensure_file)
    services.replayed.set()
    while True:
        updates = [await services.fresh.get()]
        while not services.fresh.empty() and len(updates) < BATCH_LIMIT:
            updates.append(services.fresh.get_nowait())
        if len(updates) == 1 or not await _process_batch(application, services, updates):
            for update in updates:
                await _process_one(application, services, update)
            services.faults.recovered("processing")  # the batch's fault, if that was what failed it


async def _process_batch(application: KkrApplication, services: Services, updates: list[Update]) -> bool:
    """Processes the updates that arrived together in one transaction (`Database.batch`): one commit, one disk
    sync, for all of them, where each alone costs one; each update's use case is a savepoint in it, undone alone
    if it fails. Nothing of theirs leaves the process before the commit: their answers are rows in the outbox,
    which reads only what is committed. False, with all of it rolled back, if anything failed beyond one use case
    (the database's fault, in a use case or at the commit, or an error that escaped the error handler): the
    caller then processes each update alone, with `_process_one`'s retries, as if the batch had never been."""
    db = services.db
    try:
        async with db.batch():
            for update in updates:
                services.transient = None
                await _process_once(application, services, update)
                if services.transient is not None or db.connection.transaction_lost:
                    raise _BatchFailed
    except Exception as exc:
        # What the batch's use cases read after a change of theirs was rolled back with it.
        services.conversation.forget_roster()
        fault = services.transient if isinstance(exc, _BatchFailed) else exc
        kind = None if fault is None else database_fault(fault)
        if kind is not None:
            services.faults.report("processing", kind)
        else:
            log.warning("a batch of %d updates failed (%s); each is tried alone", len(updates), type(exc).__name__)
        return False
    return True


class _BatchFailed(Exception):
    """A use case in a batch met the database's fault (the error handler noted it in `services.transient`)."""


async def _process_one(application: KkrApplication, services: Services, update: Update) -> None:
    """Processes one update. A transient fault (the database locked or full) tries the same update again
    after a pause, so it is neither lost nor answered with an apology; the updates after it wait their turn."""
    failures = 0
    while True:
        services.transient = None
        try:
            await _process_once(application, services, update)
            fault = services.transient
        except Exception as exc:
            if database_fault(exc) is None:
                # Left unprocessed in the inbox, so the next start replays it; the bot goes on with the next one.
                log.exception("update %s could not be processed", update.update_id)
                return
            fault = exc
        if fault is None:
            if failures:
                services.faults.recovered("processing")
            return
        services.faults.report("processing", database_fault(fault) or type(fault).__name__)
        services.db.ensure_file()
        await asyncio.sleep(pause(failures))
        failures += 1


async def _process_once(application: KkrApplication, services: Services, update: Update) -> None:
    await application.process_update(update)
    if services.transient is not None:
        return
    if update.update_id in services.handled:
        services.handled.discard(update.update_id)
        return
    # No handler (a group chat, an edited message), or the error handler ran: done all the same.
    await services.db.write(MARK_PROCESSED, (CHANNEL, update.update_id, utc_text(services.conversation.clock())))


# --- sending -------------------------------------------------------------------------------------------


def render(message: Message) -> str:
    """HTML for Telegram: the only place where the core's plain text is escaped."""
    parts = []
    if message.title:
        parts.append(f"<b>{html.escape(message.title)}</b>")
    if message.pre:
        parts.append(f"<pre>{html.escape(message.pre)}</pre>")
    parts.append(html.escape(message.text))
    return "\n\n".join(part for part in parts if part)


def keyboard(message: Message) -> dict[str, Any] | None:
    """The inline keyboard as the Bot API's JSON (an InlineKeyboardMarkup), built as such: PTB's objects would be
    built only to be turned back into this dict at every send."""
    if not message.buttons:
        return None
    return {"inline_keyboard": [[{"text": b.label, "callback_data": b.action} for b in row] for row in message.buttons]}


class StoredUploads:
    """Sends documents stored once in the database (`Document.stored_id`) so that Telegram gets the bytes once:
    the first send uploads them and keeps the file_id Telegram answers with; every later send, to anyone, is by
    that file_id. While one upload is under way, the other sends of the same document wait for its file_id
    rather than upload it too. Crash-safe: until a file_id is kept, the next send uploads again (a crash after
    the upload costs one more upload, and nobody's message is lost)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._uploading: dict[int, asyncio.Lock] = {}

    async def reference(self, document_id: int) -> str | None:
        async with self.db.read() as conn:
            return await telegram_file_id(conn, document_id)

    async def send(self, document: Document, send: Callable[[str | InputFile], Awaitable[TelegramMessage]]) -> None:
        assert document.stored_id is not None
        async with self._uploading.setdefault(document.stored_id, asyncio.Lock()):
            file_id = await self.reference(document.stored_id)
            if file_id is None:
                async with self.db.read() as conn:
                    stored = await stored_document(conn, document.stored_id)
                sent = await send(InputFile(stored.content, filename=document.filename))
                if sent.document is not None:
                    try:
                        await keep_telegram_file_id(self.db, document.stored_id, sent.document.file_id)
                    except Exception:  # the message went out; the next send uploads the document again
                        log.exception("could not keep Telegram's file_id of document %s", document.stored_id)
                return
        await send(file_id)


def telegram_delivery(application: KkrApplication) -> Any:
    bot = application.bot
    services: Services = application.bot_data["services"]
    uploads = StoredUploads(services.db)

    async def deliver(item: OutboxItem) -> DeliveryResult:
        message = item.message
        try:
            if message.document:
                document = message.document

                async def send_document(file: str | InputFile) -> TelegramMessage:
                    return await bot.send_document(
                        chat_id=int(item.address),
                        document=file,
                        caption=render(message),  # within 1,024 characters: Message.parts split it when queued
                        parse_mode=ParseMode.HTML,
                        api_kwargs={"reply_markup": keyboard(message)},
                    )

                if document.stored_id is not None and not document.file_id:
                    await uploads.send(document, send_document)
                else:
                    await send_document(document.file_id or InputFile(document.content, filename=document.filename))
            else:
                # Through do_api_request, which leaves Telegram's answer as JSON: send_message parses it into a
                # Message that nobody reads (0.4 ms of the 4.6 ms of CPU a /naeste took on loopback, README).
                await bot.do_api_request(
                    SEND_MESSAGE,
                    api_kwargs={
                        "chat_id": int(item.address),
                        "text": render(message),
                        "parse_mode": ParseMode.HTML,
                        "reply_markup": keyboard(message),
                        "link_preview_options": NO_PREVIEW,
                    },
                )
        except RetryAfter as exc:
            return DeliveryResult(Delivery.RETRY, retry_after=retry_after_seconds(exc.retry_after), error="429")
        except Forbidden as exc:
            return DeliveryResult(Delivery.GIVE_UP, error=f"403 {exc.message}", blocked=True)
        except BadRequest as exc:
            log.error("Telegram refused message %s: %s", item.id, exc.message)
            return DeliveryResult(Delivery.GIVE_UP, error=f"400 {exc.message}")
        except (NetworkError, TimedOut) as exc:
            # NetworkError covers 5xx and dropped connections; the message may or may not have arrived.
            return DeliveryResult(Delivery.RETRY, error=type(exc).__name__)
        except TelegramError as exc:
            return DeliveryResult(Delivery.RETRY, error=type(exc).__name__)
        return DeliveryResult(Delivery.SENT)

    return deliver


# --- application --------------------------------------------------------------------------------------


def menu(language: str | None, role: Role | None) -> list[BotCommand]:
    """Danish names for Danish, English names otherwise; only the commands this role can use."""
    _ = translator("da" if language == "da" else "en")
    return [BotCommand(command.word(_.language), _(command.description)) for command in commands_for(role)]


async def publish_commands(
    bot: ExtBot[None], scope: BotCommandScope, role: Role | None, faults: FaultLog, attempts: int | None = None
) -> None:
    """The menu in each language, and without a language for everyone else; each call retried (telegram_side_calls)."""
    for language in (*LANGUAGES, None):
        call = partial(bot.set_my_commands, menu(language, role), scope=scope, language_code=language)
        await call_until_done(call, "setMyCommands", faults, attempts=attempts)


async def publish_personal_menus(application: KkrApplication, services: Services) -> None:
    """The secretariat's chats get its menu at start; every chat gets its person's role's menu when it binds
    (a substitute sees no /afbud), in `_ask`."""
    async with services.db.read() as conn:
        roster = await Roster.load(conn)
        chats = [(person.role, await accounts_of(conn, person.id)) for person in roster.secretariat]
    # The menus are a convenience: the bot answers without them, and the next start tries again.
    for role, accounts in chats:
        for channel, address in accounts:
            if channel == CHANNEL:
                scope = BotCommandScopeChat(int(address))
                await publish_commands(application.bot, scope, role, services.faults, attempts=5)


# What a person sees before pressing Start (the description, up to 512 characters) and on the bot's profile
# (the short description, up to 120): an invited mayor should know whose bot this is and why to press Start.
DESCRIPTION = N_(
    "The chat bot of KKR Nordjylland for the council's members, substitutes and secretariat: the meetings, "
    "absence (afbud) and substitutes. It needs the personal invite link the secretariat sends you."
)
SHORT_DESCRIPTION = N_("KKR Nordjylland: meetings, absence and substitutes.")


async def publish_description(bot: ExtBot[None], default: Language, faults: FaultLog) -> None:
    """The description and short description in each language, and in the default language (KKRBOT_DEFAULT_
    LANGUAGE) for an app in any other language."""
    for language in (*LANGUAGES, None):
        _ = translator(language or default)
        describe = partial(bot.set_my_description, _(DESCRIPTION), language_code=language)
        await call_until_done(describe, "setMyDescription", faults)
        describe = partial(bot.set_my_short_description, _(SHORT_DESCRIPTION), language_code=language)
        await call_until_done(describe, "setMyShortDescription", faults)


async def publish_profile(application: KkrApplication, services: Services) -> None:
    """What start-up sets at Telegram, beside polling and answering: no webhook (until it is deleted, getUpdates
    meets 409s, which the poller waits out), the members' menu as the default, the description, and the
    secretariat's chats' menus (three calls a chat, so not for everyone at every start; every chat gets its role's
    menu when it binds, in `_ask`). Each call is retried until Telegram takes it."""
    bot, faults = application.bot, services.faults
    await call_until_done(bot.delete_webhook, "deleteWebhook", faults)
    await publish_commands(bot, BotCommandScopeDefault(), Role.MEMBER, faults)
    await publish_description(bot, services.conversation.settings.default_language, faults)
    await publish_personal_menus(application, services)


async def post_init(application: KkrApplication) -> None:
    services: Services = application.bot_data["services"]
    services.side_call(publish_profile(application, services), "start-up calls")
    conversation = services.conversation
    worker = OutboxWorker(
        services.db,
        CHANNEL,
        PeerWatch(services.db, CHANNEL, telegram_delivery(application)),
        on_give_up=conversation.report_undeliverable,
        on_sent=conversation.report_finished_broadcasts,
        retry_base=conversation.settings.retry_base_seconds,
        in_flight=services.in_flight,
        pacer=Pacer(services.limits),
        clock=conversation.clock,
    )
    services.outbox = worker
    conversation.after_commit(worker.wake)
    assert application.job_queue is not None, "install python-telegram-bot[job-queue]"
    # The first tick at once, for what came due while the bot was down (PTB takes a first of 0 as "one interval").
    application.job_queue.run_repeating(on_tick, interval=TICK_SECONDS, first=0.1, name="tick")
    services.outbox_task = services.supervise(asyncio.create_task(worker.run()), "outbox")
    services.tasks = [
        services.supervise(asyncio.create_task(poll(application, services)), "polling"),
        services.supervise(asyncio.create_task(process(application, services)), "processing"),
    ]


async def post_stop(application: KkrApplication) -> None:
    """Polling and processing stop at once (an interrupted update is replayed); the outbox finishes the
    message it is sending, so a clean stop repeats nothing."""
    services: Services = application.bot_data["services"]
    for task in (*services.tasks, *services.side_calls):
        task.cancel()
    await asyncio.gather(*services.tasks, *services.side_calls, return_exceptions=True)
    services.tasks.clear()
    if services.outbox and services.outbox_task:
        await services.outbox.stop(services.outbox_task)
        services.outbox_task = None


def build_application(
    token: str,
    base_url: str,
    base_file_url: str,
    conversation: Conversation,
    db: Database,
    poll_timeout: int = 30,
    max_messages_per_second: float = 30,
    in_flight: int = DEFAULT_TELEGRAM_IN_FLIGHT,
) -> KkrApplication:
    """The Application, without PTB's rate limiter: the outbox paces (bot/delivery/pacing.py says why); its
    requests go as JSON (telegram_request), on a pool of 256 connections. The two clients (sends, getUpdates)
    share one TLS context, as httpx would build it: each one reads the CA bundle, 26 ms of the start."""
    tls = httpx.create_ssl_context()
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .base_file_url(base_file_url)
        .updater(None)
        .request(
            JsonRequest(
                connection_pool_size=256,
                read_timeout=SEND_READ_TIMEOUT,
                write_timeout=SEND_READ_TIMEOUT,
                ssl_context=tls,
            )
        )
        .get_updates_request(JsonRequest(connection_pool_size=1, ssl_context=tls))
        .context_types(ContextTypes(context=KkrContext))
        .post_init(post_init)
        .post_stop(post_stop)
    )
    application: KkrApplication = builder.build()
    limits = Limits.telegram(max_messages_per_second)
    application.bot_data["services"] = Services(conversation, db, poll_timeout, limits, in_flight)
    register_handlers(application)
    return application


async def run_until_stopped(application: KkrApplication, stop: asyncio.Event) -> None:
    """Like run_polling, whose Updater we replace, so it calls post_init and post_stop itself. Returns when
    `stop` is set; raises `Unrecoverable` when a loop met a fault that no retry heals."""
    services: Services = application.bot_data["services"]
    services.stop = stop
    # getMe: a 429 or a 5xx at start is waited out (until a stop), a refused token (InvalidToken) raised.
    if not await unless_stopped(call_until_done(application.initialize, "getMe", services.faults), stop):
        return
    async with application:
        await post_init(application)
        await application.start()
        try:
            await stop.wait()
        finally:
            await post_stop(application)
            await application.stop()
    if services.failure is not None:
        raise services.failure
