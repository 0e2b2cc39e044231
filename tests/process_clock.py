"""The clock of every kkrbot process a test starts, so that no test depends on the day it runs.

In-process tests move a `Clock` by hand (tests/conftest.py); a process (`kkrbot run`, the console, a CLI command)
reads the system clock, so it runs under libfaketime (its PyPI package, a test dependency) from the reference
instant on. Each process starts that much later as the test session has run, so the processes of one test never
see time go backwards (a restarted bot, a command after a command), and the clock ticks as it really does."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import libfaketime

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
# The reference instant: asked on Monday 23 November 2026, the next meeting is 12 February 2027.
REFERENCE_NOW = datetime(2026, 11, 23, 9, 0, tzinfo=COPENHAGEN)

_SESSION_STARTED = time.monotonic()


def process_now() -> datetime:
    """What the clock of a process started now reads: the reference instant plus the session's time so far."""
    return REFERENCE_NOW + timedelta(seconds=time.monotonic() - _SESSION_STARTED)


def clock_environment(at: datetime | None = None) -> dict[str, str]:
    """The variables that start a process's clock at `at` (default `process_now()`) and let it tick; the
    monotonic clock stays real (asyncio's timers and the pacer run on it)."""
    start = (at or process_now()).astimezone()  # libfaketime reads the instant in the process's local time
    library = libfaketime.get_reload_information()[1]["LD_LIBRARY_PATH"]
    inherited = os.environ.get("LD_LIBRARY_PATH")
    return {
        "LD_PRELOAD": "libfaketime.so.1",
        "LD_LIBRARY_PATH": f"{library}:{inherited}" if inherited else library,
        "FAKETIME": start.strftime("@%Y-%m-%d %H:%M:%S"),
        "DONT_FAKE_MONOTONIC": "1",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    }


def kkrbot_environment(
    database: Path, at: datetime | None = None, *, real_clock: bool = False, **settings: str
) -> dict[str, str]:
    """The environment of a kkrbot process in a test: none of the caller's KKRBOT_ settings, the database and
    `settings` given, and the test clock (`clock_environment`); `real_clock` for a benchmark, which measures the
    bot as it runs, without libfaketime between it and every clock call."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("KKRBOT_")}
    environment["KKRBOT_DATABASE"] = str(database)
    if not real_clock:
        environment.update(clock_environment(at))
    environment.update(settings)
    return environment
