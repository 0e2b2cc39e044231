"""The secretariat's exports for the minutes document: `kkrbot minutes DATE [--format md|csv]` and
`kkrbot attendance DATE [--json]`. They read the same records as `/referat` and `/fremmoede`, so the chat and
the file never disagree; the text is in KKRBOT_DEFAULT_LANGUAGE."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

from bot.config import Settings
from bot.core.usecases.absence_notices import (
    AbsenceRecord,
    absence_records,
    attendance_line,
    minutes_line,
    no_absences_line,
    quorum_for,
)
from bot.core.usecases.meetings import is_over, meeting_named, meeting_when
from bot.i18n import Translator, translator
from bot.storage.absences import Answer
from bot.storage.db import Database
from bot.storage.meeting_changes import plan
from bot.storage.roster import Roster
from kkrcore.meetings import Quorum
from kkrcore.models import Dataset, Meeting

MINUTES_FORMATS = ("md", "csv")


class ExportError(Exception):
    """Bad input for an export; the message is the whole explanation."""


async def _records(db: Database, dataset: Dataset, date_text: str) -> tuple[Meeting, list[AbsenceRecord], Quorum]:
    async with db.read() as conn:
        meeting = meeting_named(await plan(conn, dataset), date_text)
        if meeting is None:
            raise ExportError(
                f"no KKR meeting on {date_text!r} (write the meeting's date, e.g. 20.11.2026 or 2026-11-20)"
            )
        roster = await Roster.load(conn)
        return meeting, await absence_records(conn, roster, meeting), await quorum_for(conn, roster, meeting)


def _translator(settings: Settings) -> Translator:
    return translator(settings.default_language, settings.tz)


async def minutes_export(
    db: Database, dataset: Dataset, settings: Settings, date_text: str, fmt: str, now: datetime
) -> str:
    if fmt not in (*MINUTES_FORMATS, "json"):
        raise ExportError(f"--format must be md or csv, not {fmt!r}")
    meeting, records, _quorum = await _records(db, dataset, date_text)
    held = is_over(meeting, now)
    _ = _translator(settings)
    if fmt == "json":  # `kkrbot minutes DATE --json`: the csv's columns, one object a line of the minutes
        rows = [
            {
                "member_id": r.member.id,
                "substitute_id": r.substitute.id if r.substitute else None,
                "attended": bool(r.substitute and r.absence.answer is Answer.ACCEPTED),
                "text": minutes_line(r, _, held=held),
            }
            for r in records
        ]
        return json.dumps({"meeting": meeting.id, "held": held, "lines": rows}, ensure_ascii=False, indent=2)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["meeting", "member_id", "member", "party", "substitute_id", "substitute", "attended", "text"])
        for record in records:
            substitute = record.substitute
            writer.writerow(
                [
                    meeting.id,
                    record.member.id,
                    record.member.name,
                    record.member.party or "",
                    substitute.id if substitute else "",
                    substitute.name if substitute else "",
                    "yes" if substitute and record.absence.answer is Answer.ACCEPTED else "no",
                    minutes_line(record, _, held=held),
                ]
            )
        return out.getvalue().rstrip("\n")
    lines = [f"## {_('For the minutes: {when}', when=meeting_when(meeting, _))}", ""]
    lines += [f"- {minutes_line(r, _, held=held)}" for r in records] or [no_absences_line(meeting, _, held=held)]
    return "\n".join(lines)


async def attendance_export(
    db: Database, dataset: Dataset, settings: Settings, date_text: str, now: datetime, *, as_json: bool
) -> str:
    meeting, records, quorum = await _records(db, dataset, date_text)
    over = is_over(meeting, now)
    if not as_json:
        _ = _translator(settings)
        lines = [_("Attendance: {when}", when=meeting_when(meeting, _))]
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
        "members": quorum.members,
        "present": quorum.present,
        "required": quorum.required,
        "quorate": quorum.quorate,
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
