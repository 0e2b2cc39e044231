"""Broadcasts in the database: the broadcast, its recipients, and each recipient's delivery state, read from
the outbox row that carries the message (so the state is the outbox's own, never a second bookkeeping).

Two numbers: `id`, the row's, which a draft's own buttons carry (Send, Cancel, its meeting), and `number`, the one
people see and type (`/udsendelse N`, "Set", `kkrbot broadcast show N`), given when the broadcast is sent, so
abandoned drafts leave no gaps (issue 23). Broadcasts made before numbers kept their id as their number, so the
numbers already in messages and on buttons still name the same broadcast."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import aiosqlite

from bot.storage.db import first_row, from_utc_text, rows, utc_text


class State(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    DELIVERED = "delivered"
    PENDING = "pending"
    FAILED = "failed"


NOT_BOUND = "not bound"
BLOCKED = "blocked"
# The kinds of broadcast whose heading the bot writes itself, in each recipient's language.
AGENDA = "agenda"
AGENDA_CHANGED = "agenda changed"


@dataclass(frozen=True)
class Broadcast:
    id: int
    sender_id: str | None
    audience: str
    meeting_id: str | None
    text: str
    document_file_id: str | None
    document_name: str | None
    # Only in drafts made before migration 10; since then the bytes are in `documents`, once (document_id).
    document_content: bytes | None
    ack: bool
    created_at: datetime
    sent_at: datetime | None
    cancelled_at: datetime | None
    reminded_at: datetime | None
    reported_at: datetime | None
    document_id: int | None
    # None for the secretariat's own text; AGENDA or AGENDA_CHANGED when the bot words the heading itself.
    kind: str | None = None
    # What people see and type; None for a draft (given when it is sent).
    number: int | None = None


@dataclass(frozen=True)
class RecipientState:
    person_id: str
    state: State
    reason: str | None  # for a failure: "blocked", "not bound", or the channel's error


@dataclass(frozen=True)
class Counts:
    recipients: int
    delivered: int
    failed: int
    pending: int
    acknowledged: int

    def as_json(self) -> dict[str, int]:
        return {
            "recipients": self.recipients,
            "delivered": self.delivered,
            "failed": self.failed,
            "pending": self.pending,
            "acknowledged": self.acknowledged,
        }


_COLUMNS = (
    "id, sender_id, audience, meeting_id, text, document_file_id, document_name, document_content, ack, "
    "created_at, sent_at, cancelled_at, reminded_at, reported_at, document_id, kind, number"
)


def _moment(value: str | None) -> datetime | None:
    return from_utc_text(value) if value else None


def _from_row(row: aiosqlite.Row) -> Broadcast:
    return Broadcast(
        id=row[0],
        sender_id=row[1],
        audience=row[2],
        meeting_id=row[3],
        text=row[4],
        document_file_id=row[5],
        document_name=row[6],
        document_content=row[7],
        ack=bool(row[8]),
        created_at=from_utc_text(row[9]),
        sent_at=_moment(row[10]),
        cancelled_at=_moment(row[11]),
        reminded_at=_moment(row[12]),
        reported_at=_moment(row[13]),
        document_id=row[14],
        kind=row[15],
        number=row[16],
    )


async def create_broadcast(
    conn: aiosqlite.Connection,
    *,
    sender_id: str | None,
    audience: str,
    meeting_id: str | None,
    text: str,
    ack: bool,
    now: datetime,
    document_file_id: str | None = None,
    document_name: str | None = None,
    document_id: int | None = None,
    recipients: dict[str, list[tuple[str, str]]],
    kind: str | None = None,
) -> int:
    """A draft: nothing is queued until `claim_send`. `recipients` maps each person to their routes; a person
    with none is kept too, so the report can say who was not reachable."""
    cursor = await conn.execute(
        "INSERT INTO broadcasts (sender_id, audience, meeting_id, text, document_file_id, document_name, "
        "document_id, ack, created_at, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            sender_id,
            audience,
            meeting_id,
            text,
            document_file_id,
            document_name,
            document_id,
            int(ack),
            utc_text(now),
            kind,
        ),
    )
    broadcast_id = cursor.lastrowid
    assert broadcast_id is not None
    await conn.executemany(
        "INSERT INTO broadcast_recipients (broadcast_id, person_id, channel, address) VALUES (?, ?, ?, ?)",
        [
            (broadcast_id, person_id, channel, address)
            for person_id, routes in recipients.items()
            for channel, address in (routes or [("", "")])
        ],
    )
    return broadcast_id


async def get_broadcast(conn: aiosqlite.Connection, broadcast_id: int) -> Broadcast | None:
    row = await first_row(conn, f"SELECT {_COLUMNS} FROM broadcasts WHERE id = ?", (broadcast_id,))
    return _from_row(row) if row else None


async def broadcast_by_number(conn: aiosqlite.Connection, number: int) -> Broadcast | None:
    """The broadcast people call `number` (in a message, on a button, typed)."""
    row = await first_row(conn, f"SELECT {_COLUMNS} FROM broadcasts WHERE number = ?", (number,))
    return _from_row(row) if row else None


async def recent_broadcasts(conn: aiosqlite.Connection, limit: int = 10) -> list[Broadcast]:
    found = await rows(
        conn, f"SELECT {_COLUMNS} FROM broadcasts WHERE sent_at IS NOT NULL ORDER BY number DESC LIMIT ?", (limit,)
    )
    return [_from_row(row) for row in found]


async def claim(conn: aiosqlite.Connection, broadcast_id: int, column: str, now: datetime) -> bool:
    """Marks a draft sent or cancelled, once: a second press changes no row (so Send twice sends once). Sent, it
    gets the next number, in the same statement: a cancelled or forgotten draft takes none."""
    assert column in ("sent_at", "cancelled_at")
    numbered = ", number = coalesce(number, (SELECT coalesce(max(number), 0) + 1 FROM broadcasts))"
    cursor = await conn.execute(
        f"UPDATE broadcasts SET {column} = ?{numbered if column == 'sent_at' else ''} "
        "WHERE id = ? AND sent_at IS NULL AND cancelled_at IS NULL",
        (utc_text(now), broadcast_id),
    )
    return cursor.rowcount == 1


async def set_meeting(conn: aiosqlite.Connection, broadcast_id: int, meeting_id: str) -> bool:
    """Ties a draft to the meeting chosen after its date could not be read; a sent or cancelled one stays."""
    cursor = await conn.execute(
        "UPDATE broadcasts SET meeting_id = ? WHERE id = ? AND sent_at IS NULL AND cancelled_at IS NULL",
        (meeting_id, broadcast_id),
    )
    return cursor.rowcount == 1


async def routes_of(conn: aiosqlite.Connection, broadcast_id: int) -> list[tuple[str, str, str]]:
    """(person_id, channel, address) for every reachable recipient."""
    found = await rows(
        conn,
        "SELECT person_id, channel, address FROM broadcast_recipients WHERE broadcast_id = ? AND channel != '' "
        "ORDER BY rowid",
        (broadcast_id,),
    )
    return [(row[0], row[1], row[2]) for row in found]


async def set_outbox_row(
    conn: aiosqlite.Connection, broadcast_id: int, person_id: str, channel: str, address: str
) -> None:
    """Ties the recipient to the outbox row just written on this connection."""
    await conn.execute(
        "UPDATE broadcast_recipients SET outbox_id = last_insert_rowid() "
        "WHERE broadcast_id = ? AND person_id = ? AND channel = ? AND address = ?",
        (broadcast_id, person_id, channel, address),
    )


async def delivered_by_email(conn: aiosqlite.Connection, broadcast_id: int) -> int:
    """How many recipients got the broadcast by e-mail, i.e. it was handed to their mail server (issue 22)."""
    row = await first_row(
        conn,
        "SELECT count(*) FROM broadcast_recipients r JOIN outbox o ON o.id = r.outbox_id "
        "WHERE r.broadcast_id = ? AND r.channel = 'email' AND o.sent_at IS NOT NULL",
        (broadcast_id,),
    )
    return int(row[0]) if row else 0


async def acknowledge(conn: aiosqlite.Connection, number: int, person_id: str, now: datetime) -> bool:
    """A recipient's "Set" on the broadcast numbered `number` (the number its button carries)."""
    cursor = await conn.execute(
        "UPDATE broadcast_recipients SET acknowledged_at = ? "
        "WHERE broadcast_id = (SELECT id FROM broadcasts WHERE number = ?) AND person_id = ? "
        "AND acknowledged_at IS NULL",
        (utc_text(now), number, person_id),
    )
    return cursor.rowcount > 0


