"""Which faults heal by themselves and which do not, and how the bot's loops live through the ones that do.

A loop that ends while the process lives is the worst failure a bot can have: nobody notices until a
meeting goes wrong. So polling, processing, the outbox and the clock tick retry every transient fault
(the database locked by another process, a full disk, an I/O error, a read-only file, the network, a 5xx,
a 409) with a growing pause, and say so in the log once per kind and minute, never with what people
wrote. A fault that cannot heal (`Unrecoverable`: the token refused while running, the database file
gone) stops the process with one line, so a supervisor restarts it and an operator sees why.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import sqlite3
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

REPORT_EVERY_SECONDS = 60.0
FIRST_PAUSE_SECONDS = 0.2
MAX_PAUSE_SECONDS = 5.0

# SQLite's primary result codes that a retry can get past once the cause is gone.
_SQLITE_TRANSIENT = {
    5: "database locked",  # SQLITE_BUSY: another process holds the write lock beyond the busy timeout
    6: "database locked",  # SQLITE_LOCKED
    8: "database read-only",  # SQLITE_READONLY
    10: "database I/O error",  # SQLITE_IOERR: also what a write to an immutable or vanished mount gives
    13: "disk full",  # SQLITE_FULL
    14: "database cannot be opened",  # SQLITE_CANTOPEN: a WAL or journal file that cannot be created
    15: "database locked",  # SQLITE_PROTOCOL
}
_OS_TRANSIENT = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk full",
    errno.EROFS: "database read-only",
    errno.EACCES: "database read-only",
    errno.EPERM: "database read-only",
    errno.EIO: "database I/O error",
}


class Unrecoverable(Exception):
    """A fault no retry can heal; the message is the one line the operator reads."""


def database_fault(exc: BaseException) -> str | None:
    """The kind of a transient database or file-system fault, or None if `exc` is not one."""
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        if code is not None:
            return _SQLITE_TRANSIENT.get(code & 0xFF)
        # Without a code (an older SQLite binding): the messages SQLite uses for these.
        text = str(exc).lower()
        for needle, kind in (("locked", "database locked"), ("busy", "database locked"), ("full", "disk full")):
            if needle in text:
                return kind
        if "readonly" in text or "read-only" in text:
            return "database read-only"
        if "i/o" in text:
            return "database I/O error"
        return None
    if isinstance(exc, OSError) and exc.errno is not None:
        return _OS_TRANSIENT.get(exc.errno)
    return None


def pause(failures: int, first: float = FIRST_PAUSE_SECONDS, most: float = MAX_PAUSE_SECONDS) -> float:
    """The wait before retry number `failures + 1`: doubling from `first`, never more than `most`, so the
    bot is back within seconds of the cause going away."""
    return float(min(most, first * 2**failures))


class FaultLog:
    """Logs each kind of fault at `where` once per minute (with how many more there were), and its end once.

    The line holds where and what kind, never an exception's text, which may carry an update's contents."""

    def __init__(
        self,
        logger: logging.Logger,
        every: float = REPORT_EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.every = every
        self.clock = clock
        self._last: dict[tuple[str, str], float] = {}
        self._unreported: Counter[tuple[str, str]] = Counter()
        self._failing: Counter[str] = Counter()

    def report(self, where: str, kind: str) -> None:
        key = (where, kind)
        now = self.clock()
        self._failing[where] += 1
        last = self._last.get(key)
        if last is not None and now - last < self.every:
            self._unreported[key] += 1
            return
        self._last[key] = now
        more = self._unreported.pop(key, 0)
        suffix = f" ({more} more since the last report)" if more else ""
        self.logger.warning("%s: %s; retrying%s", where, kind, suffix)

    def recovered(self, where: str) -> None:
        """Logs once that `where` works again after failing, so the log shows how long an outage lasted."""
        failures = self._failing.pop(where, 0)
        if failures:
            self.logger.warning("%s: working again after %d failed attempts", where, failures)


async def until_done(
    operation: Callable[[], Awaitable[T]],
    where: str,
    faults: FaultLog,
    kind_of: Callable[[BaseException], str | None] = database_fault,
    check: Callable[[], None] | None = None,
) -> T:
    """Runs `operation` until it succeeds, pausing after each transient fault; anything else is raised.

    For a write that must not be lost or done twice: the caller keeps what it has (a fetched batch, a
    delivered message) in memory and waits here until the database takes it. `check` runs after each
    fault and may raise `Unrecoverable` (the database file is gone: waiting would never end)."""
    failures = 0
    while True:
        try:
            result = await operation()
        except Exception as exc:
            kind = kind_of(exc)
            if kind is None:
                raise
            faults.report(where, kind)
            if check is not None:
                check()
            await asyncio.sleep(pause(failures))
            failures += 1
            continue
        if failures:
            faults.recovered(where)
        return result
