"""Heartbeats the running bot writes, and `kkrbot health`, which reads them from another process.

A bot whose process lives but whose polling or clock has stopped is the failure a supervisor cannot see,
so the poller and the clock tick each record when they last worked, and the health check (Docker's
HEALTHCHECK, a systemd timer, a monitoring probe) says which one is stale. It opens the database
read-only and never blocks the bot.

Each channel's processor and outbox worker beat on their own (`heartbeat:<channel>:processor`, `...:worker`),
and the worker records whether the channel's server answered (`peer:<channel>`). The check tells apart what a
restart cures from what it does not: a processor or worker of ours that has work waiting and has not tried it
for the limit is stuck (unhealthy, exit 1); a channel whose server is unreachable is `degraded: <channel>`
(exit 0, with a line naming it), because restarting the whole bot, Telegram included, cures no outage of Teams.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import aiosqlite

from bot.storage.db import from_utc_text, utc_text

POLL = "poll"
# The poller tried getUpdates and Telegram did not answer it (the poller's own beat during an outage).
POLL_TRIED = "poll-tried"
TICK = "tick"
DEGRADED_PREFIX = "degraded:"


PROCESSOR = "processor"
WORKER = "worker"


async def beat(conn: aiosqlite.Connection, name: str, now: datetime) -> None:
    """Records that `name` (POLL, TICK, or `channel_beat(...)`) worked at `now` (the real clock, not the domain's)."""
    await conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (f"heartbeat:{name}", utc_text(now)))


def channel_beat(channel: str, part: str) -> str:
    """The heartbeat's name for a channel's PROCESSOR or WORKER."""
    return f"{channel}:{part}"


async def record_peer(conn: aiosqlite.Connection, channel: str, error: str | None, now: datetime) -> None:
    """Whether the channel's server answered: `error` None says it did; otherwise the first failure of an
    outage is kept (its time says how long the outage has lasted), with the latest error."""
    key = f"peer:{channel}"
    if error is None:
        await conn.execute("DELETE FROM meta WHERE key = ?", (key,))
        return
    found = list(await conn.execute_fetchall("SELECT value FROM meta WHERE key = ?", (key,)))
    since = json.loads(found[0][0])["since"] if found else utc_text(now)
    await conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, json.dumps({"since": since, "error": error}))
    )


@dataclass(frozen=True)
class ChannelHealth:
    """One channel's beats and work, as `kkrbot health` reads them."""

    processed_at: datetime | None = None
    worked_at: datetime | None = None  # the outbox worker's last attempt
    unreachable_since: datetime | None = None  # None: the server answered the last attempt
    peer_error: str | None = None
    unprocessed: int = 0
    oldest_received_at: datetime | None = None
    waiting: int = 0  # due and not yet sent
    oldest_due_at: datetime | None = None


@dataclass(frozen=True)
class Health:
    polled_at: datetime | None
    ticked_at: datetime | None
    malformed: int  # updates that could not be parsed, kept aside in the inbox
    waiting: int  # messages due in the outbox and not yet sent
    oldest_due_at: datetime | None  # when the longest-waiting due message became due
    channels: dict[str, ChannelHealth] = field(default_factory=dict)
    poll_tried_at: datetime | None = None  # the poller's last unanswered getUpdates (POLL_TRIED)


def read_health(database: Path, now: datetime) -> Health:
    """Reads the heartbeats and counts through a read-only connection, so the check never writes."""
    if not database.exists():
        raise FileNotFoundError(f"no database at {database}")
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)) as conn:
        beats = dict(
            conn.execute("SELECT key, value FROM meta WHERE key LIKE 'heartbeat:%' OR key LIKE 'degraded:%'").fetchall()
        )
        malformed = conn.execute("SELECT count(*) FROM inbox WHERE malformed IS NOT NULL").fetchone()[0]
        outbox = conn.execute(
            "SELECT channel, count(*), min(CASE WHEN not_before = '' THEN created_at ELSE not_before END) FROM outbox "
            "WHERE sent_at IS NULL AND failed_at IS NULL AND not_before <= ? GROUP BY channel",
            (utc_text(now),),
        ).fetchall()
        inbox = conn.execute(
            "SELECT channel, count(*), min(received_at) FROM inbox WHERE processed_at IS NULL GROUP BY channel"
        ).fetchall()
        peers = dict(conn.execute("SELECT substr(key, 6), value FROM meta WHERE key LIKE 'peer:%'").fetchall())

    def at(name: str) -> datetime | None:
        value = beats.get(f"heartbeat:{name}")
        return from_utc_text(value) if value else None

    names = {key.split(":")[1] for key in beats if key.count(":") == 2} | set(peers)
    names |= {row[0] for row in outbox} | {row[0] for row in inbox}
    channels = {}
    for name in sorted(names):
        peer = json.loads(peers[name]) if name in peers else {}
        sent = next((row for row in outbox if row[0] == name), (name, 0, None))
        received = next((row for row in inbox if row[0] == name), (name, 0, None))
        channels[name] = ChannelHealth(
            processed_at=at(channel_beat(name, PROCESSOR)),
            worked_at=at(channel_beat(name, WORKER)),
            unreachable_since=from_utc_text(peer["since"]) if peer else None,
            peer_error=peer.get("error"),
            unprocessed=int(received[1]),
            oldest_received_at=from_utc_text(received[2]) if received[2] else None,
            waiting=int(sent[1]),
            oldest_due_at=from_utc_text(sent[2]) if sent[2] else None,
        )
    oldest_due = [c.oldest_due_at for c in channels.values() if c.oldest_due_at is not None]
    return Health(
        at(POLL),
        at(TICK),
        int(malformed),
        sum(c.waiting for c in channels.values()),
        min(oldest_due) if oldest_due else None,
        channels,
        at(POLL_TRIED),
    )


