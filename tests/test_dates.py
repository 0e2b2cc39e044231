"""The one date parser reads dates the way council members write them (issue #10, item 2)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.dates import month_number, parse_date, read_date
from kkrcore.dataset import load_dataset

TODAY = date(2026, 11, 23)  # the tests' reference day: the next meeting is 12 February 2027
MEETING_DAYS = [m.start.date() for m in load_dataset().meetings]


@pytest.mark.parametrize(
    "written",
    [
        "12/2",
        "12.2",
        "12.02",
        "12.2.",
        "12. februar",
        "12 feb",
        "12. feb.",
        "12 February",
        "February 12",
        "feb 12th",
        "12.02.27",
        "12/2-2027",
        "12.02.2027",
        "12/2/2027",
        "2027-02-12",
        "12. februar 2027",
        "12 Feb 2027",
        "fredag den 12. februar 2027",
        "Friday 12 February 2027",
        "12-2-27",
    ],
)
def test_the_ways_people_write_12_february_2027(written: str) -> None:
    assert parse_date(written, TODAY, MEETING_DAYS) == date(2027, 2, 12)


def test_day_and_month_alone_mean_the_next_such_date_that_has_a_meeting() -> None:
    # 20 November 2026 was a meeting three days ago; 23 April has one in 2027; 24 November only in 2028.
    assert parse_date("23.4", TODAY, MEETING_DAYS) == date(2027, 4, 23)
    assert parse_date("24/11", TODAY, MEETING_DAYS) == date(2028, 11, 24)
    assert parse_date("20.11", TODAY, MEETING_DAYS) == date(2026, 11, 20)  # only the one just held has it


def test_day_and_month_alone_without_meetings_mean_the_next_such_date() -> None:
    assert parse_date("13.2", TODAY) == date(2027, 2, 13)
    assert parse_date("24.12", TODAY) == date(2026, 12, 24)
    assert parse_date("29.2", TODAY) == date(2028, 2, 29)


@pytest.mark.parametrize("month", ["jan", "januar", "January", "mar", "marts", "maj", "may", "okt", "oct", "sept"])
def test_month_names_and_abbreviations_in_danish_and_english(month: str) -> None:
    assert month_number(month) is not None


@pytest.mark.parametrize("text", ["xyz", "31.02.2027", "31/2-2027", "32.1", "12", "ju 12", "2027-13-01", "", "12.13"])
def test_what_is_not_a_date_is_none(text: str) -> None:
    assert parse_date(text, TODAY, MEETING_DAYS) is None


def test_a_date_at_the_start_of_longer_text_and_the_words_it_took() -> None:
    assert read_date(["12.", "feb", "1.", "Velkomst"], TODAY, MEETING_DAYS) == (date(2027, 2, 12), 2)
    assert read_date(["12.02.2027", "Ingen"], TODAY, MEETING_DAYS) == (date(2027, 2, 12), 1)
    assert read_date(["Ingen", "12.02"], TODAY, MEETING_DAYS) == (None, 0)
