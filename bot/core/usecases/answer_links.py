"""Answering an absence alert from an e-mail: "Jeg deltager" / "Jeg kan ikke" links to the HTTP endpoint.

A link names the absence and the answer, and is signed with the database's link key (bot.storage.link_key) over
the absence, the answer, the substitute and the meeting's start as the plan has it now. So a link is good only for
the substitute it was sent to, only until the meeting starts, and no longer after the meeting is moved (the start
changes: the substitute is sent new links) or cancelled. Opening a link (GET) only shows the question and a button,
because mail security scanners open every link in a message; only the button (POST) records the answer, through
the same use case as the chat's button (`absence_notices.cover_case`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import aiosqlite

from bot.core.usecases.meetings import meeting_by_id
from bot.storage.absences import Absence, get_absence
from bot.storage.link_key import link_key, sign, verify
from bot.storage.meeting_changes import plan
from kkrcore.models import Dataset, Meeting

ANSWER_ACTION = re.compile(r"^cover (\d+) (yes|no)$")
ANSWERS = ("yes", "no")


def _signed_text(absence: Absence, answer: str, meeting: Meeting) -> str:
    return f"cover {absence.id} {answer} {absence.substitute_id} {meeting.start.isoformat()}"


def answer_path(absence_id: int, answer: str, signature: str) -> str:
    return f"/svar/{absence_id}/{answer}/{signature}"


async def answer_link(
    conn: aiosqlite.Connection, dataset: Dataset, public_url: str, absence_id: int, answer: str
) -> str | None:
    """The signed link for one answer button, or None when the alert can no longer be answered."""
    absence = await get_absence(conn, absence_id)
    if absence is None or not absence.active:
        return None
    meeting = meeting_by_id(await plan(conn, dataset), absence.meeting_id)
    if meeting is None or meeting.cancelled:
        return None
    signature = sign(await link_key(conn), _signed_text(absence, answer, meeting))
    return public_url + answer_path(absence.id, answer, signature)


@dataclass(frozen=True)
class LinkedAnswer:
    absence: Absence
    meeting: Meeting
    answer: str


async def checked_link(
    conn: aiosqlite.Connection, dataset: Dataset, absence_id: int, answer: str, signature: str
) -> LinkedAnswer | None:
    """The answer a link stands for, or None when it is forged, for a withdrawn absence, or for a meeting that was
    moved or cancelled since it was sent. (A meeting that has started is refused by the use case, in words.)"""
    if answer not in ANSWERS:
        return None
    absence = await get_absence(conn, absence_id)
    if absence is None or absence.substitute_id is None:
        return None
    meeting = meeting_by_id(await plan(conn, dataset), absence.meeting_id)
    if meeting is None or meeting.cancelled:
        return None
    if not verify(await link_key(conn), _signed_text(absence, answer, meeting), signature):
        return None
    return LinkedAnswer(absence, meeting, answer)
