"""Council periods and the crossing from one to the next (R-PER-1, R-MEM-1, R-MEM-5, R-MEET-2, R-ELEC-4).

A KKR period runs from one constituent meeting to the next (R-PER-1). The next period's data file is written
in December 2029, after the municipal election of 20 November 2029 (R-DAY-2), and `check_next_period` says
whether it can follow the current one. Between the election and the constituent meeting of 25 January 2030
there is a window the seeds say little about: the municipal term starts on 1 January (`term_start`), so the
new mayors are mayors, and members, from then (R-MEM-1), while the KKR's elected members are elected "for hele
valgperioden" (seed, item 1.2), which runs to the constituent meeting. `council_at` says who is a member at an
instant across the crossing, with the reason for each, and marks what it infers.
"""

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from kkrcore.days import ELECTION_CYCLE_YEARS, municipal_election_date, next_municipal_election
from kkrcore.elections import valgforbund_deadline
from kkrcore.meetings import constituent_meeting_deadline, of_next_council
from kkrcore.membership import Member, SubstituteChoice, SubstituteProblem, substitute_for, substitute_structure
from kkrcore.models import Dataset, Frozen, LongestServingMayor, Meeting, MeetingKind
from kkrcore.reasons import InvalidInput, Reason

TERM_START = (1, 1)
"""(month, day) in the year after the election on which the municipal term starts.

Not in the seeds: they say only that the councils constituted themselves in December 2025 (item 1.2). That the
new councils, and so the new mayors, take office on 1 January after the election is Danish municipal law; the
bot treats it as an assumption it cannot check against the seeds, and says so (docs/rules.md).
"""


def _aware(at: datetime) -> datetime:
    if at.utcoffset() is None:
        raise InvalidInput(Reason.NAIVE_DATETIME, at.isoformat())
    return at


def term_start(election_day: date) -> date:
    """The first day of the municipal term an election elects: 1 January after it (1 January 2030 for the
    election of 20 November 2029, R-DAY-2). (inferred: not in the seeds, see TERM_START.)"""
    if municipal_election_date(election_day.year) != election_day:
        raise InvalidInput(Reason.NOT_ELECTION_YEAR, election_day.isoformat())
    month, day = TERM_START
    return date(election_day.year + 1, month, day)


def term_start_at(election_day: date, zone: ZoneInfo) -> datetime:
    """`term_start` as an instant: midnight at its start in the KKR's zone."""
    return datetime.combine(term_start(election_day), time(0), zone)


# --- Which period is current -------------------------------------------------------------------------------


def opening_meeting(dataset: Dataset) -> Meeting | None:
    """The constituent meeting that opens `dataset`'s period: the first constituent meeting of its plan."""
    return next((m for m in dataset.meetings if m.kind is MeetingKind.CONSTITUENT and not m.cancelled), None)


def current_period(openings: Mapping[str, datetime], at: datetime) -> str | None:
    """R-PER-1: the period whose constituent meeting started last at `at`; None before any has started.

    `openings` maps each period held ("2026-2030") to the start of its constituent meeting (as moved, if it
    was). A meeting under way has started: from 10:00 on 25 January 2030 the 2030-2034 council is current.
    """
    _aware(at)
    started = [(start, period) for period, start in openings.items() if _aware(start) <= at]
    return max(started)[1] if started else None


def following_period(period: str) -> str:
    """The period after `period`: "2026-2030" -> "2030-2034" (R-DAY-2: an election every four years)."""
    start, end = (int(year) for year in period.split("-"))
    if end - start != ELECTION_CYCLE_YEARS:
        raise InvalidInput(Reason.PERIOD_DOES_NOT_FOLLOW, period)
    return f"{end}-{end + ELECTION_CYCLE_YEARS}"


# --- A next period's data against the current one -----------------------------------------------------------


class Problem(Frozen):
    """One thing wrong (or, when not `blocking`, worth saying) about a next period's data file. `field` is
    where in the next file (`meetings[0].start`); `message` one line of English for the command line."""

    reason: Reason
    field: str
    message: str
    blocking: bool = True


def describe_problem(source: str, problem: Problem) -> str:
    """One line, `source: field: message`, as `kkrcore.dataset.describe_validation_error` writes its lines."""
    return f"{source}: {problem.field}: {problem.message}"


