"""Erhvervshus Nordjylland's board from 1 April 2026: its make-up, gender balance of nominations, timeline.

R-EHUS-1 erhvervsfremmeloven § 13: 10 members and 1 observer from Erhvervsstyrelsen.
R-EHUS-2 ligestillingsloven § 10 a: a nominating body proposes a woman and a man, or as many women as men.
R-EHUS-3 the dates are in the dataset (`ErhvervshusTimeline`): the constituent meeting decides the criteria,
         the nominations are requested after it, and the board's period ends on 31 March 2030.
"""

from collections import Counter
from collections.abc import Sequence
from datetime import date
from enum import StrEnum

from kkrcore.models import ErhvervshusTimeline, Frozen
from kkrcore.reasons import Reason


class BoardCategory(StrEnum):
    CHAIR = "chair"
    MUNICIPAL_POLITICIAN = "municipal_politician"
    BUSINESS = "business"
    KNOWLEDGE = "knowledge"
    EMPLOYEE = "employee"
    OBSERVER = "observer"


BOARD_SEATS: dict[BoardCategory, int] = {
    BoardCategory.CHAIR: 1,
    BoardCategory.MUNICIPAL_POLITICIAN: 3,
    BoardCategory.BUSINESS: 4,
    BoardCategory.KNOWLEDGE: 1,
    BoardCategory.EMPLOYEE: 1,
    BoardCategory.OBSERVER: 1,
}

MUST_BE_ELECTED = frozenset({BoardCategory.CHAIR, BoardCategory.MUNICIPAL_POLITICIAN})
"""The chair must be folkevalgt; the three others appointed by the KKR are municipal politicians."""


class Gender(StrEnum):
    WOMAN = "woman"
    MAN = "man"


class BoardSeat(Frozen):
    person: str
    category: BoardCategory
    elected_official: bool = False


class Finding(Frozen):
    """One thing wrong with a proposed board; `expected`/`actual` are seat counts where those apply."""

    reason: Reason
    category: BoardCategory | None = None
    person: str | None = None
    expected: int | None = None
    actual: int | None = None


class GenderBalance(Frozen):
    balanced: bool
    reason: Reason
    women: int
    men: int


class Phase(StrEnum):
    CRITERIA = "criteria"
    NOMINATION = "nomination"
    AWAITING_APPOINTMENT = "awaiting_appointment"
    APPOINTMENT_MEETING = "appointment_meeting"
    APPOINTED = "appointed"
    NEW_BOARD = "new_board"
    BOARD_PERIOD_ENDED = "board_period_ended"


def check_board(seats: Sequence[BoardSeat]) -> list[Finding]:
    """Everything that keeps `seats` from being the board of R-EHUS-1; an empty list means none."""
    findings: list[Finding] = []
    counts = Counter(seat.category for seat in seats)
    for category, expected in BOARD_SEATS.items():
        if counts[category] != expected:
            findings.append(
                Finding(
                    reason=Reason.SEAT_COUNT_MISMATCH,
                    category=category,
                    expected=expected,
                    actual=counts[category],
                )
            )
    for seat in seats:
        if seat.category in MUST_BE_ELECTED and not seat.elected_official:
            findings.append(Finding(reason=Reason.NOT_ELECTED_OFFICIAL, category=seat.category, person=seat.person))
    people = Counter(seat.person for seat in seats)
    findings += [Finding(reason=Reason.DUPLICATE_PERSON, person=p) for p, n in people.items() if n > 1]
    return findings


def gender_balance(proposals: Sequence[Gender], special_reasons: bool = False) -> GenderBalance:
    """R-EHUS-2: as many women as men, at least one of each; stated special reasons excuse an imbalance."""
    women = sum(1 for g in proposals if g is Gender.WOMAN)
    men = len(proposals) - women
    if not proposals:
        reason = Reason.NO_PROPOSALS
    elif women == men:
        reason = Reason.GENDER_BALANCED
    elif special_reasons:
        reason = Reason.SPECIAL_REASONS_STATED
    else:
        reason = Reason.GENDER_UNBALANCED
    return GenderBalance(
        balanced=reason in (Reason.GENDER_BALANCED, Reason.SPECIAL_REASONS_STATED),
        reason=reason,
        women=women,
        men=men,
    )


def phase(day: date, timeline: ErhvervshusTimeline) -> Phase:
    """R-EHUS-3: criteria until the constituent meeting (inclusive: the request goes out after it), then
    nominations until the deadline, inclusive; the old board sits until the new one starts, whose period
    ends with `board_until`.
    """
    if day <= timeline.criteria_meeting:
        return Phase.CRITERIA
    if day <= timeline.nominations_deadline:
        return Phase.NOMINATION
    if day < timeline.appointment_meeting:
        return Phase.AWAITING_APPOINTMENT
    if day == timeline.appointment_meeting:
        return Phase.APPOINTMENT_MEETING
    if day < timeline.board_from:
        return Phase.APPOINTED
    if day <= timeline.board_until:
        return Phase.NEW_BOARD
    return Phase.BOARD_PERIOD_ENDED
