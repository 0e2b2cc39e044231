"""The meeting plan with the secretariat's changes on top of the bundled plan (issue #9, R-MEET-1, R-MEET-4)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from kkrcore.dataset import load_dataset
from kkrcore.meeting_changes import (
    AddMeeting,
    CancelMeeting,
    MeetingWarning,
    MoveMeeting,
    apply_change,
    apply_changes,
    change_warnings,
    check_period,
)
from kkrcore.meetings import next_meeting, upcoming_meetings
from kkrcore.models import Meeting
from kkrcore.reasons import InvalidInput, Reason

CPH = ZoneInfo("Europe/Copenhagen")
PLAN = load_dataset().meetings
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=CPH)
FEB = "2027-02-12"


def meeting(meetings: tuple[Meeting, ...], meeting_id: str) -> Meeting:
    return next(m for m in meetings if m.id == meeting_id)


def test_no_changes_give_the_bundled_plan() -> None:
    assert apply_changes(PLAN, []) == tuple(PLAN)


def test_a_moved_meeting_keeps_its_id_and_length_and_its_group_meetings_move_with_it() -> None:
    new_start = datetime(2027, 2, 19, 13, 0, tzinfo=CPH)
    plan = apply_changes(PLAN, [MoveMeeting(meeting_id=FEB, made_at=NOW, start=new_start)])
    moved = meeting(plan, FEB)
    assert (moved.start, moved.end) == (new_start, datetime(2027, 2, 19, 15, 0, tzinfo=CPH))
    assert moved.group_meetings_end == new_start
    assert moved.sequence == 1
    assert next_meeting(plan, NOW) == moved


def test_a_new_place_replaces_the_address_unless_one_is_given() -> None:
    plan = apply_changes(PLAN, [MoveMeeting(meeting_id=FEB, made_at=NOW, place="Hjørring Rådhus")])
    assert (meeting(plan, FEB).place, meeting(plan, FEB).address) == ("Hjørring Rådhus", None)
    plan = apply_change(plan, MoveMeeting(meeting_id=FEB, made_at=NOW, address="Springvandspladsen 5"))
    assert (meeting(plan, FEB).place, meeting(plan, FEB).address) == ("Hjørring Rådhus", "Springvandspladsen 5")
    assert meeting(plan, FEB).sequence == 2


def test_r_meet_4_a_cancelled_meeting_stays_in_the_plan_but_is_not_coming() -> None:
    plan = apply_changes(PLAN, [CancelMeeting(meeting_id=FEB, made_at=NOW)])
    cancelled = meeting(plan, FEB)
    assert cancelled.cancelled
    assert cancelled.sequence == 1
    assert FEB not in [m.id for m in upcoming_meetings(plan, NOW)]
    following = next_meeting(plan, NOW)
    assert following is not None
    assert following.start > cancelled.start


def test_an_extra_meeting_gets_a_distinct_stable_id() -> None:
    add = AddMeeting(
        made_at=NOW,
        start=datetime(2027, 3, 5, 10, 0, tzinfo=CPH),
        end=datetime(2027, 3, 5, 11, 0, tzinfo=CPH),
        place="Teams",
    )
    plan = apply_changes(PLAN, [add])
    extra = meeting(plan, "2027-03-05-extra")
    assert extra.extra
    assert extra.sequence == 0
    assert apply_changes(PLAN, [add]) == plan
    # Cancelled, and another added the same day: the new one has an id of its own.
    cancel = CancelMeeting(meeting_id="2027-03-05-extra", made_at=NOW)
    again = apply_changes(PLAN, [add, cancel, add])
    assert [m.id for m in again if m.start.date().isoformat() == "2027-03-05"] == [
        "2027-03-05-extra",
        "2027-03-05-extra-2",
    ]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (MoveMeeting(meeting_id="2027-02-13", made_at=NOW, place="X"), Reason.UNKNOWN_MEETING),
        (CancelMeeting(meeting_id="2026-11-20", made_at=NOW), Reason.MEETING_HELD),
        (MoveMeeting(meeting_id=FEB, made_at=NOW, start=NOW - timedelta(days=1)), Reason.START_IN_PAST),
        (
            MoveMeeting(meeting_id=FEB, made_at=NOW, end=datetime(2027, 2, 12, 9, 0, tzinfo=CPH)),
            Reason.END_NOT_AFTER_START,
        ),
        (MoveMeeting(meeting_id=FEB, made_at=NOW, place="Aalborg"), Reason.NOTHING_CHANGED),
        (
            AddMeeting(
                made_at=NOW,
                start=datetime(2027, 2, 12, 14, 0, tzinfo=CPH),
                end=datetime(2027, 2, 12, 15, 0, tzinfo=CPH),
                place="Aalborg",
            ),
            Reason.DAY_TAKEN,
        ),
    ],
)
def test_a_change_that_does_not_fit_the_plan_is_refused_with_its_reason(
    change: MoveMeeting | CancelMeeting | AddMeeting, reason: Reason
) -> None:
    with pytest.raises(InvalidInput) as refused:
        apply_changes(PLAN, [change])
    assert refused.value.reason is reason


def test_a_cancelled_meeting_cannot_be_cancelled_or_moved_again() -> None:
    plan = apply_changes(PLAN, [CancelMeeting(meeting_id=FEB, made_at=NOW)])
    for change in (CancelMeeting(meeting_id=FEB, made_at=NOW), MoveMeeting(meeting_id=FEB, made_at=NOW, place="X")):
        with pytest.raises(InvalidInput) as refused:
            apply_change(plan, change)
        assert refused.value.reason is Reason.MEETING_CANCELLED


def test_a_change_is_judged_at_the_moment_it_was_made() -> None:
    """Stored changes give the same plan later, after the meeting they moved has been held."""
    change = MoveMeeting(meeting_id=FEB, made_at=NOW, place="Hjørring")
    assert meeting(apply_changes(PLAN, [change]), FEB).place == "Hjørring"
    with pytest.raises(InvalidInput):
        apply_changes(PLAN, [change.model_copy(update={"made_at": datetime(2027, 3, 1, tzinfo=CPH)})])


def test_only_a_changed_meeting_may_have_left_the_day_its_id_names() -> None:
    planned = meeting(tuple(PLAN), FEB)
    elsewhere = {**planned.model_dump(), "start": datetime(2027, 2, 19, 10, 0, tzinfo=CPH)}
    elsewhere["end"] = elsewhere["start"] + timedelta(hours=2)
    elsewhere["group_meetings_start"] = elsewhere["group_meetings_end"] = None
    with pytest.raises(ValidationError):
        Meeting.model_validate(elsewhere)
    assert Meeting.model_validate({**elsewhere, "sequence": 1}).id == FEB
    with pytest.raises(ValidationError):
        Meeting.model_validate({**elsewhere, "id": "2027-02-19-extra", "sequence": 0})


def test_r_meet_2_a_meeting_of_this_council_stays_before_the_next_constituent_meeting() -> None:
    ordinary = MoveMeeting(meeting_id="2029-10-26", made_at=NOW, start=datetime(2030, 1, 28, 10, 0, tzinfo=CPH))
    extra = AddMeeting(
        made_at=NOW,
        start=datetime(2030, 2, 8, 10, 0, tzinfo=CPH),
        end=datetime(2030, 2, 8, 12, 0, tzinfo=CPH),
        place="Aalborg",
    )
    for change in (ordinary, extra):
        plan = apply_change(PLAN, change)
        changed = next(m for m in plan if m.start == change.start)
        with pytest.raises(InvalidInput) as refused:
            check_period(plan, changed, CPH)
        assert refused.value.reason is Reason.AFTER_NEXT_CONSTITUENT
    # Stored changes are never judged again: the plan keeps them (only new changes are checked).
    assert meeting(apply_changes(PLAN, [ordinary]), "2029-10-26").start == ordinary.start


@pytest.mark.parametrize("day", [30, 31])
def test_r_meet_2_the_constituent_meeting_may_move_until_31_january(day: int) -> None:
    plan = apply_change(
        PLAN, MoveMeeting(meeting_id="2030-01-25", made_at=NOW, start=datetime(2030, 1, day, 10, 0, tzinfo=CPH))
    )
    check_period(plan, meeting(plan, "2030-01-25"), CPH)


def test_r_meet_2_the_constituent_meeting_may_not_move_past_31_january() -> None:
    plan = apply_change(
        PLAN, MoveMeeting(meeting_id="2030-01-25", made_at=NOW, start=datetime(2030, 2, 1, 10, 0, tzinfo=CPH))
    )
    with pytest.raises(InvalidInput) as refused:
        check_period(plan, meeting(plan, "2030-01-25"), CPH)
    assert refused.value.reason is Reason.CONSTITUENT_TOO_LATE


@pytest.mark.parametrize(
    ("start", "warnings"),
    [
        (datetime(2027, 2, 19, 10, 0, tzinfo=CPH), []),
        (datetime(2027, 2, 13, 10, 0, tzinfo=CPH), [MeetingWarning.NOT_FRIDAY]),
        (datetime(2027, 3, 26, 10, 0, tzinfo=CPH), [MeetingWarning.CLOSED_DAY]),  # Good Friday
        (datetime(2027, 2, 19, 7, 30, tzinfo=CPH), [MeetingWarning.OUTSIDE_HOURS]),
        (datetime(2027, 2, 19, 18, 0, tzinfo=CPH), []),
        (datetime(2027, 12, 24, 19, 0, tzinfo=CPH), [MeetingWarning.CLOSED_DAY, MeetingWarning.OUTSIDE_HOURS]),
    ],
)
def test_r_meet_1_an_unusual_day_or_hour_is_a_warning(start: datetime, warnings: list[MeetingWarning]) -> None:
    moved = meeting(PLAN, FEB).model_copy(update={"start": start, "end": start + timedelta(hours=2), "sequence": 1})
    assert change_warnings(moved, CPH) == warnings
