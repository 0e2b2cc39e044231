"""What the elections of the KKR leave behind: valgforbund notices, the chair election, regional fora with
their rounds, lists and appointments, Erhvervshus nominations, and members who left (issue #11).

Results are stored as kkrcore's own JSON (`model_dump(mode="json")`), so what the bot stored can be compared,
field for field, with what `kkrcore ... --json` prints for the same input.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from bot.storage.db import first_row, rows, utc_text
from kkrcore.elections import Ballot

ALLIANCE_JOINER = "+"


@dataclass(frozen=True)
class Valgforbund:
    id: int
    meeting_id: str
    parties: tuple[str, ...]
    notified_by: str
    status: str

    @property
    def name(self) -> str:
        return ALLIANCE_JOINER.join(self.parties)


def _valgforbund(row: aiosqlite.Row) -> Valgforbund:
    return Valgforbund(
        id=int(row["id"]),
        meeting_id=str(row["meeting_id"]),
        parties=tuple(str(row["parties"]).split(ALLIANCE_JOINER)),
        notified_by=str(row["notified_by"]),
        status=str(row["status"]),
    )


async def valgforbund_for(conn: aiosqlite.Connection, meeting_id: str) -> list[Valgforbund]:
    found = await rows(conn, "SELECT * FROM valgforbund WHERE meeting_id = ? ORDER BY id", (meeting_id,))
    return [_valgforbund(row) for row in found]


async def get_valgforbund(conn: aiosqlite.Connection, notice_id: int) -> Valgforbund | None:
    row = await first_row(conn, "SELECT * FROM valgforbund WHERE id = ?", (notice_id,))
    return _valgforbund(row) if row else None


async def add_valgforbund(
    conn: aiosqlite.Connection, meeting_id: str, parties: tuple[str, ...], person_id: str, now: datetime
) -> int:
    cursor = await conn.execute(
        "INSERT INTO valgforbund (meeting_id, parties, notified_by, notified_at) VALUES (?, ?, ?, ?)",
        (meeting_id, ALLIANCE_JOINER.join(parties), person_id, utc_text(now)),
    )
    return int(cursor.lastrowid or 0)


async def decide_valgforbund(
    conn: aiosqlite.Connection, notice_id: int, status: str, person_id: str, now: datetime
) -> bool:
    """Approve or reject a pending notice; False when it is not pending (decided already, or unknown)."""
    cursor = await conn.execute(
        "UPDATE valgforbund SET status = ?, decided_by = ?, decided_at = ? WHERE id = ? AND status = 'pending'",
        (status, person_id, utc_text(now), notice_id),
    )
    return cursor.rowcount == 1


async def chair_result(conn: aiosqlite.Connection, meeting_id: str) -> dict[str, Any] | None:
    row = await first_row(conn, "SELECT result FROM chair_elections WHERE meeting_id = ?", (meeting_id,))
    return dict(json.loads(row[0])) if row else None


async def store_chair_result(
    conn: aiosqlite.Connection,
    meeting_id: str,
    alliances: list[list[str]],
    result: dict[str, Any],
    person_id: str,
    now: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO chair_elections (meeting_id, alliances, result, decided_by, decided_at) VALUES (?, ?, ?, ?, ?)",
        (meeting_id, json.dumps(alliances, ensure_ascii=False), json.dumps(result, ensure_ascii=False), person_id,
         utc_text(now)),
    )  # fmt: skip


@dataclass(frozen=True)
class Forum:
    id: str
    name: str
    seats: int
    substitutes: bool
    gender_balance: bool
    result: dict[str, Any] | None


def _forum(row: aiosqlite.Row) -> Forum:
    return Forum(
        id=str(row["id"]),
        name=str(row["name"]),
        seats=int(row["seats"]),
        substitutes=bool(row["substitutes"]),
        gender_balance=bool(row["gender_balance"]),
        result=json.loads(row["result"]) if row["result"] else None,
    )


async def all_fora(conn: aiosqlite.Connection) -> list[Forum]:
    return [_forum(row) for row in await rows(conn, "SELECT * FROM fora ORDER BY created_at, id")]


async def get_forum(conn: aiosqlite.Connection, forum_id: str) -> Forum | None:
    row = await first_row(conn, "SELECT * FROM fora WHERE id = ?", (forum_id,))
    return _forum(row) if row else None


async def add_forum(
    conn: aiosqlite.Connection, forum_id: str, name: str, seats: int, substitutes: bool, gender: bool, now: datetime
) -> bool:
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO fora (id, name, seats, substitutes, gender_balance, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (forum_id, name, seats, int(substitutes), int(gender), utc_text(now)),
    )
    return cursor.rowcount == 1


async def forum_rounds(conn: aiosqlite.Connection, forum_id: str) -> list[Ballot]:
    """Every recorded round, in order, each with the members present at it (R-ELEC-5 judges each round by its own)."""
    found = await rows(conn, "SELECT present, votes FROM forum_rounds WHERE forum_id = ? ORDER BY round", (forum_id,))
    return [Ballot(present=int(row["present"]), votes=dict(json.loads(row["votes"]))) for row in found]


async def add_forum_round(
    conn: aiosqlite.Connection, forum_id: str, number: int, present: int, votes: dict[str, int], now: datetime
) -> None:
    await conn.execute(
        "INSERT INTO forum_rounds (forum_id, round, present, votes, recorded_at) VALUES (?, ?, ?, ?, ?)",
        (forum_id, number, present, json.dumps(votes, ensure_ascii=False), utc_text(now)),
    )


async def forum_lists(conn: aiosqlite.Connection, forum_id: str) -> dict[str, tuple[int, list[str]]]:
    found = await rows(
        conn,
        "SELECT group_name, members, candidates FROM forum_lists WHERE forum_id = ? ORDER BY recorded_at",
        (forum_id,),
    )
    return {str(row[0]): (int(row[1]), list(json.loads(row[2]))) for row in found}


async def set_forum_list(
    conn: aiosqlite.Connection, forum_id: str, group: str, members: int, candidates: list[str], now: datetime
) -> None:
    await conn.execute(
        "INSERT INTO forum_lists (forum_id, group_name, members, candidates, recorded_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (forum_id, group_name) DO UPDATE SET members = excluded.members, candidates = excluded.candidates",
        (forum_id, group, members, json.dumps(candidates, ensure_ascii=False), utc_text(now)),
    )


async def decide_forum(
    conn: aiosqlite.Connection, forum_id: str, result: dict[str, Any], appointed: list[str], now: datetime
) -> None:
    await conn.execute(
        "UPDATE fora SET result = ?, decided_at = ? WHERE id = ?",
        (json.dumps(result, ensure_ascii=False), utc_text(now), forum_id),
    )
    for person_id in appointed:
        await conn.execute(
            "INSERT OR IGNORE INTO appointments (forum_id, person_id, appointed_at) VALUES (?, ?, ?)",
            (forum_id, person_id, utc_text(now)),
        )


async def appointments(conn: aiosqlite.Connection, person_id: str | None = None) -> list[tuple[str, str]]:
    """(forum name, person id) of every current appointment, or of one person's."""
    sql = (
        "SELECT f.name, a.person_id FROM appointments a JOIN fora f ON f.id = a.forum_id WHERE a.ended_at IS NULL"
        + (" AND a.person_id = ?" if person_id else "")
        + " ORDER BY f.name, a.appointed_at"
    )
    return [(str(r[0]), str(r[1])) for r in await rows(conn, sql, (person_id,) if person_id else ())]


