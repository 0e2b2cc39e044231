"""A departure the secretariat typed (`/udtraedelse PERSON-ID byraad|parti|borgmester`), kept while its preview
waits for Send or Cancel: settled once, so a second press or a replayed update records nothing."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from bot.storage.db import first_row, utc_text


async def add_departure_draft(conn: aiosqlite.Connection, words: Sequence[str], by: str | None, now: datetime) -> int:
    cursor = await conn.execute(
        "INSERT INTO departure_drafts (words, created_by, created_at) VALUES (?, ?, ?)",
        (json.dumps(list(words), ensure_ascii=False), by, utc_text(now)),
    )
    return int(cursor.lastrowid or 0)


async def settle_departure_draft(
    conn: aiosqlite.Connection, draft_id: int, settled: str, now: datetime
) -> list[str] | None:
    """The words of the draft, now marked `settled` ('sent' or 'cancelled'); None when it was settled already or
    there is none."""
    row = await first_row(conn, "SELECT words FROM departure_drafts WHERE id = ? AND settled IS NULL", (draft_id,))
    if row is None:
        return None
    await conn.execute(
        "UPDATE departure_drafts SET settled = ?, settled_at = ? WHERE id = ?", (settled, utc_text(now), draft_id)
    )
    return list(json.loads(row[0]))
