"""The meeting plan and quorum (R-MEET-1, R-MEET-2, R-MEET-4)."""

from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from kkrcore.dataset import load_dataset
from kkrcore.meetings import (
    constituent_meeting_deadline,
    next_meeting,
    quorum,
    quorum_forecast,
    quorum_of_record,
    upcoming_meetings,
)
from kkrcore.models import MeetingKind
from kkrcore.reasons import InvalidInput, Reason

CPH = ZoneInfo("Europe/Copenhagen")
MEETINGS = load_dataset().meetings
MEMBERS = [f"m{i}" for i in range(22)]


def test_r_meet_1_next_meeting_after_23_november_2026_is_12_february_2027_in_aalborg() -> None:
    meeting = next_meeting(MEETINGS, datetime(2026, 11, 23, 9, 0, tzinfo=CPH))
    assert meeting is not None
    assert meeting.start == datetime(2027, 2, 12, 10, 0, tzinfo=CPH)
    assert meeting.end == datetime(2027, 2, 12, 12, 0, tzinfo=CPH)
    assert meeting.place == "Aalborg"
    assert meeting.start.isoformat() == "2027-02-12T10:00:00+01:00"


def test_r_meet_1_a_meeting_that_has_started_is_no_longer_upcoming() -> None:
    start = datetime(2026, 3, 27, 10, 0, tzinfo=CPH)
    just_before = next_meeting(MEETINGS, start - timedelta(minutes=1))
    at_start = next_meeting(MEETINGS, start)
    assert just_before is not None
    assert at_start is not None
    assert (just_before.id, at_start.id) == ("2026-03-27", "2026-06-19")


def test_r_meet_1_upcoming_meetings_are_in_order_and_end_with_the_constituent_meeting_of_2030() -> None:
    upcoming = upcoming_meetings(reversed(MEETINGS), datetime(2029, 1, 1, tzinfo=CPH))
    assert [m.id for m in upcoming] == [
        "2029-02-09", "2029-04-20", "2029-06-22", "2029-09-07", "2029-10-26", "2030-01-25",
    ]  # fmt: skip
    assert upcoming[-1].kind is MeetingKind.CONSTITUENT
    assert next_meeting(MEETINGS, datetime(2030, 1, 26, tzinfo=CPH)) is None


def test_r_meet_1_the_time_must_say_its_offset() -> None:
    with pytest.raises(InvalidInput) as caught:
        next_meeting(MEETINGS, datetime(2026, 11, 23, 9, 0))
    assert caught.value.reason is Reason.NAIVE_DATETIME


def test_r_meet_1_an_instant_in_another_zone_compares_as_the_same_instant() -> None:
    utc = datetime(2027, 2, 12, 8, 59, tzinfo=ZoneInfo("UTC"))  # 09:59 in Copenhagen
    meeting = next_meeting(MEETINGS, utc)
    assert meeting is not None
    assert meeting.id == "2027-02-12"


def test_r_meet_1_a_meeting_has_started_at_its_start_told_in_utc_in_winter_and_in_summer() -> None:
    for start in (datetime(2027, 2, 12, 10, 0, tzinfo=CPH), datetime(2026, 6, 19, 10, 0, tzinfo=CPH)):
        utc = start.astimezone(ZoneInfo("UTC"))  # 09:00 in winter, 08:00 in summer
        just_before, at_start = next_meeting(MEETINGS, utc - timedelta(minutes=1)), next_meeting(MEETINGS, utc)
        assert just_before is not None
        assert at_start is not None
        assert (just_before.start, at_start.start > start) == (start, True)


def test_r_meet_1_five_meetings_a_year_on_fridays_ordinary_ones_10_to_12_in_aalborg() -> None:
    per_year = Counter(m.start.year for m in MEETINGS)
    assert [per_year[y] for y in (2026, 2027, 2028, 2029, 2030)] == [5, 5, 5, 5, 1]
    assert all(m.start.weekday() == 4 for m in MEETINGS)
    for m in MEETINGS:
        if m.kind is MeetingKind.ORDINARY:
            assert (m.start.time(), m.end.time(), m.place) == (time(10), time(12), "Aalborg")
            assert (m.group_meetings_start, m.group_meetings_end) == (
                m.start.replace(hour=8, minute=30),
                m.start,
            )


