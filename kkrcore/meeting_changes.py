"""Changes to the meeting plan: a meeting moved (time, place, address), cancelled, or an extra one added.

The bundled plan stays the source; the secretariat's changes are kept as overrides on top of it, and this is
where the plan they give is computed, so every answer, reminder, quorum and calendar reads the same plan.
Pure: no I/O and no clock; each change carries the moment it was made and is judged at that moment, so the
same changes always give the same plan.
"""

from collections.abc import Iterable, Sequence
from datetime import date, time
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, Field

from kkrcore.days import closed_days, next_municipal_election
from kkrcore.meetings import constituent_meeting_deadline
from kkrcore.models import EXTRA_SUFFIX, Frozen, Meeting, MeetingKind
from kkrcore.reasons import InvalidInput, Reason


class MoveMeeting(Frozen):
    """Any subset of a new start, end, place and address. A new start without an end keeps the meeting's length;
    the party group meetings move with the start; a new place without an address drops the old address."""

    action: Literal["move"] = "move"
    meeting_id: str
    made_at: AwareDatetime
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    place: str | None = Field(default=None, min_length=1)
    address: str | None = Field(default=None, min_length=1)


class CancelMeeting(Frozen):
    """The meeting stays in the plan, marked cancelled, so calendars and people can be told."""

    action: Literal["cancel"] = "cancel"
    meeting_id: str
    made_at: AwareDatetime


class AddMeeting(Frozen):
    """An extra meeting; its id is given by the plan (`DATE-extra`) unless a stored change already names it."""

    action: Literal["add"] = "add"
    made_at: AwareDatetime
    start: AwareDatetime
    end: AwareDatetime
    place: str = Field(min_length=1)
    address: str | None = Field(default=None, min_length=1)
    meeting_id: str | None = None


MeetingChange = MoveMeeting | CancelMeeting | AddMeeting
FRIDAY = 4


def extra_meeting_id(meetings: Iterable[Meeting], day: date) -> str:
    """`2027-03-05-extra`, or `-extra-2`... when an extra meeting of that day was cancelled and another added."""
    taken = {m.id for m in meetings}
    base = day.isoformat() + EXTRA_SUFFIX
    return next(candidate for n in range(1, 100) if (candidate := base if n == 1 else f"{base}-{n}") not in taken)


def _day_taken(meetings: Iterable[Meeting], day: date, other_than: str | None) -> bool:
    """The KKR meets at most once a day (R-MEET-1), which is what lets a date name a meeting."""
    return any(m.start.date() == day and not m.cancelled and m.id != other_than for m in meetings)


def _check_times(start: AwareDatetime, end: AwareDatetime, made_at: AwareDatetime) -> None:
    if start <= made_at:
        raise InvalidInput(Reason.START_IN_PAST, start.isoformat())
    if end <= start:
        raise InvalidInput(Reason.END_NOT_AFTER_START, f"{start.isoformat()} - {end.isoformat()}")


def _changeable(meetings: Sequence[Meeting], meeting_id: str, made_at: AwareDatetime) -> Meeting:
    meeting = next((m for m in meetings if m.id == meeting_id), None)
    if meeting is None:
        raise InvalidInput(Reason.UNKNOWN_MEETING, meeting_id)
    if meeting.cancelled:
        raise InvalidInput(Reason.MEETING_CANCELLED, meeting_id)
    if meeting.start <= made_at:
        raise InvalidInput(Reason.MEETING_HELD, meeting_id)
    return meeting


def _moved(meetings: Sequence[Meeting], change: MoveMeeting) -> Meeting:
    meeting = _changeable(meetings, change.meeting_id, change.made_at)
    start = change.start or meeting.start
    shift = start - meeting.start
    end = change.end or meeting.end + shift
    _check_times(start, end, change.made_at)
    place = change.place or meeting.place
    address = change.address if change.address or change.place else meeting.address
    if (start, end, place, address) == (meeting.start, meeting.end, meeting.place, meeting.address):
        raise InvalidInput(Reason.NOTHING_CHANGED, meeting.id)
    if _day_taken(meetings, start.date(), other_than=meeting.id):
        raise InvalidInput(Reason.DAY_TAKEN, start.date().isoformat())
    group_start, group_end = meeting.group_meetings_start, meeting.group_meetings_end
    return meeting.model_copy(
        update={
            "start": start,
            "end": end,
            "place": place,
            "address": address,
            "group_meetings_start": group_start + shift if group_start else None,
            "group_meetings_end": group_end + shift if group_end else None,
            "sequence": meeting.sequence + 1,
        }
    )


