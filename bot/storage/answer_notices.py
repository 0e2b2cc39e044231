"""Which substitute's answer the member and the secretariat were last told, and when: a substitute may change their
answer, but the notices of it are limited to one per substitute, meeting and interval (the latest answer is told
when the interval is over), so flipping cannot flood anyone."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.storage.absences import Answer
from bot.storage.db import first_row, from_utc_text, rows, utc_text


async def last_told(conn: aiosqlite.Connection, absence_id: int) -> tuple[Answer, datetime] | None:
    row = await first_row(conn, "SELECT answer, told_at FROM answer_notices WHERE absence_id = ?", (absence_id,))
    return (Answer(row[0]), from_utc_text(row[1])) if row else None


async def record_told(conn: aiosqlite.Connection, absence_id: int, answer: Answer, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO answer_notices (absence_id, answer, told_at) VALUES (?, ?, ?) ON CONFLICT (absence_id) "
        "DO UPDATE SET answer = excluded.answer, told_at = excluded.told_at",
        (absence_id, answer.value, utc_text(now)),
    )


async def changed_since_told(conn: aiosqlite.Connection, told_before: datetime) -> list[int]:
    """Active absences whose answer changed after it was last told, at `told_before` or earlier."""
    return [
        int(row[0])
        for row in await rows(
            conn,
            "SELECT a.id FROM absences a JOIN answer_notices n ON n.absence_id = a.id "
            "WHERE a.withdrawn_at IS NULL AND a.answer IS NOT NULL AND a.answer != n.answer AND n.told_at <= ? "
            "ORDER BY a.id",
            (utc_text(told_before),),
        )
    ]
