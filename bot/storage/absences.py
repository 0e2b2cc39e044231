"""Absence notices (afbud) in the database: one active notice per member and meeting."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

import aiosqlite
from pydantic import BaseModel, ConfigDict

from bot.storage.db import first_row, from_utc_text, rows, utc_text


class Answer(StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Absence(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    id: int
    meeting_id: str
    member_id: str
    substitute_id: str | None
    reported_at: datetime
    withdrawn_at: datetime | None
    answer: Answer | None
    answered_at: datetime | None
    escalated_at: datetime | None
    asked_again_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None


_COLUMNS = (
    "id, meeting_id, member_id, substitute_id, reported_at, withdrawn_at, answer, answered_at, escalated_at, "
    "asked_again_at"
)


def _from_row(row: aiosqlite.Row) -> Absence:
    def moment(value: str | None) -> datetime | None:
        return from_utc_text(value) if value else None

    return Absence(
        id=row["id"],
        meeting_id=row["meeting_id"],
        member_id=row["member_id"],
        substitute_id=row["substitute_id"],
        reported_at=from_utc_text(row["reported_at"]),
        withdrawn_at=moment(row["withdrawn_at"]),
        answer=Answer(row["answer"]) if row["answer"] else None,
        answered_at=moment(row["answered_at"]),
        escalated_at=moment(row["escalated_at"]),
        asked_again_at=moment(row["asked_again_at"]),
    )


async def _select(conn: aiosqlite.Connection, where: str, params: tuple[object, ...]) -> list[Absence]:
    return [
        _from_row(row) for row in await rows(conn, f"SELECT {_COLUMNS} FROM absences WHERE {where} ORDER BY id", params)
    ]


async def record_absence(
    conn: aiosqlite.Connection, meeting_id: str, member_id: str, substitute_id: str | None, now: datetime
) -> Absence:
    cursor = await conn.execute(
        "INSERT INTO absences (meeting_id, member_id, substitute_id, reported_at) VALUES (?, ?, ?, ?)",
        (meeting_id, member_id, substitute_id, utc_text(now)),
    )
    assert cursor.lastrowid is not None
    absence = await get_absence(conn, cursor.lastrowid)
    assert absence is not None
    return absence


async def get_absence(conn: aiosqlite.Connection, absence_id: int) -> Absence | None:
    found = await _select(conn, "id = ?", (absence_id,))
    return found[0] if found else None


async def active_absence(conn: aiosqlite.Connection, meeting_id: str, member_id: str) -> Absence | None:
    found = await _select(conn, "meeting_id = ? AND member_id = ? AND withdrawn_at IS NULL", (meeting_id, member_id))
    return found[0] if found else None


async def active_absences_of(conn: aiosqlite.Connection, member_id: str) -> list[Absence]:
    return await _select(conn, "member_id = ? AND withdrawn_at IS NULL", (member_id,))


async def active_absences_for(conn: aiosqlite.Connection, meeting_id: str) -> list[Absence]:
    return await _select(conn, "meeting_id = ? AND withdrawn_at IS NULL", (meeting_id,))


async def unanswered_absences(conn: aiosqlite.Connection) -> list[Absence]:
    return await _select(conn, "withdrawn_at IS NULL AND answer IS NULL AND escalated_at IS NULL", ())


async def withdraw(conn: aiosqlite.Connection, absence_id: int, now: datetime) -> None:
    await conn.execute("UPDATE absences SET withdrawn_at = ? WHERE id = ?", (utc_text(now), absence_id))


async def set_answer(conn: aiosqlite.Connection, absence_id: int, answer: Answer, now: datetime) -> None:
    await conn.execute(
        "UPDATE absences SET answer = ?, answered_at = ? WHERE id = ?", (answer.value, utc_text(now), absence_id)
    )


async def mark_escalated(conn: aiosqlite.Connection, absence_id: int, now: datetime) -> None:
    await conn.execute("UPDATE absences SET escalated_at = ? WHERE id = ?", (utc_text(now), absence_id))


async def claim_reminder(conn: aiosqlite.Connection, meeting_id: str, person_id: str, now: datetime) -> bool:
    """True the first time only: the reminder row is written with the reminder, so none is sent twice."""
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO reminders (meeting_id, person_id, sent_at) VALUES (?, ?, ?)",
        (meeting_id, person_id, utc_text(now)),
    )
    return cursor.rowcount == 1


async def quorum_state_changed(conn: aiosqlite.Connection, meeting_id: str, at_risk: bool, now: datetime) -> bool:
    """Records the state; True if it differs from what the secretariat was last told (none told = quorate)."""
    row = await first_row(conn, "SELECT at_risk FROM quorum_alerts WHERE meeting_id = ?", (meeting_id,))
    previous = bool(row[0]) if row else False
    if previous == at_risk:
        return False
    await conn.execute(
        "INSERT INTO quorum_alerts (meeting_id, at_risk, alerted_at) VALUES (?, ?, ?) "
        "ON CONFLICT (meeting_id) DO UPDATE SET at_risk = excluded.at_risk, alerted_at = excluded.alerted_at",
        (meeting_id, int(at_risk), utc_text(now)),
    )
    return True


async def active_absences_involving(conn: aiosqlite.Connection, person_id: str) -> list[Absence]:
    """In one read, a person's own standing absences and the notices whose alert went to them as the
    substitute, still standing (answered or not): both are shown beside every meeting."""
    return await _select(conn, "(member_id = ? OR substitute_id = ?) AND withdrawn_at IS NULL", (person_id, person_id))


async def close_for_cancelled_meeting(conn: aiosqlite.Connection, meeting_id: str, now: datetime) -> list[Absence]:
    """Closes the standing notices of a cancelled meeting (withdrawn, marked why) and returns them as they
    stood, so their members and substitutes can be told they need not come."""
    standing = await active_absences_for(conn, meeting_id)
    await conn.execute(
        "UPDATE absences SET withdrawn_at = ?, closed = 'meeting_cancelled' "
        "WHERE meeting_id = ? AND withdrawn_at IS NULL",
        (utc_text(now), meeting_id),
    )
    return standing


async def close_for_departure(
    conn: aiosqlite.Connection, person_id: str, meeting_ids: Sequence[str], departure_id: int, now: datetime
) -> tuple[list[Absence], list[Absence]]:
    """A person left the KKR (R-MEM-5): their own standing notices for `meeting_ids` (the meetings to come) are
    closed, and the alerts that asked them to cover someone are taken back from them: the member stays absent,
    with nobody asked in their place (an accepted answer no longer counts them present). Returns both as they
    stood, so the people concerned can be told. Notices of meetings already held stay, for the minutes."""
    standing = [a for a in await active_absences_involving(conn, person_id) if a.meeting_id in set(meeting_ids)]
    own = [a for a in standing if a.member_id == person_id]
    covering = [a for a in standing if a.member_id != person_id]
    await conn.executemany(
        "UPDATE absences SET withdrawn_at = ?, closed_by_departure = ? WHERE id = ?",
        [(utc_text(now), departure_id, a.id) for a in own],
    )
    # escalated_at: nobody is left to answer, so the unanswered alert is not escalated either.
    await conn.executemany(
        "UPDATE absences SET substitute_id = NULL, answer = NULL, answered_at = NULL, escalated_at = ?, "
        "closed_by_departure = ? WHERE id = ?",
        [(utc_text(now), departure_id, a.id) for a in covering],
    )
    return own, covering


async def ask_again_for_moved_meeting(conn: aiosqlite.Connection, meeting_id: str, now: datetime) -> None:
    """The meeting moved to a new time: a substitute's "yes" was for the old one, so it becomes a question again
    (not counted as attending), the escalation waits for the new time, and the reminders are sent again."""
    await conn.execute(
        "UPDATE absences SET answer = NULL, answered_at = NULL, asked_again_at = ? "
        "WHERE meeting_id = ? AND withdrawn_at IS NULL AND answer = 'accepted'",
        (utc_text(now), meeting_id),
    )
    await conn.execute(
        "UPDATE absences SET escalated_at = NULL WHERE meeting_id = ? AND withdrawn_at IS NULL AND answer IS NULL",
        (meeting_id,),
    )
    await conn.execute("DELETE FROM reminders WHERE meeting_id = ?", (meeting_id,))