def check_next_period(
    current: Dataset, nxt: Dataset, current_meetings: Sequence[Meeting] | None = None
) -> list[Problem]:
    """Whether `nxt` can follow `current` (R-PER-1, R-DAY-2, R-MEET-2); an empty list means it can.

    `current_meetings` is the current plan as the secretariat has changed it (default: the file's plan). A
    problem that is not `blocking` is a notice: the current plan lists the next constituent meeting at another
    time than the new file does; the new file wins, since it is the newer word on the next period's meeting.
    """
    problems: list[Problem] = []
    if nxt.region != current.region:
        problems.append(
            Problem(reason=Reason.REGION_DIFFERS, field="region", message=f"{nxt.region!r}, not {current.region!r}")
        )
    if nxt.timezone != current.timezone:
        problems.append(
            Problem(
                reason=Reason.TIMEZONE_DIFFERS,
                field="timezone",
                message=f"{nxt.timezone!r}, not {current.timezone!r}",
            )
        )
    expected = following_period(current.period)
    if nxt.period != expected:
        problems.append(
            Problem(
                reason=Reason.PERIOD_DOES_NOT_FOLLOW,
                field="period",
                message=f"{nxt.period!r} does not follow {current.period!r}: expected {expected!r}",
            )
        )
    election = next_municipal_election(current.election_date)
    if nxt.election_date != election:
        problems.append(
            Problem(
                reason=Reason.ELECTION_DATE_MISMATCH,
                field="election_date",
                message=f"{nxt.election_date.isoformat()}, not the municipal election before {expected} "
                f"({election.isoformat()}, the third Tuesday of November, R-DAY-2)",
            )
        )
    opening = nxt.meetings[0] if nxt.meetings else None
    if opening is None or opening.kind is not MeetingKind.CONSTITUENT:
        problems.append(
            Problem(
                reason=Reason.NO_CONSTITUENT_MEETING,
                field="meetings[0].kind" if opening else "meetings",
                message="the plan must start with the constituent meeting that opens the period (R-PER-1)",
            )
        )
        return problems
    problems += _opening_problems(current, nxt, opening, election, list(current_meetings or current.meetings))
    return problems


def _opening_problems(
    current: Dataset, nxt: Dataset, opening: Meeting, election: date, plan: list[Meeting]
) -> list[Problem]:
    """R-MEET-2 against the expected election (a wrong `election_date` is one problem, not two), R-PER-1."""
    zone = ZoneInfo(nxt.timezone)
    problems: list[Problem] = []
    day = opening.start.astimezone(zone).date()
    if not election < day <= constituent_meeting_deadline(election):
        problems.append(
            Problem(
                reason=Reason.CONSTITUENT_TOO_LATE,
                field="meetings[0].start",
                message=f"{day.isoformat()} is not after the election and by "
                f"{constituent_meeting_deadline(election).isoformat()} (R-MEET-2)",
            )
        )
    ordinary = [m for m in plan if m.kind is MeetingKind.ORDINARY and not m.cancelled]
    if ordinary and opening.start <= (last := max(ordinary, key=lambda m: m.start)).start:
        problems.append(
            Problem(
                reason=Reason.CONSTITUENT_BEFORE_PLAN_ENDS,
                field="meetings[0].start",
                message=f"the constituent meeting is not after the current period's last meeting ({last.id})",
            )
        )
    listed = [m for m in plan if not m.cancelled and of_next_council(m, plan)]
    for meeting in listed:
        if (meeting.start, meeting.end, meeting.place) != (opening.start, opening.end, opening.place):
            problems.append(
                Problem(
                    reason=Reason.CONSTITUENT_MOVED,
                    field="meetings[0]",
                    message=f"the {current.period} plan has the constituent meeting at "
                    f"{meeting.start.isoformat()} in {meeting.place}; this file's "
                    f"{opening.start.isoformat()} in {opening.place} wins",
                    blocking=False,
                )
            )
    return problems


# --- The constituent meeting --------------------------------------------------------------------------------


class ConstituentMeeting(Frozen):
    """The meeting that opens a period: who convenes it (R-MEET-2), the last day to notify a valgforbund for
    its chair election (R-ELEC-4) and the day it must be held by (R-MEET-2)."""

    period: str
    meeting: Meeting
    convener: LongestServingMayor
    valgforbund_deadline: date
    held_by: date


