"""Council periods and the crossing to the next one (R-PER-1, R-MEM-1, R-MEM-5, R-DAY-2, R-ELEC-4, R-MEET-2).

The next period's file is the invented example in bot/data; the councils of the crossing are made by hand here
(three municipalities), and a property checks the crossing for councils hypothesis makes up.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kkrcore.dataset import DatasetError, load_dataset
from kkrcore.membership import Member
from kkrcore.models import Dataset
from kkrcore.periods import (
    CrossingPhase,
    check_next_period,
    constituent_meeting,
    council_at,
    current_period,
    describe_problem,
    following_period,
    opening_meeting,
    term_start,
    term_start_at,
)
from kkrcore.reasons import InvalidInput, Reason

CPH = ZoneInfo("Europe/Copenhagen")
EXAMPLE = Path(__file__).resolve().parent.parent / "bot" / "data" / "next_period_example.json"
ELECTION_2029 = date(2029, 11, 20)
TERM_BEGINS = datetime(2030, 1, 1, tzinfo=CPH)
CONSTITUENT = datetime(2030, 1, 25, 10, 0, tzinfo=CPH)


def example(change: Callable[[dict[str, Any]], object] | None = None, tmp: Path | None = None) -> Dataset:
    """The invented 2030-2034 file, changed by `change` (written to `tmp`)."""
    if change is None:
        return load_dataset(EXAMPLE)
    assert tmp is not None
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    change(data)
    path = tmp / "next.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return load_dataset(path)


# --- R-DAY-2: the term, and which period is current (R-PER-1) ---------------------------------------------


def test_r_day_2_the_term_elected_on_20_november_2029_starts_1_january_2030() -> None:
    assert term_start(ELECTION_2029) == date(2030, 1, 1)
    assert term_start(date(2025, 11, 18)) == date(2026, 1, 1)
    assert term_start_at(ELECTION_2029, CPH) == TERM_BEGINS


def test_r_day_2_a_day_that_is_no_municipal_election_has_no_term() -> None:
    with pytest.raises(InvalidInput) as caught:
        term_start(date(2029, 11, 21))
    assert caught.value.reason is Reason.NOT_ELECTION_YEAR


def test_r_per_1_the_period_whose_constituent_meeting_started_last_is_current() -> None:
    openings = {
        "2026-2030": datetime(2026, 1, 23, 10, 30, tzinfo=CPH),
        "2030-2034": CONSTITUENT,
    }
    assert current_period(openings, datetime(2026, 1, 1, tzinfo=CPH)) is None
    assert current_period(openings, datetime(2029, 12, 3, 10, tzinfo=CPH)) == "2026-2030"
    assert current_period(openings, CONSTITUENT - timedelta(seconds=1)) == "2026-2030"
    assert current_period(openings, CONSTITUENT) == "2030-2034"  # a meeting under way has started
    assert current_period(openings, datetime(2031, 6, 1, tzinfo=CPH)) == "2030-2034"


def test_r_per_1_a_naive_instant_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        current_period({"2026-2030": datetime(2026, 1, 23, 10, 30, tzinfo=CPH)}, datetime(2029, 12, 3))
    assert caught.value.reason is Reason.NAIVE_DATETIME


def test_r_per_1_the_period_after_2026_2030_is_2030_2034() -> None:
    assert following_period("2026-2030") == "2030-2034"
    with pytest.raises(InvalidInput):
        following_period("2026-2031")


def test_r_per_1_each_dataset_opens_with_its_own_constituent_meeting() -> None:
    current = opening_meeting(load_dataset())
    nxt = opening_meeting(example())
    assert current is not None
    assert nxt is not None
    assert (current.id, nxt.id) == ("2026-01-23", "2030-01-25")


# --- R-MEET-2, R-ELEC-4: the constituent meeting of the next period -----------------------------------------


def test_r_meet_2_the_next_councils_longest_serving_mayor_convenes_its_constituent_meeting() -> None:
    meeting = constituent_meeting(example())
    assert meeting.convener.name == "Dorte Fiktivsen"  # the example's, not the 2026-2030 data set's
    assert meeting.convener != load_dataset().longest_serving_mayor
    assert meeting.held_by == date(2030, 1, 31)


def test_r_elec_4_valgforbund_for_25_january_2030_are_notified_by_tuesday_22_january() -> None:
    assert constituent_meeting(example()).valgforbund_deadline == date(2030, 1, 22)
    assert constituent_meeting(load_dataset()).valgforbund_deadline == date(2026, 1, 20)  # as in the seed


# --- A next period's data against the current one -----------------------------------------------------------


def test_r_per_1_the_invented_example_follows_2026_2030() -> None:
    assert check_next_period(load_dataset(), example()) == []


def _move_constituent(day: str, offset: str = "+01:00") -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        meeting = data["meetings"][0]
        for field in ("start", "end", "group_meetings_start", "group_meetings_end"):
            meeting[field] = day + meeting[field][10:19] + offset
        meeting["id"] = day

    return change


@pytest.mark.parametrize(
    ("change", "reasons"),
    [
        (lambda d: d.update(region="Midtjylland"), [Reason.REGION_DIFFERS]),
        (lambda d: d.update(timezone="Europe/Berlin"), [Reason.TIMEZONE_DIFFERS]),
        (lambda d: d.update(period="2034-2038"), [Reason.PERIOD_DOES_NOT_FOLLOW]),
        (lambda d: d.update(election_date="2033-11-15"), [Reason.ELECTION_DATE_MISMATCH]),
        (lambda d: d["meetings"][0].update(kind="ordinary"), [Reason.NO_CONSTITUENT_MEETING]),
        (
            _move_constituent("2029-10-19", "+02:00"),
            [Reason.CONSTITUENT_TOO_LATE, Reason.CONSTITUENT_BEFORE_PLAN_ENDS, Reason.CONSTITUENT_MOVED],
        ),
        (_move_constituent("2030-02-01"), [Reason.CONSTITUENT_TOO_LATE, Reason.CONSTITUENT_MOVED]),
    ],
)
def test_r_per_1_r_day_2_a_next_period_that_cannot_follow_is_refused(
    change: Callable[[dict[str, Any]], None], reasons: list[Reason], tmp_path: Path
) -> None:
    problems = check_next_period(load_dataset(), example(change, tmp_path))
    assert [p.reason for p in problems] == reasons
    assert any(p.blocking for p in problems)


def test_r_per_1_the_new_file_wins_over_the_current_plans_date_for_the_constituent_meeting(tmp_path: Path) -> None:
    (notice,) = check_next_period(load_dataset(), example(_move_constituent("2030-01-24"), tmp_path))
    assert (notice.reason, notice.blocking) == (Reason.CONSTITUENT_MOVED, False)
    assert describe_problem("next.json", notice) == (
        "next.json: meetings[0]: the 2026-2030 plan has the constituent meeting at 2030-01-25T10:00:00+01:00 in "
        "Aalborg; this file's 2030-01-24T10:00:00+01:00 in Aalborg wins"
    )


def test_r_per_1_a_period_that_does_not_follow_reads_as_one_line(tmp_path: Path) -> None:
    (problem,) = check_next_period(load_dataset(), example(lambda d: d.update(period="2034-2038"), tmp_path))
    assert describe_problem("next.json", problem) == (
        "next.json: period: '2034-2038' does not follow '2026-2030': expected '2030-2034'"
    )


def test_r_per_1_the_current_plan_as_changed_is_what_the_next_file_is_checked_against() -> None:
    current = load_dataset()
    moved = [m.model_copy(update={"start": m.start + timedelta(hours=1)}) if m.id == "2030-01-25" else m
             for m in current.meetings]  # fmt: skip
    (notice,) = check_next_period(current, example(), current_meetings=moved)
    assert notice.reason is Reason.CONSTITUENT_MOVED


# --- The data file's one-line errors -------------------------------------------------------------------------


def test_a_next_period_file_may_leave_out_what_december_2029_does_not_know() -> None:
    nxt = example()
    assert nxt.published_composition == {}
    assert nxt.erhvervshus is None


@pytest.mark.parametrize(
    ("change", "line"),
    [
        (lambda d: d.pop("election_date"), "next.json: election_date: Field required"),
        (lambda d: d.pop("longest_serving_mayor"), "next.json: longest_serving_mayor: Field required"),
        (
            lambda d: d.update(election_date="2029-11-21"),
            "next.json: election_date: not the third Tuesday of November of an election year",
        ),
        (
            lambda d: d["longest_serving_mayor"].update(municipality="Hjørring"),
            "next.json: longest_serving_mayor: not the mayor of a municipality in the dataset",
        ),
        (
            lambda d: d["meetings"][1].update(end="2030-03-22T09:00:00+01:00"),
            "next.json: meetings[1].end: end is not after start",
        ),
        (lambda d: d.update(period="2030"), "next.json: period: String should match pattern '^\\d{4}-\\d{4}$'"),
        (
            lambda d: d["meetings"][2].update(start="2030-06-14T10:00:00+01:00"),
            "next.json: meetings[2].start: offset +0100 is wrong for Europe/Copenhagen",
        ),
    ],
)
def test_a_broken_next_period_file_is_refused_in_one_line(
    change: Callable[[dict[str, Any]], None], line: str, tmp_path: Path
) -> None:
    with pytest.raises(DatasetError) as caught:
        example(change, tmp_path)
    assert str(caught.value) == line


# --- The crossing: who is a member between 1 and 25 January 2030 --------------------------------------------

# 2026-2030: three mayors and three elected members with personal substitutes.
OLD = [
    Member(person_id="mayor-a", municipality="Aalborg", party="A", mayor=True, vice_mayors=("vice-a",)),
    Member(person_id="mayor-b", municipality="Brønderslev", party="V", mayor=True, vice_mayors=("vice-b",)),
    Member(person_id="mayor-c", municipality="Læsø", party="C", mayor=True, vice_mayors=("vice-c",)),
    Member(person_id="elected-1", municipality="Aalborg", party="A", personal_substitute="sub-1"),
    Member(person_id="elected-2", municipality="Brønderslev", party="F", personal_substitute="sub-2"),
    Member(person_id="elected-3", municipality="Læsø", party="O", personal_substitute="sub-3"),
]
# 2030-2034: Aalborg's mayor re-elected; Brønderslev's lost to a new mayor; elected-3 is Læsø's mayor now.
NEW = [
    Member(person_id="mayor-a", municipality="Aalborg", party="A", mayor=True, vice_mayors=("vice-a",)),
    Member(person_id="mayor-b-2030", municipality="Brønderslev", party="A", mayor=True, vice_mayors=("vice-b-2030",)),
    Member(person_id="elected-3", municipality="Læsø", party="O", mayor=True, vice_mayors=("vice-c",)),
    Member(person_id="elected-1", municipality="Aalborg", party="A", personal_substitute="sub-1"),
    Member(person_id="new-elected", municipality="Aalborg", party="Æ", personal_substitute="new-sub"),
]


def crossing(at: datetime, departed: tuple[str, ...] = ()) -> Any:
    return council_at(OLD, NEW, at, term_begins=TERM_BEGINS, constituent_start=CONSTITUENT, departed=departed)


def test_r_mem_1_until_31_december_2029_the_old_council_sits() -> None:
    council = crossing(TERM_BEGINS - timedelta(seconds=1))
    assert council.phase is CrossingPhase.OLD_COUNCIL
    assert council.member_ids == {m.person_id for m in OLD}
    assert not council.inferred


def test_r_mem_1_from_1_january_2030_the_new_mayors_are_members() -> None:
    council = crossing(TERM_BEGINS)
    assert council.phase is CrossingPhase.TERM_STARTED
    new_mayor = council.seat_of("mayor-b-2030")
    assert new_mayor is not None
    assert new_mayor.reason is Reason.MAYOR_OF_NEW_TERM
    assert new_mayor.substitute.person_id == "vice-b-2030"  # R-MEM-2: the new term's viceborgmester
    re_elected = council.seat_of("mayor-a")
    assert re_elected is not None
    assert re_elected.reason is Reason.MAYOR_RE_ELECTED
    assert council.inferred


def test_r_mem_5_from_1_january_2030_a_mayor_who_lost_the_election_is_no_longer_a_member() -> None:
    council = crossing(TERM_BEGINS)
    assert "mayor-b" not in council.member_ids
    assert [(d.person_id, d.reason) for d in council.left] == [
        ("mayor-b", Reason.NO_LONGER_MAYOR),
        ("mayor-c", Reason.NO_LONGER_MAYOR),  # Læsø's mayor is elected-3 now
    ]


def test_r_mem_5_inferred_old_elected_members_stay_until_the_constituent_meeting_unless_recorded_as_departed() -> None:
    council = crossing(datetime(2030, 1, 10, 12, tzinfo=CPH), departed=("elected-2",))
    stays = council.seat_of("elected-1")
    assert stays is not None
    assert (stays.reason, stays.substitute.person_id) == (Reason.ELECTED_UNTIL_CONSTITUENT, "sub-1")
    assert "elected-2" not in council.member_ids
    assert ("elected-2", Reason.DEPARTURE_RECORDED) in [(d.person_id, d.reason) for d in council.left]
    assert "new-elected" not in council.member_ids  # elected for 2030-2034: a member from the meeting


def test_r_mem_1_r_mem_7_an_old_elected_member_who_became_mayor_sits_as_mayor_and_leaves_the_seat_vacant() -> None:
    council = crossing(TERM_BEGINS)
    seat = council.seat_of("elected-3")
    assert seat is not None
    assert (seat.member.mayor, seat.substitute.person_id) == (True, "vice-c")
    assert [(d.person_id, d.reason) for d in council.vacated] == [("elected-3", Reason.BECAME_MAYOR)]
    assert len(council.seats) == 5  # 3 mayors and 2 old elected members; one elected seat vacant


def test_r_per_1_from_the_constituent_meeting_the_new_council_sits_and_the_others_have_left() -> None:
    council = crossing(CONSTITUENT)
    assert council.phase is CrossingPhase.NEW_COUNCIL
    assert council.member_ids == {m.person_id for m in NEW}
    assert {d.person_id for d in council.left} == {"mayor-b", "mayor-c", "elected-2"}
    assert {d.reason for d in council.left} == {Reason.NOT_IN_NEW_COUNCIL}


def test_r_mem_6_a_substitute_who_is_a_member_at_the_instant_is_not_offered() -> None:
    # Brønderslev's new mayor was elected-1's personal substitute in 2026-2030.
    new = [m.model_copy(update={"person_id": "sub-1"}) if m.person_id == "mayor-b-2030" else m for m in NEW]
    council = council_at(OLD, new, TERM_BEGINS, term_begins=TERM_BEGINS, constituent_start=CONSTITUENT)
    seat = council.seat_of("elected-1")
    assert seat is not None
    assert (seat.substitute.person_id, seat.substitute.reason) == (None, Reason.SUBSTITUTE_IS_MEMBER)


def test_r_mem_6_a_new_viceborgmester_who_is_an_old_members_personal_substitute_is_reported() -> None:
    # From 1 January sub-2 is Brønderslev's new viceborgmester and still elected-2's personal substitute.
    new = [m.model_copy(update={"vice_mayors": ("sub-2",)}) if m.person_id == "mayor-b-2030" else m for m in NEW]
    council = council_at(OLD, new, TERM_BEGINS, term_begins=TERM_BEGINS, constituent_start=CONSTITUENT)
    assert [(p.member, p.substitute, p.reason, p.other) for p in council.problems] == [
        ("elected-2", "sub-2", Reason.VICE_MAYOR_IS_PERSONAL_SUBSTITUTE, "mayor-b-2030")
    ]
    assert not crossing(TERM_BEGINS).problems


def test_the_crossing_refuses_a_term_that_starts_after_the_meeting() -> None:
    with pytest.raises(InvalidInput):
        council_at(OLD, NEW, TERM_BEGINS, term_begins=CONSTITUENT, constituent_start=TERM_BEGINS)


MUNICIPALITIES = ("Aalborg", "Brønderslev", "Læsø", "Morsø")
POOL = [f"p{i}" for i in range(24)]


def _council(people: list[str], elected: int) -> list[Member]:
    """One period's members from a permutation of the pool: a mayor per municipality with a viceborgmester,
    `elected` elected members each with a personal substitute, all different people."""
    n = len(MUNICIPALITIES)
    mayors = [
        Member(person_id=people[i], municipality=name, party="A", mayor=True, vice_mayors=(people[n + i],))
        for i, name in enumerate(MUNICIPALITIES)
    ]
    first = 2 * n
    others = [
        Member(
            person_id=people[first + 2 * k],
            municipality=MUNICIPALITIES[k % n],
            party="V",
            personal_substitute=people[first + 2 * k + 1],
        )
        for k in range(elected)
    ]
    return mayors + others


@settings(max_examples=200, deadline=None)
@given(
    old_people=st.permutations(POOL),
    new_people=st.permutations(POOL),
    old_elected=st.integers(0, 4),
    new_elected=st.integers(0, 4),
    departed=st.sets(st.sampled_from(POOL)),
    at=st.datetimes(min_value=datetime(2029, 11, 1), max_value=datetime(2030, 3, 1), timezones=st.just(CPH)),
)
def test_r_per_1_r_mem_1_r_mem_5_at_every_instant_one_mayor_per_municipality_and_no_member_substitutes(
    old_people: list[str],
    new_people: list[str],
    old_elected: int,
    new_elected: int,
    departed: set[str],
    at: datetime,
) -> None:
    old, new = _council(old_people, old_elected), _council(new_people, new_elected)
    gone = {p for p in departed if any(m.person_id == p and not m.mayor for m in old)}  # old elected members
    council = council_at(old, new, at, term_begins=TERM_BEGINS, constituent_start=CONSTITUENT, departed=gone)
    mayors = [seat.member.municipality for seat in council.seats if seat.member.mayor]
    assert sorted(mayors) == sorted(MUNICIPALITIES)
    ids = [seat.member.person_id for seat in council.seats]
    assert len(ids) == len(set(ids))
    substitutes = {seat.substitute.person_id for seat in council.seats} - {None}
    assert not substitutes & set(ids)
    if council.phase is not CrossingPhase.NEW_COUNCIL:  # R-MEM-5: a recorded departure ends the old seat
        assert not (gone - {m.person_id for m in new if m.mayor}) & set(ids)
    expected = CrossingPhase.OLD_COUNCIL if at < TERM_BEGINS else CrossingPhase.TERM_STARTED
    assert council.phase is (CrossingPhase.NEW_COUNCIL if at >= CONSTITUENT else expected)
