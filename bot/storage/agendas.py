"""Meeting agendas, kept as versions: every change is a new row with its time, so the bot can show the
latest and say when it changed after it was first published."""

from __future__ import annotations

from datetime import datetime

import aiosqlite
from pydantic import BaseModel, ConfigDict

from bot.storage.db import from_utc_text, rows, utc_text


class Agenda(BaseModel):
    """The latest version of a meeting's agenda, and when the first one was published."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    meeting_id: str
    text: str
    document_file_id: str | None
    document_name: str | None
    changed_at: datetime
    first_published_at: datetime
    versions: int

    @property
    def updated(self) -> bool:
        """Changed after it was first published: members who read the first version should look again."""
        return self.versions > 1


async def add_agenda_version(
    conn: aiosqlite.Connection,
    meeting_id: str,
    text: str,
    now: datetime,
    *,
    by: str | None,
    document_file_id: str | None = None,
    document_name: str | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO agenda_versions (meeting_id, text, document_file_id, document_name, created_at, created_by) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (meeting_id, text, document_file_id, document_name, utc_text(now), by),
    )


async def latest_agenda(conn: aiosqlite.Connection, meeting_id: str) -> Agenda | None:
    found = await rows(
        conn,
        "SELECT text, document_file_id, document_name, created_at, "
        "(SELECT min(created_at) FROM agenda_versions f WHERE f.meeting_id = v.meeting_id), "
        "(SELECT count(*) FROM agenda_versions c WHERE c.meeting_id = v.meeting_id) "
        "FROM agenda_versions v WHERE meeting_id = ? ORDER BY id DESC LIMIT 1",
        (meeting_id,),
    )
    if not found:
        return None
    row = found[0]
    return Agenda(
        meeting_id=meeting_id,
        text=row[0],
        document_file_id=row[1],
        document_name=row[2],
        changed_at=from_utc_text(row[3]),
        first_published_at=from_utc_text(row[4]),
        versions=int(row[5]),
    )
