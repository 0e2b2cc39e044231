"""The secretariat's meeting changes (move, cancel, add an extra meeting), stored as overrides on top of the
bundled plan, and `plan()`: the one place that gives the plan every answer, reminder and calendar uses."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import aiosqlite
from pydantic import Field, TypeAdapter

from bot.storage.db import from_utc_text, rows, utc_text
from kkrcore.meeting_changes import AddMeeting, CancelMeeting, MeetingChange, MoveMeeting, apply_change
from kkrcore.models import Dataset, Meeting
from kkrcore.reasons import InvalidInput

log = logging.getLogger(__name__)

_COLUMNS = "meeting_id, action, start, end, place, address, created_at"


def _moment(text: str | None, zone: ZoneInfo) -> datetime | None:
    return from_utc_text(text).astimezone(zone) if text else None


def _change(row: aiosqlite.Row, zone: ZoneInfo) -> MeetingChange:
    made_at = from_utc_text(row["created_at"])
    start, end = _moment(row["start"], zone), _moment(row["end"], zone)
    if row["action"] == "cancel":
        return CancelMeeting(meeting_id=row["meeting_id"], made_at=made_at)
    if row["action"] == "move":
        return MoveMeeting(
            meeting_id=row["meeting_id"],
            made_at=made_at,
            start=start,
            end=end,
            place=row["place"],
            address=row["address"],
        )
    assert start is not None
    assert end is not None
    return AddMeeting(
        meeting_id=row["meeting_id"], made_at=made_at, start=start, end=end, place=row["place"], address=row["address"]
    )


async def stored_changes(conn: aiosqlite.Connection, zone: ZoneInfo) -> list[MeetingChange]:
    """The changes in the order they were made."""
    return [_change(row, zone) for row in await rows(conn, f"SELECT {_COLUMNS} FROM meeting_overrides ORDER BY id")]


async def plan(conn: aiosqlite.Connection, dataset: Dataset) -> tuple[Meeting, ...]:
    """The bundled plan with the stored changes applied, earliest meeting first (kkrcore computes it).

    Every change was checked against the plan before it was stored; one that no longer fits (the bundled plan
    was replaced under it) is left out with a warning rather than stopping every answer."""
    meetings = tuple(sorted(dataset.meetings, key=lambda m: m.start))
    for change in await stored_changes(conn, ZoneInfo(dataset.timezone)):
        try:
            meetings = apply_change(meetings, change)
        except InvalidInput as refused:
            log.warning("a stored meeting change no longer fits the plan and is left out: %s", refused.reason)
    return meetings


async def record_change(
    conn: aiosqlite.Connection, change: MeetingChange, meeting_id: str, *, by: str | None, reason: str | None = None
) -> None:
    """Stores a change that kkrcore has accepted; `meeting_id` is the id of the meeting it gave (an extra
    meeting's new id), so the stored change always names its meeting."""
    start = change.start if isinstance(change, MoveMeeting | AddMeeting) else None
    end = change.end if isinstance(change, MoveMeeting | AddMeeting) else None
    place = change.place if isinstance(change, MoveMeeting | AddMeeting) else None
    address = change.address if isinstance(change, MoveMeeting | AddMeeting) else None
    await conn.execute(
        "INSERT INTO meeting_overrides (meeting_id, action, start, end, place, address, created_at, created_by, "
        "reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            meeting_id,
            change.action,
            utc_text(start) if start else None,
            utc_text(end) if end else None,
            place,
            address,
            utc_text(change.made_at),
            by,
            reason,
        ),
    )


async def cancellation_reason(conn: aiosqlite.Connection, meeting_id: str) -> str | None:
    found = await rows(
        conn,
        "SELECT reason FROM meeting_overrides WHERE meeting_id = ? AND action = 'cancel' ORDER BY id DESC LIMIT 1",
        (meeting_id,),
    )
    return found[0]["reason"] if found else None


_CHANGE: TypeAdapter[MeetingChange] = TypeAdapter(Annotated[MeetingChange, Field(discriminator="action")])


async def save_draft(
    conn: aiosqlite.Connection, change: MeetingChange, *, reason: str | None, by: str | None, now: datetime
) -> int:
    cursor = await conn.execute(
        "INSERT INTO meeting_change_drafts (change, reason, created_at, created_by) VALUES (?, ?, ?, ?)",
        (_CHANGE.dump_json(change).decode(), reason, utc_text(now), by),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def settle_draft(
    conn: aiosqlite.Connection, draft_id: int, now: datetime
) -> tuple[MeetingChange, str | None] | None:
    """The draft's change and reason the first time only (None if it is unknown or was settled before)."""
    cursor = await conn.execute(
        "UPDATE meeting_change_drafts SET settled_at = ? WHERE id = ? AND settled_at IS NULL", (utc_text(now), draft_id)
    )
    if cursor.rowcount != 1:
        return None
    found = await rows(conn, "SELECT change, reason FROM meeting_change_drafts WHERE id = ?", (draft_id,))
    return _CHANGE.validate_json(found[0]["change"]), found[0]["reason"]