async def end_appointments(conn: aiosqlite.Connection, person_id: str, now: datetime) -> list[str]:
    """End a person's appointments (they left); the names of the fora they sat in."""
    names = [name for name, _ in await appointments(conn, person_id)]
    await conn.execute(
        "UPDATE appointments SET ended_at = ? WHERE person_id = ? AND ended_at IS NULL", (utc_text(now), person_id)
    )
    return names


async def add_nomination(
    conn: aiosqlite.Connection, body: str, category: str, gender: str, name: str, now: datetime, *, late: bool = False
) -> None:
    """`late`: received after the nominations deadline (R-EHUS-3); recorded, and flagged wherever it is shown."""
    await conn.execute(
        "INSERT INTO ehus_nominations (body, category, gender, name, recorded_at, late) VALUES (?, ?, ?, ?, ?, ?)",
        (body, category, gender, name, utc_text(now), int(late)),
    )


async def late_nominations(conn: aiosqlite.Connection) -> set[tuple[str, str]]:
    """(body, name) of the nominations recorded after the deadline."""
    return {(str(r[0]), str(r[1])) for r in await rows(conn, "SELECT body, name FROM ehus_nominations WHERE late = 1")}


async def nominations(conn: aiosqlite.Connection) -> list[tuple[str, str, str, str]]:
    """(body, category, gender, name) in the order recorded."""
    found = await rows(conn, "SELECT body, category, gender, name FROM ehus_nominations ORDER BY id")
    return [(str(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in found]


async def special_reasons(conn: aiosqlite.Connection) -> dict[str, str]:
    return {str(r[0]): str(r[1]) for r in await rows(conn, "SELECT body, reason FROM ehus_special_reasons")}


async def set_special_reason(conn: aiosqlite.Connection, body: str, reason: str, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO ehus_special_reasons (body, reason, recorded_at) VALUES (?, ?, ?) "
        "ON CONFLICT (body) DO UPDATE SET reason = excluded.reason, recorded_at = excluded.recorded_at",
        (body, reason, utc_text(now)),
    )


async def claim_ehus_reminder(conn: aiosqlite.Connection, deadline: str, now: datetime) -> bool:
    """True the first time only: the reminder for a deadline is recorded with the message it queues."""
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO ehus_reminders (deadline, sent_at) VALUES (?, ?)", (deadline, utc_text(now))
    )
    return cursor.rowcount == 1


async def add_departure(conn: aiosqlite.Connection, person_id: str, reason: str, now: datetime) -> int:
    cursor = await conn.execute(
        "INSERT INTO departures (person_id, reason, recorded_at) VALUES (?, ?, ?)", (person_id, reason, utc_text(now))
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def left_party_before(conn: aiosqlite.Connection, person_id: str) -> bool:
    """Whether a departure from the party is recorded for this person already (a viceborgmester stays on)."""
    row = await first_row(
        conn,
        "SELECT 1 FROM departures WHERE person_id = ? AND reason IN ('left_party', 'substitute_party')",
        (person_id,),
    )
    return row is not None


@dataclass(frozen=True)
class ChairRecord:
    """The chair and vice-chair the council elected at a constituent meeting, as the secretariat recorded them."""

    id: int
    meeting_id: str
    chair_id: str
    vice_chair_id: str
    settled: str | None


def _chair_record(row: aiosqlite.Row) -> ChairRecord:
    return ChairRecord(
        id=int(row["id"]),
        meeting_id=str(row["meeting_id"]),
        chair_id=str(row["chair_id"]),
        vice_chair_id=str(row["vice_chair_id"]),
        settled=row["settled"],
    )


async def add_chair_draft(
    conn: aiosqlite.Connection, meeting_id: str, chair_id: str, vice_chair_id: str, by: str | None, now: datetime
) -> int:
    cursor = await conn.execute(
        "INSERT INTO chair_records (meeting_id, chair_id, vice_chair_id, created_by, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (meeting_id, chair_id, vice_chair_id, by, utc_text(now)),
    )
    return int(cursor.lastrowid or 0)


async def get_chair_draft(conn: aiosqlite.Connection, record_id: int) -> ChairRecord | None:
    row = await first_row(conn, "SELECT * FROM chair_records WHERE id = ?", (record_id,))
    return _chair_record(row) if row else None


async def settle_chair_draft(conn: aiosqlite.Connection, record_id: int, settled: str, now: datetime) -> bool:
    """Send or Cancel, once: False when the draft was settled already (a second press, a replayed update)."""
    cursor = await conn.execute(
        "UPDATE chair_records SET settled = ?, settled_at = ? WHERE id = ? AND settled IS NULL",
        (settled, utc_text(now), record_id),
    )
    return cursor.rowcount == 1


async def chair_record(conn: aiosqlite.Connection, meeting_id: str) -> ChairRecord | None:
    """The latest recording sent for a constituent meeting; earlier ones stay as its history."""
    row = await first_row(
        conn,
        "SELECT * FROM chair_records WHERE meeting_id = ? AND settled = 'sent' ORDER BY settled_at DESC, id DESC",
        (meeting_id,),
    )
    return _chair_record(row) if row else None


@dataclass(frozen=True)
class Candidate:
    """A council member of the region who is not in the roster, as a candidate for a forum (R-ELEC-7)."""

    id: str
    name: str
    municipality: str
    party: str


async def add_candidate(
    conn: aiosqlite.Connection, candidate_id: str, name: str, municipality: str, party: str, now: datetime
) -> bool:
    """False when the id is taken already."""
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO forum_candidates (id, name, municipality, party, created_at) VALUES (?, ?, ?, ?, ?)",
        (candidate_id, name, municipality, party, utc_text(now)),
    )
    return cursor.rowcount == 1


async def candidates(conn: aiosqlite.Connection) -> dict[str, Candidate]:
    found = await rows(conn, "SELECT id, name, municipality, party FROM forum_candidates ORDER BY created_at, id")
    return {str(r[0]): Candidate(str(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in found}


async def add_forum_draft(
    conn: aiosqlite.Connection, forum_id: str, words: list[str], by: str | None, now: datetime
) -> int:
    cursor = await conn.execute(
        "INSERT INTO forum_drafts (forum_id, words, created_by, created_at) VALUES (?, ?, ?, ?)",
        (forum_id, json.dumps(words, ensure_ascii=False), by, utc_text(now)),
    )
    return int(cursor.lastrowid or 0)


async def open_forum_draft(conn: aiosqlite.Connection, draft_id: int) -> list[str] | None:
    """The words of a draft not yet sent or cancelled; None when there is none."""
    row = await first_row(conn, "SELECT words FROM forum_drafts WHERE id = ? AND settled IS NULL", (draft_id,))
    return list(json.loads(row[0])) if row else None


async def settle_forum_draft(conn: aiosqlite.Connection, draft_id: int, settled: str, now: datetime) -> bool:
    cursor = await conn.execute(
        "UPDATE forum_drafts SET settled = ?, settled_at = ? WHERE id = ? AND settled IS NULL",
        (settled, utc_text(now), draft_id),
    )
    return cursor.rowcount == 1


async def drop_last_round(conn: aiosqlite.Connection, forum_id: str) -> None:
    """A round typed wrong, corrected before the next: the last round goes, and with it any decision it made
    (the forum's result and the appointments it gave)."""
    await conn.execute(
        "DELETE FROM forum_rounds WHERE forum_id = ? "
        "AND round = (SELECT MAX(round) FROM forum_rounds WHERE forum_id = ?)",
        (forum_id, forum_id),
    )
    await conn.execute("UPDATE fora SET result = NULL, decided_at = NULL WHERE id = ?", (forum_id,))
    await conn.execute("DELETE FROM appointments WHERE forum_id = ? AND ended_at IS NULL", (forum_id,))