def assess(
    health: Health, now: datetime, *, max_age: float, tick_every: float, polling: bool, running: bool
) -> tuple[bool, str]:
    """Whether the bot is healthy, and the one line that says why not (or what it is doing).

    Polling is stale when no getUpdates has been answered for `max_age` seconds (the poller writes its
    heartbeat at least every few seconds while it works, however idle the bot is); the clock when no tick
    has run for one tick interval more than that; the outbox when a due message has waited that long."""

    def age(moment: datetime) -> float:
        return max(0.0, (now - moment).total_seconds())

    stale: list[str] = []
    degraded: list[str] = []
    if not running:
        stale.append("no kkrbot process holds the database")
    if polling and health.polled_at is None:
        stale.append("polling has never worked on this database")
    elif polling and health.polled_at is not None and age(health.polled_at) > max_age:
        telegram = health.channels.get("telegram")
        trying = health.poll_tried_at is not None and age(health.poll_tried_at) <= max_age
        if trying and telegram is not None and telegram.unreachable_since is not None:
            # Telegram's outage, not ours: the poller keeps asking (a restart would cure nothing).
            degraded.append(
                f"telegram (getUpdates has not been answered for {age(health.polled_at):.0f} s: "
                f"{telegram.peer_error}; the poller keeps trying)"
            )
        else:
            stale.append(f"polling is stale: the last getUpdates was answered {age(health.polled_at):.0f} s ago")
    if health.ticked_at is None:
        stale.append("the clock has never ticked on this database")
    elif age(health.ticked_at) > tick_every + max_age:
        stale.append(f"the clock is stale: the last tick ran {age(health.ticked_at):.0f} s ago")
    for name, channel in health.channels.items():
        stuck, outage = _channel_state(name, channel, age, max_age)
        stale += stuck
        degraded += outage
    aside = f"{health.malformed} malformed updates kept aside"
    if stale:
        return False, f"unhealthy: {'; '.join(stale)} (limit {max_age:.0f} s); {aside}"
    polled = f"polled {age(health.polled_at):.0f} s ago, " if polling and health.polled_at else ""
    ticked = f"ticked {age(health.ticked_at):.0f} s ago" if health.ticked_at else ""
    if degraded:
        return True, f"degraded: {'; '.join(degraded)}; {polled}{ticked}, {aside}"
    return True, f"healthy: {polled}{ticked}, {health.waiting} messages waiting, {aside}"


def _channel_state(
    name: str, channel: ChannelHealth, age: Callable[[datetime], float], max_age: float
) -> tuple[list[str], list[str]]:
    """What is stuck in one channel (its processor or worker has work and no attempt for `max_age`), and what
    is degraded (its server unreachable, or messages late while the worker keeps trying)."""
    stuck, outage = [], []

    def idle(moment: datetime | None) -> bool:
        return moment is None or age(moment) > max_age

    waited = channel.oldest_received_at is not None and age(channel.oldest_received_at) > max_age
    if waited and idle(channel.processed_at):
        assert channel.oldest_received_at is not None
        stuck.append(
            f"the {name} processor is stuck: {channel.unprocessed} received and not processed, the oldest "
            f"{age(channel.oldest_received_at):.0f} s ago"
        )
    late = channel.oldest_due_at is not None and age(channel.oldest_due_at) > max_age
    if late and idle(channel.worked_at):
        assert channel.oldest_due_at is not None
        stuck.append(
            f"the {name} outbox is stuck: {channel.waiting} messages waiting, the oldest due "
            f"{age(channel.oldest_due_at):.0f} s ago"
        )
    elif channel.unreachable_since is not None and not idle(channel.worked_at):
        # (An outage nobody has tried for the limit is old news: the next attempt says whether it lasts.)
        outage.append(
            f"{name} (its server has not answered for {age(channel.unreachable_since):.0f} s: {channel.peer_error}; "
            f"{channel.waiting} messages waiting)"
        )
    elif late:
        outage.append(f"{name} ({channel.waiting} messages waiting, the oldest due over {max_age:.0f} s ago)")
    return stuck, outage