def test_r_meet_1_the_constituent_meeting_starts_10_30_at_scandic_with_group_meetings_from_8_30() -> None:
    first = MEETINGS[0]
    assert first.kind is MeetingKind.CONSTITUENT
    assert first.start == datetime(2026, 1, 23, 10, 30, tzinfo=CPH)
    assert (first.place, first.address) == ("Hotel Scandic Aalborg Øst", "Hadsundvej 200, Aalborg Øst")
    assert first.group_meetings_start == datetime(2026, 1, 23, 8, 30, tzinfo=CPH)
    assert first.group_meetings_end == first.start


def test_r_meet_2_the_constituent_meeting_is_held_by_31_january_after_the_election() -> None:
    deadline = constituent_meeting_deadline(date(2025, 11, 18))
    assert deadline == date(2026, 1, 31)
    constituent = [m for m in MEETINGS if m.kind is MeetingKind.CONSTITUENT]
    assert constituent[0].start.date() <= deadline
    assert constituent[1].start.date() <= constituent_meeting_deadline(date(2029, 11, 20))


def test_r_meet_4_quorum_is_11_of_22() -> None:
    assert quorum(22, 11).model_dump() == {
        "members": 22, "present": 11, "required": 11, "quorate": True, "reason": Reason.QUORATE,
    }  # fmt: skip
    below = quorum(22, 10)
    assert (below.quorate, below.reason) == (False, Reason.NOT_QUORATE)


def test_r_meet_4_at_least_half_rounds_up_for_an_odd_number_of_members() -> None:
    assert quorum(21, 11).required == 11
    assert not quorum(21, 10).quorate


@pytest.mark.parametrize(
    ("members", "present", "reason"),
    [(22, 23, Reason.PRESENT_EXCEEDS_MEMBERS), (22, -1, Reason.INVALID_COUNT), (0, 0, Reason.INVALID_COUNT)],
)
def test_r_meet_4_impossible_counts_are_refused(members: int, present: int, reason: Reason) -> None:
    with pytest.raises(InvalidInput) as caught:
        quorum(members, present)
    assert caught.value.reason is reason


def test_r_meet_4_a_substitute_who_attends_counts_as_present() -> None:
    absent = MEMBERS[:12]
    assert not quorum_forecast(22, MEMBERS, absent, []).quorate
    forecast = quorum_forecast(22, MEMBERS, absent, absent[:1])
    assert (forecast.present, forecast.quorate) == (11, True)


def test_r_meet_4_forecast_refuses_unknown_members_and_substitutes_for_members_who_attend() -> None:
    with pytest.raises(InvalidInput) as caught:
        quorum_forecast(22, MEMBERS, ["stranger"], [])
    assert caught.value.reason is Reason.UNKNOWN_MEMBER
    with pytest.raises(InvalidInput) as caught:
        quorum_forecast(22, MEMBERS, ["m1"], ["m2"])
    assert caught.value.reason is Reason.SUBSTITUTE_FOR_PRESENT_MEMBER
    with pytest.raises(InvalidInput) as caught:
        quorum_forecast(21, MEMBERS, [], [])
    assert caught.value.reason is Reason.MORE_MEMBERS_THAN_SEATS


def test_r_meet_4_r_mem_7_vacant_seats_count_among_the_seats_and_nobody_is_present_in_them() -> None:
    """Two elected members left: 20 members in 22 seats, and the quorum is still 11 of 22."""
    forecast = quorum_forecast(22, MEMBERS[:20], MEMBERS[:9], [])
    assert (forecast.present, forecast.members, forecast.required, forecast.quorate) == (11, 22, 11, True)
    assert not quorum_forecast(22, MEMBERS[:20], MEMBERS[:10], []).quorate


def test_r_meet_4_the_quorum_of_record_counts_each_person_once_against_the_seats() -> None:
    recorded = quorum_of_record(22, {"a-medlem-1": "a-stedfortraeder-1", "a-medlem-2": "a-medlem-2"})
    assert (recorded.members, recorded.present, recorded.required, recorded.quorate) == (22, 2, 11, False)
    with pytest.raises(InvalidInput) as refused:
        quorum_of_record(22, {"a-medlem-1": "a-stedfortraeder-1", "a-medlem-2": "a-stedfortraeder-1"})
    assert refused.value.reason is Reason.DUPLICATE_PERSON
    # Two seats vacant (R-MEM-7): still 11 of 22.
    assert quorum_of_record(22, {f"m{i}": f"m{i}" for i in range(11)}).quorate
