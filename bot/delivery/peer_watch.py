"""A channel's outbox worker, watched for `kkrbot health`: every delivery attempt is the worker's heartbeat, and
its result says whether the channel's server answered.

Wraps any channel's delivery function (Telegram, Teams, e-mail), so each channel reports in one way: its worker
beats as `heartbeat:<channel>:worker`, and an outage shows as `degraded: <channel>`, not as a stuck bot.
Written at most every `every` seconds, and at once when the server stops or starts answering, so a busy
outbox costs one small write every few seconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from bot.delivery.outbox import Delivery, DeliveryResult, OutboxItem
from bot.storage.db import Database
from bot.storage.health import WORKER, beat, channel_beat, record_peer

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0


def unreachable(result: DeliveryResult) -> str | None:
    """Why the server did not take the message, when the fault is the server's or the way to it (a network error,
    a 5xx, a token refused), or None: sent, refused for good, or only asked to slow down (429)."""
    if result.status is not Delivery.RETRY or result.retry_after is not None or result.error == "429":
        return None
    return result.error or "no answer"


class PeerWatch:
    def __init__(
        self,
        db: Database,
        channel: str,
        deliver: Callable[[OutboxItem], Awaitable[DeliveryResult]],
        every: float = HEARTBEAT_SECONDS,
    ) -> None:
        self.db = db
        self.channel = channel
        self.deliver = deliver
        self.every = every
        self._written_at: float | None = None
        self._down: bool | None = None

    async def __call__(self, item: OutboxItem) -> DeliveryResult:
        try:
            result = await self.deliver(item)
        except Exception as exc:
            await self._record(type(exc).__name__)
            raise
        await self._record(unreachable(result))
        return result

    async def _record(self, error: str | None) -> None:
        down = error is not None
        now = time.monotonic()
        if down == self._down and self._written_at is not None and now - self._written_at < self.every:
            return
        try:
            async with self.db.transaction() as conn:
                moment = datetime.now(UTC)
                await beat(conn, channel_beat(self.channel, WORKER), moment)
                await record_peer(conn, self.channel, error, moment)
        except Exception as exc:  # the health record must never stop a delivery; the next attempt writes it
            log.warning("%s worker: could not record its heartbeat: %s", self.channel, type(exc).__name__)
            return
        self._written_at, self._down = now, down