def constituent_meeting(dataset: Dataset) -> ConstituentMeeting:
    """The constituent meeting of `dataset`'s period, convened and chaired until the chair is elected by the
    longest-serving mayor of the new council, from the period's own data (R-MEET-2), not today's council's."""
    opening = opening_meeting(dataset)
    if opening is None:
        raise InvalidInput(Reason.NO_CONSTITUENT_MEETING, dataset.period)
    day = opening.start.astimezone(ZoneInfo(dataset.timezone)).date()
    return ConstituentMeeting(
        period=dataset.period,
        meeting=opening,
        convener=dataset.longest_serving_mayor,
        valgforbund_deadline=valgforbund_deadline(day),
        held_by=constituent_meeting_deadline(dataset.election_date),
    )


# --- Who is a member across the crossing --------------------------------------------------------------------


class CrossingPhase(StrEnum):
    OLD_COUNCIL = "old_council"  # before the municipal term starts
    TERM_STARTED = "term_started"  # from 1 January to the constituent meeting (inferred, see council_at)
    NEW_COUNCIL = "new_council"  # from the constituent meeting (R-PER-1)


class Seat(Frozen):
    """A member at the instant, why they are one, and who attends in their place if they report absence."""

    member: Member
    reason: Reason
    substitute: SubstituteChoice


class Departure(Frozen):
    """An old member who is not a member at the instant, or whose old elected seat stands empty, and why."""

    person_id: str
    reason: Reason


class CouncilAt(Frozen):
    """The council at one instant. `seats`: the members, mayors first; `left`: the old period's members who are
    not members now; `vacated`: old elected seats nobody holds now (R-MEM-7, inferred: the seat stays its
    party's); `problems`: substitute links that break R-MEM-6 at this instant (a new viceborgmester who is also
    an old member's personal substitute could be asked to fill two seats); `inferred`: the answer rests on a
    rule the seeds do not spell out (the window between the term start and the constituent meeting)."""

    phase: CrossingPhase
    seats: tuple[Seat, ...]
    left: tuple[Departure, ...]
    vacated: tuple[Departure, ...]
    problems: tuple[SubstituteProblem, ...]
    inferred: bool

    @property
    def member_ids(self) -> frozenset[str]:
        return frozenset(seat.member.person_id for seat in self.seats)

    def seat_of(self, person_id: str) -> Seat | None:
        return next((seat for seat in self.seats if seat.member.person_id == person_id), None)


def _unique(members: Sequence[Member], which: str) -> dict[str, Member]:
    by_id = {m.person_id: m for m in members}
    if len(by_id) != len(members):
        raise InvalidInput(Reason.DUPLICATE_PERSON, which)
    return by_id


def _seat(member: Member, reason: Reason, member_ids: Collection[str]) -> Seat:
    """A member's seat with their substitute: never a person who is a member at the same instant (R-MEM-6)."""
    choice = substitute_for(member, member_ids)
    if choice.person_id is not None and choice.person_id in member_ids:
        choice = SubstituteChoice(person_id=None, reason=Reason.SUBSTITUTE_IS_MEMBER)
    return Seat(member=member, reason=reason, substitute=choice)


