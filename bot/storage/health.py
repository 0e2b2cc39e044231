"""Heartbeats the running bot writes, and `kkrbot health`, which reads them from another process.

A bot whose process lives but whose polling or clock has stopped is the failure a supervisor cannot see,
so the poller and the clock tick each record when they last worked, and the health check (Docker's
HEALTHCHECK, a systemd timer, a monitoring probe) says which one is stale. It opens the database
read-only and never blocks the bot.
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import aiosqlite

from bot.storage.db import Database, from_utc_text, utc_text

POLL = "poll"
TICK = "tick"
DEGRADED_PREFIX = "degraded:"


async def beat(conn: aiosqlite.Connection, name: str, now: datetime) -> None:
    """Records that `name` (POLL or TICK) worked at `now` (the real clock, not the domain's)."""
    await conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (f"heartbeat:{name}", utc_text(now)))


async def set_degraded(db: Database, channel: str, now: datetime) -> None:
    """A channel that cannot reach its server (e-mail's mail server): the bot goes on, and health says so."""
    await db.write(
        "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (f"{DEGRADED_PREFIX}{channel}", utc_text(now))
    )


async def clear_degraded(db: Database, channel: str) -> None:
    await db.write("DELETE FROM meta WHERE key = ?", (f"{DEGRADED_PREFIX}{channel}",))


@dataclass(frozen=True)
class Health:
    polled_at: datetime | None
    ticked_at: datetime | None
    malformed: int  # updates that could not be parsed, kept aside in the inbox
    waiting: int  # messages due in the outbox and not yet sent
    oldest_due_at: datetime | None  # when the longest-waiting due message became due
    # Channels that cannot reach their server (their messages wait): the bot is healthy but degraded.
    degraded: tuple[str, ...] = ()


def read_health(database: Path, now: datetime) -> Health:
    """Reads the heartbeats and counts through a read-only connection, so the check never writes."""
    if not database.exists():
        raise FileNotFoundError(f"no database at {database}")
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)) as conn:
        beats = dict(
            conn.execute("SELECT key, value FROM meta WHERE key LIKE 'heartbeat:%' OR key LIKE 'degraded:%'").fetchall()
        )
        malformed = conn.execute("SELECT count(*) FROM inbox WHERE malformed IS NOT NULL").fetchone()[0]
        degraded = tuple(sorted(key.removeprefix(DEGRADED_PREFIX) for key in beats if key.startswith(DEGRADED_PREFIX)))
        waiting, oldest = conn.execute(
            "SELECT count(*), min(CASE WHEN not_before = '' THEN created_at ELSE not_before END) FROM outbox "
            "WHERE sent_at IS NULL AND failed_at IS NULL AND not_before <= ? "
            f"AND channel NOT IN ({', '.join('?' * len(degraded))})",
            (utc_text(now), *degraded),
        ).fetchone()

    def at(name: str) -> datetime | None:
        value = beats.get(f"heartbeat:{name}")
        return from_utc_text(value) if value else None

    return Health(at(POLL), at(TICK), int(malformed), int(waiting), from_utc_text(oldest) if oldest else None, degraded)


def assess(
    health: Health, now: datetime, *, max_age: float, tick_every: float, polling: bool, running: bool
) -> tuple[bool, str]:
    """Whether the bot is healthy, and the one line that says why not (or what it is doing).

    Polling is stale when no getUpdates has been answered for `max_age` seconds (the poller writes its
    heartbeat at least every few seconds while it works, however idle the bot is); the clock when no tick
    has run for one tick interval more than that; the outbox when a due message has waited that long."""

    def age(moment: datetime) -> float:
        return max(0.0, (now - moment).total_seconds())

    stale = []
    if not running:
        stale.append("no kkrbot process holds the database")
    if polling and health.polled_at is None:
        stale.append("polling has never worked on this database")
    elif polling and health.polled_at is not None and age(health.polled_at) > max_age:
        stale.append(f"polling is stale: the last getUpdates was answered {age(health.polled_at):.0f} s ago")
    if health.ticked_at is None:
        stale.append("the clock has never ticked on this database")
    elif age(health.ticked_at) > tick_every + max_age:
        stale.append(f"the clock is stale: the last tick ran {age(health.ticked_at):.0f} s ago")
    if health.oldest_due_at is not None and age(health.oldest_due_at) > max_age:
        stale.append(
            f"the outbox is stuck: {health.waiting} messages waiting, the oldest due "
            f"{age(health.oldest_due_at):.0f} s ago"
        )
    aside = f"{health.malformed} malformed updates kept aside"
    if stale:
        return False, f"unhealthy: {'; '.join(stale)} (limit {max_age:.0f} s); {aside}"
    polled = f"polled {age(health.polled_at):.0f} s ago, " if polling and health.polled_at else ""
    ticked = f"ticked {age(health.ticked_at):.0f} s ago" if health.ticked_at else ""
    degraded = f"; degraded: {', '.join(health.degraded)} (its messages wait)" if health.degraded else ""
    return True, f"healthy: {polled}{ticked}, {health.waiting} messages waiting, {aside}{degraded}"
