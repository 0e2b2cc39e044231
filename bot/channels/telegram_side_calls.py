"""Bot API calls that are not messages to a person: getMe and deleteWebhook at start, the command menus, the
bot's description. None of them may keep the bot down or turn a use case's success into an apology, so each is
retried on its own (a 429 after its `retry_after`, a 5xx or a network error after a growing pause) while the bot
polls and answers; only a refused token stops the process. What Telegram refuses outright (a 400) is logged,
never raised.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.storage.faults import FaultLog, Unrecoverable, pause

log = logging.getLogger(__name__)

FIRST_PAUSE_SECONDS = 0.25
MAX_PAUSE_SECONDS = 30.0
TOKEN_REFUSED = "Telegram refused KKRBOT_TELEGRAM_TOKEN while running (401 Unauthorized); check it with @BotFather"


def telegram_fault(exc: TelegramError) -> str:
    """A Bot API failure's kind, for the log: never its text, which can quote what was sent."""
    if isinstance(exc, Conflict):
        return "409 conflict (the token is polled elsewhere, or a killed predecessor's poll is still open)"
    if isinstance(exc, TimedOut):
        return "timed out"
    if isinstance(exc, NetworkError):
        if untrusted_certificate(exc):
            # No retry heals this, but the operator can: say what to fix rather than "network error" for ever.
            return (
                "the Bot API's TLS certificate is not trusted (CERTIFICATE_VERIFY_FAILED); if a proxy intercepts "
                "TLS, name its authority's certificate in SSL_CERT_FILE (docs/settings.md)"
            )
        return "network error or 5xx"
    return f"Telegram error ({type(exc).__name__})"


def untrusted_certificate(exc: BaseException) -> bool:
    """Whether the failure was a TLS certificate the bot does not trust, however deep the transport wrapped it."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def retry_after_seconds(retry_after: float | timedelta) -> float:
    """PTB 22 gives an int and warns it will become a timedelta; accept both."""
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)


async def call_until_done(
    operation: Callable[[], Awaitable[object]], method: str, faults: FaultLog, *, attempts: int | None = None
) -> bool:
    """Runs `operation` until Telegram takes it: True; False when Telegram refused it (400, 403) or `attempts`
    failures were used up (logged, never raised). A refused token (InvalidToken) is raised: nothing heals it. The
    log names the method and the kind of fault, never the error's text (it may quote what was sent)."""
    failures = 0
    while True:
        try:
            await operation()
        except (InvalidToken, EndPointNotFound):
            raise
        except RetryAfter as exc:
            faults.report(method, "429 flood control")
            wait = retry_after_seconds(exc.retry_after)
        except (BadRequest, Forbidden) as exc:
            # A late or repeated acknowledgement (a replayed press), a message already changed: expected now and then.
            log.info("%s refused by Telegram (%s); not retried", method, type(exc).__name__)
            return False
        except TelegramError as exc:  # 5xx, a dropped connection, a timeout, an untrusted certificate
            faults.report(method, telegram_fault(exc))
            wait = pause(failures, FIRST_PAUSE_SECONDS, MAX_PAUSE_SECONDS)
        else:
            faults.recovered(method)
            return True
        failures += 1
        if attempts is not None and failures >= attempts:
            log.warning("%s failed %d times; given up", method, failures)
            return False
        await asyncio.sleep(wait)


async def unless_stopped(operation: Awaitable[object], stop: asyncio.Event) -> bool:
    """Runs `operation` until it ends (True; what it raised is raised) or `stop` is set first (False: it is
    cancelled). Why: a start that waits out an outage (getMe retried for ever) must still end at SIGTERM, at once,
    rather than when the service manager loses patience and kills it."""
    task = asyncio.ensure_future(operation)
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
    if task.done():
        task.result()
        return True
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return False


def in_background(
    coroutine: Coroutine[Any, Any, object],
    name: str,
    tasks: set[asyncio.Task[Any]],
    on_unrecoverable: Callable[[Unrecoverable], None],
) -> asyncio.Task[Any]:
    """Runs a side call's retries beside the bot, kept in `tasks` until done (so a stop can cancel it). A refused
    token stops the process (`on_unrecoverable`); any other failure is logged: it never reaches a use case."""

    def done(task: asyncio.Task[Any]) -> None:
        tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if isinstance(error, (InvalidToken, EndPointNotFound)):
            on_unrecoverable(Unrecoverable(TOKEN_REFUSED))
        elif isinstance(error, Unrecoverable):
            on_unrecoverable(error)
        elif error is not None:
            log.error("%s failed (%s)", name, type(error).__name__)

    task = asyncio.create_task(coroutine, name=name)
    tasks.add(task)
    task.add_done_callback(done)
    return task
