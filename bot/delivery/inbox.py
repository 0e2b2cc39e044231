"""The durable inbox: an update is stored before its offset is confirmed, and marked processed in the
transaction of the change it causes, so a crash at any point neither loses nor repeats it.

Updates are stored raw, as the Bot API sent them, and parsed one at a time after: one that cannot be parsed
is kept aside (`malformed`) and never stops the ones after it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import aiosqlite

from bot.storage.db import Database, first_row, rows, utc_text

# Marks an update processed, (channel, update_id, now); changes no row for one that was processed before: that
# is the replay check. An update is stored before it is processed, at the latest at the start of the same
# transaction (poll's batch goes in with the processor's transaction); only when a fault failed that transaction and
# the retry comes first is it not stored yet, and then it is stored here, processed, without its payload (which
# nothing reads once an update is processed, but the export of a person's data).
MARK_PROCESSED = (
    "INSERT INTO inbox (channel, update_id, payload, received_at, processed_at) VALUES (?1, ?2, '{}', ?3, ?3) "
    "ON CONFLICT (channel, update_id) DO UPDATE SET processed_at = excluded.processed_at "
    "WHERE inbox.processed_at IS NULL"
)


async def store_updates(db: Database, channel: str, updates: list[tuple[int, Any, str | None]], now: datetime) -> None:
    """Stores a batch as fetched: (update_id, the raw JSON, None or why it cannot be parsed), all or none.

    One statement for the whole batch, which goes in with the next transaction to begin (`Database.write`), the
    processor's as a rule, and is committed when this returns. An update that cannot be parsed is stored processed
    and marked `malformed`: kept aside, counted by the health check, never replayed."""
    if not updates:
        return
    received = utc_text(now)
    # INSERT OR IGNORE: an update fetched twice (the offset was not confirmed before a crash) is kept once.
    await db.write(
        "INSERT OR IGNORE INTO inbox (channel, update_id, payload, received_at, processed_at, malformed) VALUES "
        + ", ".join(["(?, ?, ?, ?, ?, ?)"] * len(updates)),
        tuple(
            value
            for update_id, payload, malformed in updates
            for value in (channel, update_id, json.dumps(payload), received, received if malformed else None, malformed)
        ),
    )


async def set_aside(conn: aiosqlite.Connection, channel: str, update_id: int, malformed: str, now: datetime) -> None:
    """Marks a stored update that cannot be parsed (one stored before parsing came first, say): kept, not replayed."""
    await conn.execute(
        "UPDATE inbox SET processed_at = ?, malformed = ? WHERE channel = ? AND update_id = ?",
        (utc_text(now), malformed, channel, update_id),
    )


async def pending_updates(conn: aiosqlite.Connection, channel: str) -> list[tuple[int, Any]]:
    return [
        (row[0], json.loads(row[1]))
        for row in await rows(
            conn,
            "SELECT update_id, payload FROM inbox WHERE channel = ? AND processed_at IS NULL ORDER BY update_id",
            (channel,),
        )
    ]


async def next_offset(conn: aiosqlite.Connection, channel: str) -> int | None:
    row = await first_row(conn, "SELECT max(update_id) FROM inbox WHERE channel = ?", (channel,))
    return int(row[0]) + 1 if row and row[0] is not None else None


async def mark_processed(conn: aiosqlite.Connection, channel: str, update_id: int, now: datetime) -> bool:
    """True if this call processed it; False if it already was (a replay after a crash)."""
    cursor = await conn.execute(MARK_PROCESSED, (channel, update_id, utc_text(now)))
    return cursor.rowcount == 1


async def store_keyed(
    conn: aiosqlite.Connection, channel: str, key: str, payload: dict[str, Any], now: datetime
) -> int | None:
    """For a channel whose events carry a text id (Teams): stores the event under the next sequence number.

    Returns that number, or None when the key was stored before: a redelivery, which must do nothing twice."""
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO inbox (channel, update_id, external_id, payload, received_at) "
        "SELECT ?, coalesce(max(update_id), 0) + 1, ?, ?, ? FROM inbox WHERE channel = ?",
        (channel, key, json.dumps(payload), utc_text(now), channel),
    )
    if cursor.rowcount != 1:
        return None
    row = await first_row(conn, "SELECT update_id FROM inbox WHERE channel = ? AND external_id = ?", (channel, key))
    assert row is not None
    return int(row[0])
