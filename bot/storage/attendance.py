"""The attendance of record (R-MEET-4): who was present at a meeting, as the secretariat records it. Before that,
the bot only knows notices and answers; this record is what the minutes and the quorum state as fact.

One record per meeting, kept in versions: a correction is a new version, and every earlier one stays (the
history). Each version has one row per seat: the member present, a named substitute present, or absent. A draft
is what the secretariat previews before saving; it is settled once, so Save pressed twice saves once."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum

import aiosqlite
from pydantic import BaseModel, ConfigDict

from bot.storage.db import first_row, from_utc_text, rows, utc_text


class Presence(StrEnum):
    MEMBER = "member"  # the member came
    SUBSTITUTE = "substitute"  # a named substitute came in the member's place
    ABSENT = "absent"  # nobody filled the seat


class Seat(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    member_id: str
    presence: Presence
    substitute_id: str | None = None

    @property
    def attendee(self) -> str | None:
        """Who sat in the seat, if anyone."""
        if self.presence is Presence.MEMBER:
            return self.member_id
        return self.substitute_id if self.presence is Presence.SUBSTITUTE else None


class AttendanceRecord(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    meeting_id: str
    version: int
    recorded_at: datetime
    recorded_by: str | None
    seats: tuple[Seat, ...]


async def _seats(conn: aiosqlite.Connection, record_id: int) -> tuple[Seat, ...]:
    found = await rows(
        conn,
        "SELECT member_id, present, substitute_id FROM attendance_seats WHERE record_id = ? ORDER BY rowid",
        (record_id,),
    )
    return tuple(Seat(member_id=r[0], presence=Presence(r[1]), substitute_id=r[2]) for r in found)


_RECORD_COLUMNS = "id, version, recorded_at, recorded_by"


async def _record(conn: aiosqlite.Connection, meeting_id: str, row: aiosqlite.Row) -> AttendanceRecord:
    return AttendanceRecord(
        meeting_id=meeting_id,
        version=row[1],
        recorded_at=from_utc_text(row[2]),
        recorded_by=row[3],
        seats=await _seats(conn, row[0]),
    )


async def record_versions(conn: aiosqlite.Connection, meeting_id: str) -> list[AttendanceRecord]:
    """Every version of the meeting's record, oldest first (the history)."""
    found = await rows(
        conn, f"SELECT {_RECORD_COLUMNS} FROM attendance_records WHERE meeting_id = ? ORDER BY version", (meeting_id,)
    )
    return [await _record(conn, meeting_id, row) for row in found]


async def latest_record(conn: aiosqlite.Connection, meeting_id: str) -> AttendanceRecord | None:
    row = await first_row(
        conn,
        f"SELECT {_RECORD_COLUMNS} FROM attendance_records WHERE meeting_id = ? ORDER BY version DESC LIMIT 1",
        (meeting_id,),
    )
    return await _record(conn, meeting_id, row) if row else None


async def save_record(
    conn: aiosqlite.Connection, meeting_id: str, seats: tuple[Seat, ...], *, by: str | None, now: datetime
) -> AttendanceRecord:
    """A new version of the meeting's record (the first, or a correction); earlier versions stay."""
    row = await first_row(
        conn, "SELECT COALESCE(MAX(version), 0) FROM attendance_records WHERE meeting_id = ?", (meeting_id,)
    )
    version = (row[0] if row else 0) + 1
    cursor = await conn.execute(
        "INSERT INTO attendance_records (meeting_id, version, recorded_at, recorded_by) VALUES (?, ?, ?, ?)",
        (meeting_id, version, utc_text(now), by),
    )
    record_id = cursor.lastrowid
    await conn.executemany(
        "INSERT INTO attendance_seats (record_id, member_id, present, substitute_id) VALUES (?, ?, ?, ?)",
        [(record_id, s.member_id, s.presence.value, s.substitute_id) for s in seats],
    )
    return AttendanceRecord(meeting_id=meeting_id, version=version, recorded_at=now, recorded_by=by, seats=seats)


def _dump(seats: tuple[Seat, ...]) -> str:
    return json.dumps([s.model_dump(mode="json") for s in seats])


async def save_draft(
    conn: aiosqlite.Connection, meeting_id: str, seats: tuple[Seat, ...], *, by: str | None, now: datetime
) -> int:
    cursor = await conn.execute(
        "INSERT INTO attendance_drafts (meeting_id, seats, created_at, created_by) VALUES (?, ?, ?, ?)",
        (meeting_id, _dump(seats), utc_text(now), by),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def settle_draft(conn: aiosqlite.Connection, draft_id: int, now: datetime) -> tuple[str, tuple[Seat, ...]] | None:
    """The draft's meeting and seats the first time only (None if it is unknown or was settled before)."""
    cursor = await conn.execute(
        "UPDATE attendance_drafts SET settled_at = ? WHERE id = ? AND settled_at IS NULL", (utc_text(now), draft_id)
    )
    if cursor.rowcount != 1:
        return None
    row = await first_row(conn, "SELECT meeting_id, seats FROM attendance_drafts WHERE id = ?", (draft_id,))
    assert row is not None
    return row[0], tuple(Seat.model_validate(s) for s in json.loads(row[1]))