def council_at(
    old: Sequence[Member],
    new: Sequence[Member],
    at: datetime,
    *,
    term_begins: datetime,
    constituent_start: datetime,
    departed: Collection[str] = (),
) -> CouncilAt:
    """Who is a member at `at`, across the crossing from the old period's members `old` to the new period's `new`.

    - Before `term_begins` (1 January after the election, `term_start_at`): the old council, less the old
      members recorded as `departed` (R-MEM-5).
    - From `term_begins` until `constituent_start`: the new mayors are members (R-MEM-1: a member for being
      mayor, of the term that has begun); a mayor re-elected stays, with the same person id; an old mayor who
      is not a mayor of the new term leaves (R-MEM-5, `tenure_after_change`: no longer mayor). The old elected
      members stay until the constituent meeting, since they were elected "for hele valgperioden" (seed, item
      1.2) and the period runs to the next constituent meeting (R-PER-1, R-MEM-3), unless recorded as
      `departed` (R-MEM-5: they left their council, e.g. lost their seat at the election, or their party).
      (inferred: the seeds do not say who lost their council seat, so the bot cannot know it; it learns it
      from the secretariat's record of departures.) An old elected member who is a new mayor sits as mayor;
      their old elected seat stands empty (`vacated`, R-MEM-7, inferred). A new mayor's substitute is the new
      term's viceborgmester (R-MEM-2); an old elected member's is their personal substitute (R-MEM-3).
    - From `constituent_start`: the new council (R-PER-1); old members not in it have left.

    Nobody is a member and a substitute at once: a substitute who is a member at `at` is not offered
    (`SUBSTITUTE_IS_MEMBER`; a mayor's next viceborgmester is, R-MEM-2). Members are matched by person id.
    """
    _aware(at)
    if not _aware(term_begins) < _aware(constituent_start):
        raise InvalidInput(Reason.DATE_OUT_OF_RANGE, "the term must start before the constituent meeting")
    old_by_id, new_by_id = _unique(old, "old"), _unique(new, "new")
    gone = set(departed)
    if at >= constituent_start:
        ids = set(new_by_id)
        left = [Departure(person_id=p, reason=Reason.NOT_IN_NEW_COUNCIL) for p in old_by_id if p not in ids]
        seats = [_seat(m, Reason.NEW_COUNCIL, ids) for m in _mayors_first(new)]
        return _council(CrossingPhase.NEW_COUNCIL, seats, left, [], inferred=False)
    if at < term_begins:
        staying = [m for m in old if m.person_id not in gone]
        ids = {m.person_id for m in staying}
        left = [Departure(person_id=m.person_id, reason=Reason.DEPARTURE_RECORDED) for m in old if m.person_id in gone]
        vacated = [d for d in left if not old_by_id[d.person_id].mayor]
        seats = [_seat(m, Reason.OLD_COUNCIL, ids) for m in _mayors_first(staying)]
        return _council(CrossingPhase.OLD_COUNCIL, seats, left, vacated, inferred=False)
    return _window(old, [m for m in new if m.mayor], old_by_id, gone)


def _window(
    old: Sequence[Member], new_mayors: list[Member], old_by_id: Mapping[str, Member], gone: set[str]
) -> CouncilAt:
    mayor_ids = {m.person_id for m in new_mayors}
    left: list[Departure] = []
    vacated: list[Departure] = []
    elected: list[Member] = []
    for member in old:
        if member.mayor:
            if member.person_id not in mayor_ids:
                left.append(Departure(person_id=member.person_id, reason=Reason.NO_LONGER_MAYOR))
        elif member.person_id in mayor_ids:
            vacated.append(Departure(person_id=member.person_id, reason=Reason.BECAME_MAYOR))
        elif member.person_id in gone:
            departure = Departure(person_id=member.person_id, reason=Reason.DEPARTURE_RECORDED)
            left.append(departure)
            vacated.append(departure)
        else:
            elected.append(member)
    ids = mayor_ids | {m.person_id for m in elected}
    seats = [
        _seat(
            m,
            Reason.MAYOR_RE_ELECTED
            if m.person_id in old_by_id and old_by_id[m.person_id].mayor
            else Reason.MAYOR_OF_NEW_TERM,
            ids,
        )
        for m in new_mayors
    ]
    seats += [_seat(m, Reason.ELECTED_UNTIL_CONSTITUENT, ids) for m in elected]
    return _council(CrossingPhase.TERM_STARTED, seats, left, vacated, inferred=True)


def _mayors_first(members: Sequence[Member]) -> list[Member]:
    return [m for m in members if m.mayor] + [m for m in members if not m.mayor]


def _council(
    phase: CrossingPhase, seats: list[Seat], left: list[Departure], vacated: list[Departure], *, inferred: bool
) -> CouncilAt:
    ids = {seat.member.person_id for seat in seats}
    problems = substitute_structure(
        {s.member.person_id: s.substitute.person_id for s in seats if not s.member.mayor},
        ids,
        {s.member.person_id: s.substitute.person_id for s in seats if s.member.mayor},
    )
    return CouncilAt(
        phase=phase,
        seats=tuple(seats),
        left=tuple(left),
        vacated=tuple(vacated),
        problems=tuple(problems),
        inferred=inferred,
    )
