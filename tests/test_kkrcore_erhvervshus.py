"""Erhvervshus Nordjylland's board (R-EHUS-1..3)."""

from datetime import date

import pytest

from kkrcore.dataset import load_dataset
from kkrcore.erhvervshus import (
    BoardCategory,
    BoardSeat,
    Finding,
    Gender,
    Phase,
    check_board,
    gender_balance,
    phase,
)
from kkrcore.reasons import Reason

C = BoardCategory


def full_board() -> list[BoardSeat]:
    seats = [BoardSeat(person="chair", category=C.CHAIR, elected_official=True)]
    seats += [BoardSeat(person=f"pol{i}", category=C.MUNICIPAL_POLITICIAN, elected_official=True) for i in range(3)]
    seats += [BoardSeat(person=f"biz{i}", category=C.BUSINESS) for i in range(4)]
    seats += [
        BoardSeat(person="know", category=C.KNOWLEDGE),
        BoardSeat(person="employee", category=C.EMPLOYEE),
        BoardSeat(person="observer", category=C.OBSERVER),
    ]
    return seats


def test_r_ehus_1_ten_members_by_category_and_one_observer_pass() -> None:
    assert len(full_board()) == 11
    assert check_board(full_board()) == []


def test_r_ehus_1_a_missing_business_representative_is_a_finding() -> None:
    board = [s for s in full_board() if s.person != "biz3"]
    assert check_board(board) == [Finding(reason=Reason.SEAT_COUNT_MISMATCH, category=C.BUSINESS, expected=4, actual=3)]


def test_r_ehus_1_an_extra_municipal_politician_and_no_observer_are_findings() -> None:
    board = [s for s in full_board() if s.category is not C.OBSERVER]
    board.append(BoardSeat(person="pol9", category=C.MUNICIPAL_POLITICIAN, elected_official=True))
    assert {(f.category, f.expected, f.actual) for f in check_board(board)} == {
        (C.MUNICIPAL_POLITICIAN, 3, 4),
        (C.OBSERVER, 1, 0),
    }


def test_r_ehus_1_the_chair_must_be_an_elected_official() -> None:
    board = [s.model_copy(update={"elected_official": False}) if s.person == "chair" else s for s in full_board()]
    assert check_board(board) == [Finding(reason=Reason.NOT_ELECTED_OFFICIAL, category=C.CHAIR, person="chair")]


def test_r_ehus_1_one_person_cannot_hold_two_seats() -> None:
    board = [*full_board()[:-1], BoardSeat(person="know", category=C.OBSERVER)]
    assert check_board(board) == [Finding(reason=Reason.DUPLICATE_PERSON, person="know")]


@pytest.mark.parametrize(
    ("proposals", "special", "balanced", "reason"),
    [
        ([Gender.WOMAN, Gender.MAN], False, True, Reason.GENDER_BALANCED),
        ([Gender.WOMAN, Gender.MAN, Gender.MAN, Gender.WOMAN], False, True, Reason.GENDER_BALANCED),
        ([Gender.MAN], False, False, Reason.GENDER_UNBALANCED),
        ([Gender.WOMAN, Gender.WOMAN, Gender.MAN], False, False, Reason.GENDER_UNBALANCED),
        ([Gender.MAN], True, True, Reason.SPECIAL_REASONS_STATED),
        ([], False, False, Reason.NO_PROPOSALS),
    ],
)
def test_r_ehus_2_a_nominating_body_proposes_as_many_women_as_men_unless_it_states_special_reasons(
    proposals: list[Gender], special: bool, balanced: bool, reason: Reason
) -> None:
    result = gender_balance(proposals, special_reasons=special)
    assert (result.balanced, result.reason) == (balanced, reason)
    assert result.women + result.men == len(proposals)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 10, 24), Phase.CRITERIA),
        (date(2026, 1, 23), Phase.CRITERIA),
        (date(2026, 1, 24), Phase.NOMINATION),
        (date(2026, 2, 27), Phase.NOMINATION),
        (date(2026, 2, 28), Phase.AWAITING_APPOINTMENT),
        (date(2026, 3, 27), Phase.APPOINTMENT_MEETING),
        (date(2026, 3, 31), Phase.APPOINTED),
        (date(2026, 4, 1), Phase.NEW_BOARD),
        (date(2030, 3, 31), Phase.NEW_BOARD),
        (date(2030, 4, 1), Phase.BOARD_PERIOD_ENDED),
    ],
)
def test_r_ehus_3_nominations_are_requested_after_the_constituent_meeting_and_the_phases_end_with_the_board_period(
    day: date, expected: Phase
) -> None:
    assert phase(day, load_dataset().erhvervshus) is expected