async def recipient_states(conn: aiosqlite.Connection, broadcast_id: int) -> list[RecipientState]:
    """One state per person: acknowledged, delivered (on any of their channels), pending, or failed."""
    found = await rows(
        conn,
        """
        SELECT r.person_id, max(r.acknowledged_at IS NOT NULL), max(o.sent_at IS NOT NULL),
               max(r.channel != '' AND (o.id IS NULL OR (o.sent_at IS NULL AND o.failed_at IS NULL))), max(o.error),
               max(r.channel != '')
        FROM broadcast_recipients r LEFT JOIN outbox o ON o.id = r.outbox_id
        WHERE r.broadcast_id = ? GROUP BY r.person_id ORDER BY r.person_id
        """,
        (broadcast_id,),
    )
    states = []
    for person_id, acknowledged, delivered, pending, error, bound in found:
        if acknowledged:
            states.append(RecipientState(person_id, State.ACKNOWLEDGED, None))
        elif delivered:
            states.append(RecipientState(person_id, State.DELIVERED, None))
        elif pending:
            states.append(RecipientState(person_id, State.PENDING, None))
        elif not bound:
            states.append(RecipientState(person_id, State.FAILED, NOT_BOUND))
        else:
            reason = BLOCKED if error and str(error).startswith("403") else (error or "?")
            states.append(RecipientState(person_id, State.FAILED, reason))
    return states


