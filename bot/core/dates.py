"""The one date parser: every command that takes a date reads it here, the way people write dates.

It reads ISO (`2027-02-12`), numbers (`12.02.2027`, `12/2-2027`, `12.02.27`, `12/2`, `12.2`, `12.02`), and
month names or abbreviations in Danish and English (`12. februar`, `12 feb`, `12. feb. 2027`, `February 12`),
with or without a leading weekday ("fredag den 12. februar 2027", as the bot itself writes dates). Two-digit
years are this century. Day and month alone mean the next such date that has a meeting (or, when no meeting
has that date, the next such date at all), because that is the meeting a council member means. It knows no
meetings itself: callers pass the meeting days, so it stays a pure function.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from datetime import date

_MONTHS: dict[str, int] = {
    "januar": 1,
    "january": 1,
    "februar": 2,
    "february": 2,
    "marts": 3,
    "march": 3,
    "april": 4,
    "maj": 5,
    "may": 5,
    "juni": 6,
    "june": 6,
    "juli": 7,
    "july": 7,
    "august": 8,
    "september": 9,
    "oktober": 10,
    "october": 10,
    "november": 11,
    "december": 12,
}
_WEEKDAYS = [
    "mandag",
    "tirsdag",
    "onsdag",
    "torsdag",
    "fredag",
    "lørdag",
    "søndag",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "man",
    "tir",
    "ons",
    "tor",
    "fre",
    "lør",
    "søn",
    "mon",
    "tue",
    "tues",
    "wed",
    "thu",
    "thur",
    "thurs",
    "fri",
    "sat",
    "sun",
]

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_NUMERIC = re.compile(r"(\d{1,2})[./-](\d{1,2})(?:[./-](\d{4}|\d{2}))?\.?")
_DAY_MONTH = re.compile(r"(\d{1,2})(?:\.|st|nd|rd|th)?\s*(?:of\s+)?([a-zæøå]{3,})\.?(?:,?\s*(\d{4}|\d{2}))?")
_MONTH_DAY = re.compile(r"([a-zæøå]{3,})\.?\s*(\d{1,2})(?:st|nd|rd|th)?(?:,?\s*(\d{4}|\d{2}))?")
_WEEKDAY = re.compile(r"(?:" + "|".join(_WEEKDAYS) + r")\.?,?\s+(?:den\s+|the\s+)?")

# The most words a date takes: "fredag den 12. februar 2027".
MAX_WORDS = 5


def month_number(word: str) -> int | None:
    """'feb', 'februar', 'February', 'okt', 'sept': a month's name or any beginning of it of 3 letters or more."""
    word = word.lower().rstrip(".")
    if len(word) < 3:
        return None
    found = {number for name, number in _MONTHS.items() if name.startswith(word)}
    return found.pop() if len(found) == 1 else None


def is_weekday_name(word: str) -> bool:
    """'fredag', 'fre.', 'Friday': a weekday's name or its usual abbreviation, in Danish or English."""
    return word.lower().rstrip(".,") in _WEEKDAYS


def _year(text: str | None) -> int | None:
    if text is None:
        return None
    return 2000 + int(text) if len(text) == 2 else int(text)


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _without_year(month: int, day: int, today: date, meeting_days: Collection[date]) -> date | None:
    """The next such date with a meeting; else the last one held on that date; else the next such date at all."""
    matching = sorted(d for d in meeting_days if (d.month, d.day) == (month, day))
    coming = [d for d in matching if d >= today]
    if coming:
        return coming[0]
    if matching:
        return matching[-1]
    # 29 February has no date in most years: look ahead to the next leap year.
    for year in range(today.year, today.year + 5):
        candidate = _day(year, month, day)
        if candidate is not None and candidate >= today:
            return candidate
    return None


def parse_date(text: str, today: date, meeting_days: Collection[date] = ()) -> date | None:
    """The date `text` names in full, or None if it is not a date (including impossible ones like 31.02)."""
    text = " ".join(text.lower().split())
    text = _WEEKDAY.sub("", text, count=1) if _WEEKDAY.match(text) else text
    if match := _ISO.fullmatch(text):
        return _day(int(match[1]), int(match[2]), int(match[3]))
    day = month = None
    year: int | None = None
    if match := _NUMERIC.fullmatch(text):
        day, month, year = int(match[1]), int(match[2]), _year(match[3])
    elif (match := _DAY_MONTH.fullmatch(text)) and month_number(match[2]):
        day, month, year = int(match[1]), month_number(match[2]), _year(match[3])
    elif (match := _MONTH_DAY.fullmatch(text)) and month_number(match[1]):
        day, month, year = int(match[2]), month_number(match[1]), _year(match[3])
    if day is None or month is None:
        return None
    if year is not None:
        return _day(year, month, day)
    if _day(2028, month, day) is None:  # no such day in any year (2028 is a leap year)
        return None
    return _without_year(month, day, today, meeting_days)


def looks_like_date(text: str) -> bool:
    """Whether `text` has a date's shape (numbers with separators, or a day and a month's name), even when no
    such day exists (31/2): where a date is optional, a date-shaped word that cannot be read is answered with
    the parser's refusal instead of being taken for something else."""
    text = " ".join(text.lower().split())
    text = _WEEKDAY.sub("", text, count=1) if _WEEKDAY.match(text) else text
    if _ISO.fullmatch(text) or _NUMERIC.fullmatch(text):
        return True
    if (match := _DAY_MONTH.fullmatch(text)) and month_number(match[2]):
        return True
    return bool((match := _MONTH_DAY.fullmatch(text)) and month_number(match[1]))


def read_date(words: Sequence[str], today: date, meeting_days: Collection[date] = ()) -> tuple[date | None, int]:
    """The date at the start of `words` and how many words it took (the longest reading wins), or (None, 0).

    For commands that take a date and then more text, such as an agenda."""
    for count in range(min(MAX_WORDS, len(words)), 0, -1):
        day = parse_date(" ".join(words[:count]), today, meeting_days)
        if day is not None:
            return day, count
    return None, 0


def impossible_date(text: str) -> tuple[int, int, int | None] | None:
    """(day, month, year) when `text` is written as a date that does not exist ("31.02.2027", "31. februar",
    "13.13"), so the answer can say what is wrong instead of that it cannot read it (issue 23)."""
    text = " ".join(text.lower().split())
    text = _WEEKDAY.sub("", text, count=1) if _WEEKDAY.match(text) else text
    found: tuple[int, int | None, int | None] | None = None
    if match := _ISO.fullmatch(text):
        found = int(match[3]), int(match[2]), int(match[1])
    elif match := _NUMERIC.fullmatch(text):
        found = int(match[1]), int(match[2]), _year(match[3])
    elif (match := _DAY_MONTH.fullmatch(text)) and month_number(match[2]):
        found = int(match[1]), month_number(match[2]), _year(match[3])
    elif (match := _MONTH_DAY.fullmatch(text)) and month_number(match[1]):
        found = int(match[2]), month_number(match[1]), _year(match[3])
    if found is None:
        return None
    day, month, year = found
    if month is None:
        return None
    if month < 1 or month > 12 or day < 1:
        return day, month, year
    return (day, month, year) if _day(year or 2028, month, day) is None else None
