"""Keeps a channel's long-running task alive: if it ever ends with an exception, the reason is logged and it is
started again after a pause, so a channel is never silently stopped while the process lives.

The reason is the exception's type and where it was raised, not its text: that may quote what someone wrote."""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.storage.faults import pause

log = logging.getLogger(__name__)


async def supervised(name: str, run: Callable[[], Awaitable[None]], *, first_pause: float = 0.5) -> None:
    """Runs `run()` for ever: a crash is logged with its reason and `run()` starts again (the pause doubles with
    each crash in a row, up to 5 s, and starts over once a run has lasted a minute)."""
    crashes = 0
    loop = asyncio.get_running_loop()
    while True:
        started = loop.time()
        try:
            await run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if loop.time() - started > 60:
                crashes = 0
            log.error("%s died (%s); restarting it", name, reason(exc))
            await asyncio.sleep(pause(crashes, first_pause))
            crashes += 1
        else:
            log.error("%s ended; restarting it", name)
            await asyncio.sleep(pause(crashes, first_pause))
            crashes += 1


def reason(exc: BaseException) -> str:
    """The type and the innermost frame, as in "KeyError at teams.py:312 in _request"."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return type(exc).__name__
    last = frames[-1]
    return f"{type(exc).__name__} at {Path(last.filename).name}:{last.lineno} in {last.name}"