def count(states: list[RecipientState]) -> Counts:
    """Acknowledged recipients were delivered to as well; before Send everyone reachable is pending."""
    by = {state: sum(1 for s in states if s.state is state) for state in State}
    acknowledged = by[State.ACKNOWLEDGED]
    return Counts(
        recipients=len(states),
        delivered=by[State.DELIVERED] + acknowledged,
        failed=by[State.FAILED],
        pending=by[State.PENDING],
        acknowledged=acknowledged,
    )


async def blocked_people(conn: aiosqlite.Connection, person_ids: list[str]) -> set[str]:
    """People whose latest finished message was refused with 403: they blocked the bot."""
    found = await rows(
        conn,
        """
        SELECT o.person_id FROM outbox o WHERE o.id IN (
            SELECT max(id) FROM outbox WHERE (sent_at IS NOT NULL OR failed_at IS NOT NULL) GROUP BY person_id)
          AND o.failed_at IS NOT NULL AND o.error LIKE '403%'
        """,
    )
    wanted = set(person_ids)
    return {row[0] for row in found if row[0] in wanted}


async def finished_unreported(conn: aiosqlite.Connection, outbox_ids: Sequence[int] | None = None) -> list[int]:
    """Sent broadcasts with nothing left to deliver whose sender has not had the report; with `outbox_ids`, only
    those these outbox rows belong to (the rows just marked sent or given up). A broadcast's rows are walked newest
    first: the outbox sends them oldest first, so while it is under way the first row walked is usually unsent."""
    among = ""
    if outbox_ids is not None:
        among = (
            "AND b.id IN (SELECT broadcast_id FROM broadcast_recipients "
            f"WHERE outbox_id IN ({', '.join('?' * len(outbox_ids))}))"
        )
    found = await rows(
        conn,
        f"""
        SELECT b.id FROM broadcasts b WHERE b.sent_at IS NOT NULL AND b.reported_at IS NULL {among} AND (
            SELECT r.outbox_id FROM broadcast_recipients r INDEXED BY broadcast_recipients_rows
            JOIN outbox o ON o.id = r.outbox_id
            WHERE r.broadcast_id = b.id AND o.sent_at IS NULL AND o.failed_at IS NULL
            ORDER BY r.outbox_id DESC LIMIT 1) IS NULL
        ORDER BY b.id
        """,
        tuple(outbox_ids or ()),
    )
    return [row[0] for row in found]


async def mark(conn: aiosqlite.Connection, broadcast_id: int, column: str, now: datetime) -> bool:
    assert column in ("reported_at", "reminded_at")
    cursor = await conn.execute(
        f"UPDATE broadcasts SET {column} = ? WHERE id = ? AND {column} IS NULL", (utc_text(now), broadcast_id)
    )
    return cursor.rowcount == 1


async def is_broadcast_row(conn: aiosqlite.Connection, outbox_id: int) -> bool:
    return await first_row(conn, "SELECT 1 FROM broadcast_recipients WHERE outbox_id = ?", (outbox_id,)) is not None
