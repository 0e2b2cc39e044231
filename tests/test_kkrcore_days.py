"""Hverdage and municipal election dates (R-DAY-1, R-DAY-2, R-ELEC-4)."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kkrcore.days import (
    add_workdays,
    is_workday,
    municipal_election_date,
    next_municipal_election,
    workdays_before,
)
from kkrcore.reasons import InvalidInput, Reason


def test_r_elec_4_three_hverdage_before_friday_23_january_2026_is_tuesday_20_january() -> None:
    assert workdays_before(date(2026, 1, 23), 3) == date(2026, 1, 20)


def test_r_day_1_weekends_are_not_hverdage() -> None:
    assert not is_workday(date(2026, 1, 24))
    assert not is_workday(date(2026, 1, 25))
    assert workdays_before(date(2026, 1, 26), 1) == date(2026, 1, 23)


@pytest.mark.parametrize("day", [date(2026, 4, 2), date(2026, 4, 3), date(2026, 4, 6)])
def test_r_day_1_easter_is_skipped(day: date) -> None:
    assert not is_workday(day)


def test_r_day_1_a_deadline_across_easter_skips_maundy_thursday_to_easter_monday() -> None:
    assert add_workdays(date(2026, 4, 1), 1) == date(2026, 4, 7)
    assert workdays_before(date(2026, 4, 7), 1) == date(2026, 4, 1)


@pytest.mark.parametrize("day", [date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 31), date(2027, 1, 1)])
def test_r_day_1_christmas_eve_christmas_and_new_years_eve_are_skipped(day: date) -> None:
    assert not is_workday(day)


def test_r_day_1_a_deadline_across_christmas_and_new_year() -> None:
    assert add_workdays(date(2026, 12, 23), 1) == date(2026, 12, 28)
    assert add_workdays(date(2026, 12, 30), 1) == date(2027, 1, 4)


def test_r_day_1_constitution_day_5_june_is_skipped() -> None:
    assert not is_workday(date(2026, 6, 5))  # a Friday
    assert add_workdays(date(2026, 6, 4), 1) == date(2026, 6, 8)


def test_r_day_1_store_bededag_is_a_holiday_until_2023_and_a_hverdag_from_2024() -> None:
    assert not is_workday(date(2023, 5, 5))
    assert is_workday(date(2024, 4, 26))
    assert is_workday(date(2026, 5, 1))  # 4th Friday after Easter 2026, also 1 May: neither closes


def test_r_day_1_zero_workdays_before_a_day_is_the_day_and_negative_counts_are_refused() -> None:
    assert workdays_before(date(2026, 1, 23), 0) == date(2026, 1, 23)
    with pytest.raises(InvalidInput) as caught:
        workdays_before(date(2026, 1, 23), -1)
    assert caught.value.reason is Reason.INVALID_COUNT


@settings(max_examples=60, deadline=None)
@given(st.dates(date(2024, 1, 1), date(2032, 12, 31)), st.integers(0, 30))
def test_r_day_1_workdays_before_counts_exactly_n_hverdage(day: date, n: int) -> None:
    deadline = workdays_before(day, n)
    between = [deadline + timedelta(days=i) for i in range((day - deadline).days)]
    assert sum(is_workday(d) for d in between) == n
    assert n == 0 or is_workday(deadline)
    assert add_workdays(deadline, n) == day or not is_workday(day)


def test_r_day_2_municipal_elections_are_on_the_third_tuesday_of_november() -> None:
    assert municipal_election_date(2025) == date(2025, 11, 18)
    assert municipal_election_date(2029) == date(2029, 11, 20)
    assert municipal_election_date(2021) == date(2021, 11, 16)


@pytest.mark.parametrize("year", [2026, 2027, 2028, 2030])
def test_r_day_2_there_are_no_municipal_elections_between_the_four_yearly_ones(year: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        municipal_election_date(year)
    assert caught.value.reason is Reason.NOT_ELECTION_YEAR


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (date(2025, 11, 17), date(2025, 11, 18)),
        (date(2025, 11, 18), date(2029, 11, 20)),
        (date(2027, 6, 1), date(2029, 11, 20)),
        (date(2029, 12, 1), date(2033, 11, 15)),
    ],
)
def test_r_day_2_next_municipal_election(after: date, expected: date) -> None:
    assert next_municipal_election(after) == expected


def test_r_day_1_counting_past_the_calendar_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        workdays_before(date(1, 1, 3), 5)
    assert caught.value.reason is Reason.DATE_OUT_OF_RANGE
