"""Danish working days (hverdage) and municipal election dates, for deadlines like R-ELEC-4.

The `holidays` package (country DK, category "public") knows the statutory holidays and, from 2024, no
longer Store Bededag. It files 5 June, 24 December and 31 December under "optional", together with 1 May,
which Danish deadline practice does not treat as closed; so we take "public" and add those three days
ourselves (R-DAY-1).
"""

from datetime import date, timedelta
from functools import cache

from kkrcore.reasons import InvalidInput, Reason

CLOSED_BY_PRACTICE = ((6, 5), (12, 24), (12, 31))
"""(month, day) of the days that are not hverdage by deadline practice though not public holidays."""

ELECTION_CYCLE_YEARS = 4
ELECTION_YEAR_REMAINDER = 2025 % ELECTION_CYCLE_YEARS


@cache
def closed_days(year: int) -> frozenset[date]:
    """The dates of `year` that are never hverdage, whatever the weekday (holidays and practice days)."""
    # Imported at the first deadline or new meeting day, not at start: with python-dateutil, which only it imports,
    # it is some 3 MiB of a running bot that answers its members without it (bench.bench_memory; issue 25).
    import holidays

    public = holidays.country_holidays("DK", years=year)
    return frozenset(public.keys()) | {date(year, month, day) for month, day in CLOSED_BY_PRACTICE}


def is_workday(day: date) -> bool:
    return day.weekday() < 5 and day not in closed_days(day.year)


def add_workdays(day: date, n: int) -> date:
    """The n-th hverdag after `day` (before it for negative n); `day` itself is never counted."""
    step = timedelta(days=1 if n > 0 else -1)
    remaining = abs(n)
    while remaining:
        try:
            day += step
        except OverflowError:
            raise InvalidInput(Reason.DATE_OUT_OF_RANGE, f"{n} hverdage from {day}") from None
        if is_workday(day):
            remaining -= 1
    return day


def workdays_before(day: date, n: int) -> date:
    """The n-th hverdag before `day`: "senest tre hverdage før" the 23rd (a Friday) is Tuesday the 20th."""
    if n < 0:
        raise InvalidInput(Reason.INVALID_COUNT, f"workdays={n}")
    return add_workdays(day, -n)


def municipal_election_date(year: int) -> date:
    """R-DAY-2: the third Tuesday of November, every fourth year counted from 2025."""
    if year % ELECTION_CYCLE_YEARS != ELECTION_YEAR_REMAINDER:
        raise InvalidInput(Reason.NOT_ELECTION_YEAR, str(year))
    first = date(year, 11, 1)
    first_tuesday = first + timedelta(days=(1 - first.weekday()) % 7)
    return first_tuesday + timedelta(weeks=2)


def next_municipal_election(after: date) -> date:
    """The first municipal election day strictly after `after`."""
    year = after.year + (ELECTION_YEAR_REMAINDER - after.year) % ELECTION_CYCLE_YEARS
    election = municipal_election_date(year)
    return election if election > after else municipal_election_date(year + ELECTION_CYCLE_YEARS)
