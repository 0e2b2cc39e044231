"""Runs `kkrbot run` as a real process against the fake Bot API, for tests that must kill or restart it."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC
from pathlib import Path

import aiosqlite
import pytest

from bot.app import open_conversation
from bot.config import Settings
from bot.storage.roster import Roster
from tests.fake_telegram import FakeTelegram
from tests.process_clock import kkrbot_environment, process_now

FIRST_USER_ID = 70_000
PROJECT_ROOT = Path(__file__).resolve().parent.parent


async def bind_everyone(database: Path) -> tuple[Roster, dict[str, int]]:
    """Creates the database with the example roster and binds every person to a Telegram user id, as if
    each had used an invite."""
    conversation = await open_conversation(Settings(_env_file=None, database=database))
    users = {}
    async with conversation.db.transaction() as conn:
        roster = await Roster.load(conn)
        for index, person in enumerate(roster.people):
            users[person.id] = FIRST_USER_ID + index
            await conn.execute(
                "INSERT INTO accounts (channel, address, person_id, bound_at) VALUES ('telegram', ?, ?, ?)",
                (str(users[person.id]), person.id, process_now().astimezone(UTC).isoformat()),
            )
    await conversation.db.close()
    return roster, users


CROWD_FIRST_USER_ID = 800_000


async def add_crowd(
    conn: aiosqlite.Connection, tg: FakeTelegram, size: int, first: int = CROWD_FIRST_USER_ID
) -> list[int]:
    """`size` substitutes of the test's own (person "crowd-UID", bound to Telegram user UID), each chat known
    to the fake server as if the person had written to the bot: recipients for big broadcasts. Returns the
    user ids."""
    crowd = list(range(first, first + size))
    await conn.executemany(
        "INSERT INTO persons (id, name, role, municipality, party) VALUES (?, ?, 'substitute', 'Aalborg', 'A')",
        [(f"crowd-{uid}", f"Crowd {uid}") for uid in crowd],
    )
    await conn.executemany(
        "INSERT INTO accounts (channel, address, person_id, bound_at) VALUES ('telegram', ?, ?, ?)",
        [(str(uid), f"crowd-{uid}", "2026-11-23T08:00:00+00:00") for uid in crowd],
    )
    for uid in crowd:
        tg.open_chat(uid, first_name="Crowd")
    return crowd


async def wait_until_polling(tg: FakeTelegram, calls_before: int) -> None:
    """Until a bot in another process has called getUpdates since `calls_before` was read, i.e. it is up."""
    async with asyncio.timeout(30):
        while tg.get_updates_calls <= calls_before:  # noqa: ASYNC110 - the poller is another process
            await asyncio.sleep(0.01)


async def drained(database: Path, timeout: float = 60) -> None:  # noqa: ASYNC109
    """Until a bot in another process has processed every update and sent or given up every message."""
    async with asyncio.timeout(timeout):
        while True:
            with sqlite3.connect(database, timeout=10) as conn:
                unprocessed = conn.execute("SELECT count(*) FROM inbox WHERE processed_at IS NULL").fetchone()[0]
                unsent = conn.execute(
                    "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL"
                ).fetchone()[0]
            if unprocessed == 0 and unsent == 0:
                return
            await asyncio.sleep(0.1)


def kkrbot_cli(database: Path, *args: str, typed: str | None = None) -> subprocess.CompletedProcess[str]:
    """`kkrbot ARGS` as the secretariat's scripts run it, against the database (of a running bot, perhaps):
    without a terminal, so with `--yes` for the commands that tell people (issue 23)."""
    environment = kkrbot_environment(database)
    confirmed = ("--yes",) if args[:1] in (("broadcast",), ("meeting",)) else ()
    return subprocess.run(
        [sys.executable, "-m", "bot", *args, *confirmed],
        env=environment,
        input=typed,
        capture_output=True,
        text=True,
        timeout=60,
    )


def example_database(database: Path) -> None:
    """A database with the example roster, made as an operator's first start makes it (the console, left at
    once): every command but run, console, roster import and restore refuses a missing one (issue 23)."""
    made = kkrbot_cli(database, "console", typed="/quit\n")
    assert made.returncode == 0, made.stderr


def peak_memory_kib(pid: int) -> int:
    """A running process's peak resident set (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmHWM for process {pid}")


class BotProcess:
    def __init__(
        self,
        tg: FakeTelegram,
        database: Path,
        log: Path,
        module: str = "bot",
        cpus: str | None = None,
        *,
        real_clock: bool = False,
        **env: str,
    ) -> None:
        self.tg = tg
        # `taskset -c CPUS`: the benches run the bot on one core and the fake server on the other (bench.bench_cost).
        self.cpus = cpus
        # The benches measure the bot on the real clock (bench.bench_cost, bench.bench_delivery); tests set theirs.
        self.real_clock = real_clock
        self.module = module
        self.database = database
        self.log = log
        self.env = env
        self.process: asyncio.subprocess.Process | None = None

    def environment(self) -> dict[str, str]:
        """What `kkrbot run` gets: the fake Bot API, this process's database, and `env` on top."""
        return kkrbot_environment(
            self.database,
            real_clock=self.real_clock,
            KKRBOT_TELEGRAM_TOKEN=self.tg.token,
            KKRBOT_TELEGRAM_API_URL=self.tg.base_url,
            KKRBOT_TELEGRAM_FILE_URL=self.tg.base_file_url,
            KKRBOT_POLL_TIMEOUT="1",
            # The process runs in the database's folder; the project's own modules (bench/) stay importable.
            PYTHONPATH=str(PROJECT_ROOT),
            **self.env,
        )

    async def start(self) -> None:
        environment = self.environment()
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                *(["taskset", "-c", self.cpus] if self.cpus else []),
                sys.executable,
                "-m",
                self.module,
                "run",
                env=environment,
                stdout=log,
                stderr=log,
                cwd=self.database.parent,
            )

    @property
    def peak_memory_kib(self) -> int:
        assert self.process is not None
        return peak_memory_kib(self.process.pid)

    async def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed; the worst crash there is."""
        assert self.process is not None
        self.process.kill()
        await self.process.wait()

    async def terminate(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), 30)


def run_as_root(*command: str) -> None:
    """Runs a command only root may (mount, chattr) for a fault test; skips the test where it cannot."""
    if os.geteuid() != 0 or shutil.which(command[0]) is None:
        pytest.skip(f"needs root and {command[0]}")
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"{' '.join(command)} is not permitted here: {result.stderr.strip()}")
