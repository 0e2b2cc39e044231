"""Calendar feed secrets: one random, revocable secret per person names their `/calendar/<secret>.ics` feed.

The secret is kept as it is (not hashed) because `/kalender` shows the link again; it opens nothing but the
meeting calendar, and a person who shared it by mistake makes a new one, which ends the old.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import aiosqlite

from bot.storage.db import first_row, utc_text


async def feed_secret(conn: aiosqlite.Connection, person_id: str, now: datetime) -> str:
    """The person's current secret, made on first use."""
    row = await first_row(
        conn, "SELECT secret FROM calendar_feeds WHERE person_id = ? AND revoked_at IS NULL", (person_id,)
    )
    if row is not None:
        return str(row[0])
    secret = secrets.token_urlsafe(24)
    await conn.execute(
        "INSERT INTO calendar_feeds (secret, person_id, created_at) VALUES (?, ?, ?)",
        (secret, person_id, utc_text(now)),
    )
    return secret


async def revoke_feed(conn: aiosqlite.Connection, person_id: str, now: datetime) -> bool:
    """Ends the person's link; True if there was one."""
    cursor = await conn.execute(
        "UPDATE calendar_feeds SET revoked_at = ? WHERE person_id = ? AND revoked_at IS NULL",
        (utc_text(now), person_id),
    )
    return cursor.rowcount > 0


async def person_for_feed(conn: aiosqlite.Connection, secret: str) -> str | None:
    row = await first_row(
        conn, "SELECT person_id FROM calendar_feeds WHERE secret = ? AND revoked_at IS NULL", (secret,)
    )
    return str(row[0]) if row else None