def _added(meetings: Sequence[Meeting], change: AddMeeting) -> Meeting:
    _check_times(change.start, change.end, change.made_at)
    if _day_taken(meetings, change.start.date(), other_than=None):
        raise InvalidInput(Reason.DAY_TAKEN, change.start.date().isoformat())
    meeting_id = change.meeting_id or extra_meeting_id(meetings, change.start.date())
    if any(m.id == meeting_id for m in meetings):
        raise InvalidInput(Reason.DAY_TAKEN, meeting_id)
    return Meeting.model_validate(
        {
            "id": meeting_id,
            "start": change.start,
            "end": change.end,
            "place": change.place,
            "address": change.address,
            "kind": MeetingKind.ORDINARY,
            "extra": True,
        }
    )


def apply_change(meetings: Sequence[Meeting], change: MeetingChange) -> tuple[Meeting, ...]:
    """The plan with one more change, earliest meeting first; InvalidInput with the reason when the change does
    not fit the plan at the moment it was made (unknown or cancelled meeting, one already held, a start in the
    past, an end before the start, a day that already has a meeting, a move that changes nothing)."""
    if isinstance(change, AddMeeting):
        changed = (*meetings, _added(meetings, change))
    else:
        if isinstance(change, CancelMeeting):
            meeting = _changeable(meetings, change.meeting_id, change.made_at)
            replacement = meeting.model_copy(update={"cancelled": True, "sequence": meeting.sequence + 1})
        else:
            replacement = _moved(meetings, change)
        changed = tuple(replacement if m.id == replacement.id else m for m in meetings)
    return tuple(sorted(changed, key=lambda m: m.start))


def apply_changes(plan: Iterable[Meeting], changes: Iterable[MeetingChange]) -> tuple[Meeting, ...]:
    """The bundled plan with the changes applied in the order they were made; the first that does not fit
    raises InvalidInput with its reason."""
    meetings = tuple(sorted(plan, key=lambda m: m.start))
    for change in changes:
        meetings = apply_change(meetings, change)
    return meetings


def check_period(meetings: Sequence[Meeting], changed: Meeting, zone: ZoneInfo) -> None:
    """R-MEET-2 for a new change (never for stored ones, so the plan keeps every change made): an ordinary or extra
    meeting stays before the next constituent meeting, which opens the next council's period; a constituent
    meeting is held after the municipal election and by 31 January of the year after it. InvalidInput if not.

    `meetings` is the plan with the change; `changed` the meeting it gave."""
    day = changed.start.astimezone(zone).date()
    if changed.kind is MeetingKind.CONSTITUENT:
        planned = date.fromisoformat(changed.id[:10])
        election = next_municipal_election(date(planned.year - 2, 12, 31))
        if not election < day <= constituent_meeting_deadline(election):
            raise InvalidInput(Reason.CONSTITUENT_TOO_LATE, day.isoformat())
        return
    later = [
        m
        for m in meetings
        if m.kind is MeetingKind.CONSTITUENT and not m.cancelled and m.id != changed.id and m.start > meetings[0].start
    ]
    if any(changed.start >= m.start or day == m.start.astimezone(zone).date() for m in later):
        raise InvalidInput(Reason.AFTER_NEXT_CONSTITUENT, day.isoformat())


class MeetingWarning(StrEnum):
    """What is unusual about a meeting's new time, though allowed: the preview says so and Send still works."""

    NOT_FRIDAY = "not_friday"  # R-MEET-1: the KKR meets on Fridays
    CLOSED_DAY = "closed_day"  # a holiday, or a day that is no hverdag by practice (R-DAY-1)
    OUTSIDE_HOURS = "outside_hours"  # a start before 08:00 or after 18:00


EARLIEST_START = time(8, 0)
LATEST_START = time(18, 0)


def change_warnings(changed: Meeting, zone: ZoneInfo) -> list[MeetingWarning]:
    """The warnings for a meeting as a change leaves it (R-MEET-1, R-DAY-1)."""
    start = changed.start.astimezone(zone)
    warnings = []
    if start.weekday() != FRIDAY:
        warnings.append(MeetingWarning.NOT_FRIDAY)
    if start.date() in closed_days(start.year):
        warnings.append(MeetingWarning.CLOSED_DAY)
    if not EARLIEST_START <= start.time() <= LATEST_START:
        warnings.append(MeetingWarning.OUTSIDE_HOURS)
    return warnings
