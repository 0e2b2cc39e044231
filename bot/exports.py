"""The secretariat's exports for the minutes document: `kkrbot minutes DATE [--format md|csv]` and
`kkrbot attendance DATE [--json]`. They read the same records as `/referat` and `/fremmoede`, so the chat and
the file never disagree; the text is in KKRBOT_DEFAULT_LANGUAGE."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import NamedTuple

from bot.cli_grammar import no_meeting
from bot.config import Settings
from bot.core.conversation import Conversation
from bot.core.dates import read_date
from bot.core.turn import Turn
from bot.core.usecases.absence_notices import (
    AbsenceRecord,
    absence_records,
    attendance_line,
    minutes_line,
    quorum_for,
)
from bot.core.usecases.attendance_record import (
    basis_line,
    minutes_lines,
    minutes_sentence,
    record_attendance,
    record_quorum,
    recorded_line,
    seat_line,
)
from bot.core.usecases.meetings import is_over, meeting_by_id, meeting_days, meeting_named, meeting_when
from bot.core.usecases.period import in_loaded_period
from bot.election_cli import secretariat_actor
from bot.i18n import Translator, translator
from bot.storage.absences import Answer
from bot.storage.attendance import AttendanceRecord, Presence, latest_record
from bot.storage.db import Database
from bot.storage.files import csv_text
from bot.storage.meeting_changes import plan
from bot.storage.periods import opened_ids, stored_periods
from bot.storage.roster import Roster
from kkrcore.meetings import Quorum
from kkrcore.models import Dataset, Meeting

MINUTES_FORMATS = ("md", "csv")


class ExportError(Exception):
    """Bad input for an export; the message is the whole explanation."""


class Records(NamedTuple):
    """What the exports read about one meeting: its notices, and its attendance of record if there is one."""

    meeting: Meeting
    absences: list[AbsenceRecord]
    quorum: Quorum
    roster: Roster
    record: AttendanceRecord | None


async def _records(db: Database, dataset: Dataset, date_text: str) -> Records:
    async with db.read() as conn:
        meetings = await plan(conn, dataset)
        meeting = meeting_named(meetings, date_text)
        if meeting is None:
            raise ExportError(no_meeting(date_text))
        if meeting.cancelled:  # the chat's /referat and /fremmoede refuse it too
            raise ExportError(f"the meeting {meeting.id} is cancelled: no attendance and nothing for the minutes")
        if not in_loaded_period(meeting, meetings, opened_ids(dataset, await stored_periods(conn))):
            raise ExportError(
                f"the meeting {meeting.id} is the next council's constituent meeting, whose members are not in this "
                "period's data (R-PER-1): nothing to export for today's council"
            )
        roster = await Roster.load(conn)
        record = await latest_record(conn, meeting.id)
        quorum = (
            await record_quorum(conn, record.seats, dataset)
            if record
            else await quorum_for(conn, roster, meeting, dataset)
        )
        return Records(meeting, await absence_records(conn, roster, meeting), quorum, roster, record)


async def _minutes_text(
    db: Database, dataset: Dataset, date_text: str, held: bool, _: Translator, *, under_way: bool
) -> list[str]:
    async with db.read() as conn:
        meeting = meeting_named(await plan(conn, dataset), date_text)
        assert meeting is not None
        return await minutes_lines(conn, await Roster.load(conn), meeting, held, _, under_way=under_way)


def _translator(settings: Settings) -> Translator:
    return translator(settings.default_language, settings.tz)


async def minutes_export(
    db: Database, dataset: Dataset, settings: Settings, date_text: str, fmt: str, now: datetime
) -> str:
    if fmt not in (*MINUTES_FORMATS, "json"):
        raise ExportError(f"--format must be md or csv, not {fmt!r}")
    found = await _records(db, dataset, date_text)
    meeting, records = found.meeting, found.absences
    held = is_over(meeting, now)
    _ = _translator(settings)
    if fmt == "json":  # `kkrbot minutes DATE --json`: the csv's columns, one object a line of the minutes
        if found.record is not None:
            lines = [
                {
                    "member_id": seat.member_id,
                    "substitute_id": seat.substitute_id,
                    "attended": seat.presence is Presence.SUBSTITUTE,
                    "text": minutes_sentence(seat, found.roster, _),
                }
                for seat in found.record.seats
                if seat.presence is not Presence.MEMBER
            ]
        else:
            lines = [
                {
                    "member_id": r.member.id,
                    "substitute_id": r.substitute.id if r.substitute else None,
                    "attended": bool(r.substitute and r.absence.answer is Answer.ACCEPTED),
                    "text": minutes_line(r, _, held=held),
                }
                for r in records
            ]
        # `basis`, as in the csv: `recorded` (attendance of record, a fact) or `notices` (answers, not a fact).
        basis = "recorded" if found.record is not None else "notices"
        return json.dumps(
            {"meeting": meeting.id, "held": held, "basis": basis, "lines": lines}, ensure_ascii=False, indent=2
        )
    if fmt == "csv":
        # `basis` says what a row rests on: `recorded` (the attendance of record: `attended` is a fact) or
        # `notices` (the absences and answers only: `attended` is the substitute's answer, not a fact).
        rows: list[list[str]] = [
            ["meeting", "member_id", "member", "party", "substitute_id", "substitute", "attended", "text", "basis"]
        ]
        if found.record is not None:
            for seat in found.record.seats:
                if seat.presence is Presence.MEMBER:
                    continue
                member = found.roster.ever_by_id.get(seat.member_id)
                substitute = found.roster.ever_by_id.get(seat.substitute_id or "")
                rows.append(
                    [
                        meeting.id,
                        seat.member_id,
                        member.name if member else "",
                        member.party or "" if member else "",
                        seat.substitute_id or "",
                        substitute.name if substitute else "",
                        "yes" if seat.presence is Presence.SUBSTITUTE else "no",
                        minutes_sentence(seat, found.roster, _),
                        "recorded",
                    ]
                )
            return csv_text(rows).rstrip("\n")
        for record in records:
            substitute = record.substitute
            rows.append(
                [
                    meeting.id,
                    record.member.id,
                    record.member.name,
                    record.member.party or "",
                    substitute.id if substitute else "",
                    substitute.name if substitute else "",
                    "yes" if substitute and record.absence.answer is Answer.ACCEPTED else "no",
                    minutes_line(record, _, held=held),
                    "notices",
                ]
            )
        return csv_text(rows).rstrip("\n")
    text = await _minutes_text(db, dataset, date_text, held, _, under_way=meeting.start <= now and not held)
    heading = f"## {_('For the minutes: {when}', when=meeting_when(meeting, _))}"
    # The label and what the text rests on, then one sentence a line (minutes_lines puts a blank line between).
    gap = text.index("")
    return "\n".join([heading, "", *text[:gap], "", *(f"- {line}" for line in text[gap + 1 :])])


async def attendance_export(
    db: Database, dataset: Dataset, settings: Settings, date_text: str, now: datetime, *, as_json: bool
) -> str:
    found = await _records(db, dataset, date_text)
    meeting, records, quorum = found.meeting, found.absences, found.quorum
    over = is_over(meeting, now)
    if not as_json:
        _ = _translator(settings)
        lines = [_("Attendance: {when}", when=meeting_when(meeting, _))]
        if found.record is not None:
            lines.append(basis_line(found.record, found.roster, _))
            lines += [seat_line(s, found.roster, _) for s in found.record.seats if s.presence is not Presence.MEMBER]
            lines.append(recorded_line(quorum, _))
            return "\n".join(lines)
        for record in records:
            substitute = record.substitute
            answer = record.absence.answer.value if record.absence.answer else "-"
            lines.append(f"{record.member.name}\t{substitute.name if substitute else '-'}\t{answer}")
        lines.append(attendance_line(quorum, over, _))
        return "\n".join(lines)
    document = {
        "meeting": {
            "id": meeting.id,
            "start": meeting.start.isoformat(),
            "end": meeting.end.isoformat(),
            "place": meeting.place,
        },
        "over": over,
        "basis": "recorded" if found.record else "notices",
        "recorded": None
        if found.record is None
        else {
            "version": found.record.version,
            "recorded_at": found.record.recorded_at.isoformat(),
            "recorded_by": found.record.recorded_by,
            "seats": [s.model_dump(mode="json") for s in found.record.seats],
        },
        "members": quorum.members,
        # `present` and `quorate` follow `basis` (kept for existing readers): with `notices` they are a forecast,
        # so the forecast also has keys of its own, null once the attendance is recorded (R-MEET-4).
        "present": quorum.present,
        "required": quorum.required,
        "quorate": quorum.quorate,
        "expected_present": None if found.record else quorum.present,
        "expected_quorate": None if found.record else quorum.quorate,
        "absences": [
            {
                "member_id": r.member.id,
                "member": r.member.name,
                "party": r.member.party,
                "municipality": r.member.municipality,
                "substitute_id": r.substitute.id if r.substitute else None,
                "substitute": r.substitute.name if r.substitute else None,
                "substitute_phone": r.substitute.phone if r.substitute else None,
                "substitute_email": r.substitute.email if r.substitute else None,
                "substitute_answer": r.absence.answer.value if r.absence.answer else None,
            }
            for r in records
        ],
        "not_answered": [r.substitute.id for r in records if r.substitute and r.absence.answer is None],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


async def record_attendance_command(conversation: Conversation, words: Sequence[str], actor: str | None) -> str:
    """`kkrbot attendance record DATE [corrections]`: the chat's `/fremmoede registrer`, saved at once (the
    command is the confirmation); the answer is what the chat would say."""
    if not words:
        raise ExportError("write: kkrbot attendance record DATE [absent|present|substitute MEMBER-ID[=PERSON-ID] ...]")
    person = await secretariat_actor(conversation, actor)
    async with conversation.db.read() as conn:
        meetings = await plan(conn, conversation.dataset)
    # The date in the command line's own terms, as `kkrbot attendance DATE` says it, not the chat's hint.
    if meeting_by_id(meetings, words[0]) is None:
        used = read_date(words, date.today(), meeting_days(meetings))[1]
        written = " ".join(words[:used]) or words[0]
        if meeting_named(meetings, written) is None:
            raise ExportError(no_meeting(written))
    saved: list[bool] = []

    async def record(turn: Turn) -> None:
        saved.append(await record_attendance(turn, words, save_now=True))

    outcome = await conversation.act(person, "attendance", ["record", *words], record)
    answer = "\n".join(m.text for m in outcome.replies)
    if not saved[0]:
        raise ExportError(" ".join(answer.split()))
    return answer
