"""The meeting plan seen from a moment in time, and whether a meeting can decide (R-MEET-1..5)."""

from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime

from kkrcore.models import Frozen, Meeting, MeetingKind
from kkrcore.reasons import InvalidInput, Reason

CONSTITUENT_DEADLINE = (1, 31)
"""R-MEET-2: (month, day) in the year after the election by which the constituent meeting is held."""


class Quorum(Frozen):
    """R-MEET-4: the KKR can decide when at least half of its members are present."""

    members: int
    present: int
    required: int
    quorate: bool
    reason: Reason


def _aware(at: datetime) -> datetime:
    if at.utcoffset() is None:
        raise InvalidInput(Reason.NAIVE_DATETIME, at.isoformat())
    return at


def upcoming_meetings(meetings: Iterable[Meeting], at: datetime) -> list[Meeting]:
    """Meetings starting after `at`, earliest first; a meeting under way is no longer upcoming, and a cancelled
    one is not coming at all (no question, reminder, absence or quorum counts it)."""
    _aware(at)
    # `at` in each meeting's own zone, once: two times of one zone (the same tzinfo object) compare by their fields,
    # while two of different zones ask each for its offset, a lookup by name that took most of what an answer spent
    # here. (Within one zone Python compares wall times, as it always does; only a meeting in the very hour that
    # repeats when the clocks go back could be misplaced, and meetings are held by day.)
    local: dict[object, datetime] = {}

    def after_at(meeting: Meeting) -> bool:
        zone = meeting.start.tzinfo
        if zone not in local:
            local[zone] = at.astimezone(zone)
        return meeting.start > local[zone]

    return sorted((m for m in meetings if not m.cancelled and after_at(m)), key=lambda m: m.start)


def next_meeting(meetings: Iterable[Meeting], at: datetime) -> Meeting | None:
    upcoming = upcoming_meetings(meetings, at)
    return upcoming[0] if upcoming else None


def quorum(members: int, present: int) -> Quorum:
    """At least half: 11 of 22, and 11 of 21 too, since half a member cannot attend."""
    if members < 1:
        raise InvalidInput(Reason.INVALID_COUNT, f"members={members}")
    if present < 0:
        raise InvalidInput(Reason.INVALID_COUNT, f"present={present}")
    if present > members:
        raise InvalidInput(Reason.PRESENT_EXCEEDS_MEMBERS, f"{present} > {members}")
    required = (members + 1) // 2
    quorate = present >= required
    return Quorum(
        members=members,
        present=present,
        required=required,
        quorate=quorate,
        reason=Reason.QUORATE if quorate else Reason.NOT_QUORATE,
    )


def quorum_forecast(
    seats: int, members: Collection[str], absent: Collection[str], substitute_attends: Collection[str]
) -> Quorum:
    """Quorum from the notices of absence, counted against the composition's `seats` (R-MEET-4): an absent
    member whose substitute attends counts as present; a seat without a member (R-MEM-7, inferred: vacant, not
    gone) counts among the seats, and nobody is present in it.

    `substitute_attends` holds the ids of absent members, not of the substitutes, so a substitute can only
    fill the seat of someone who is away.
    """
    holders, away, filled = set(members), set(absent), set(substitute_attends)
    if len(holders) > seats:
        raise InvalidInput(Reason.MORE_MEMBERS_THAN_SEATS, f"{len(holders)} > {seats}")
    if unknown := sorted(away - holders):
        raise InvalidInput(Reason.UNKNOWN_MEMBER, ", ".join(unknown))
    if not_away := sorted(filled - away):
        raise InvalidInput(Reason.SUBSTITUTE_FOR_PRESENT_MEMBER, ", ".join(not_away))
    return quorum(seats, len(holders) - len(away) + len(filled))


def constituent_meeting_deadline(election_day: date) -> date:
    """R-MEET-2: the constituent meeting is held by 31 January of the year after the municipal election."""
    month, day = CONSTITUENT_DEADLINE
    return date(election_day.year + 1, month, day)


def of_next_council(meeting: Meeting, meetings: Iterable[Meeting]) -> bool:
    """R-MEET-2: a constituent meeting opens a council's period, so a constituent meeting after the plan's first
    meeting (25 January 2030 in the 2026-2030 plan) is the next council's, after the next municipal election:
    this council's members have no seat at it."""
    first = min(meetings, key=lambda m: m.start)
    return meeting.kind is MeetingKind.CONSTITUENT and meeting.start > first.start


def quorum_of_record(seats: int, attendees: Mapping[str, str]) -> Quorum:
    """R-MEET-4 from the attendance of record: `attendees` maps each filled seat (the member's id) to the person
    who sat in it, the member or a substitute, out of the composition's `seats` (a vacant seat counts as a seat,
    R-MEM-7). One person counts once: a person in two seats is refused with DUPLICATE_PERSON."""
    people = list(attendees.values())
    if twice := sorted({p for p in people if people.count(p) > 1}):
        raise InvalidInput(Reason.DUPLICATE_PERSON, ", ".join(twice))
    return quorum(seats, len(people))
