"""Runs `kkrbot run` as a real process against the fake Bot API, for tests that must kill or restart it."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.fake_telegram import FakeTelegram


class BotProcess:
    def __init__(self, tg: FakeTelegram, database: Path, log: Path, **env: str) -> None:
        self.tg = tg
        self.database = database
        self.log = log
        self.env = env
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("KKRBOT_")}
        environment.update(
            KKRBOT_TELEGRAM_TOKEN=self.tg.token,
            KKRBOT_TELEGRAM_API_URL=self.tg.base_url,
            KKRBOT_TELEGRAM_FILE_URL=self.tg.base_file_url,
            KKRBOT_DATABASE=str(self.database),
            KKRBOT_POLL_TIMEOUT="1",
            **self.env,
        )
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=environment, stdout=log, stderr=log, cwd=self.database.parent
            )

    async def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed; the worst crash there is."""
        assert self.process is not None
        self.process.kill()
        await self.process.wait()

    async def terminate(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), 30)
