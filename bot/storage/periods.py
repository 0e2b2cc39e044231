"""Council periods in the database (R-PER-1): the next period as loaded, and the periods the bot has crossed into.

A period runs from one constituent meeting to the next. The bot starts with one period's data file (the bundled
2026-2030 one, or `KKRBOT_DATA_FILE`) and the roster imported for it; `kkrbot period load` stores the next period's
data file and roster here, one row per period. The current period is the one whose constituent meeting started
last: it is picked from the clock (`current_row`), never from a switch someone must remember to throw.

What belongs to a period, and how:
- its data file (votes, municipalities, mayors, the plan of meetings) and its roster: explicitly, a row here (the
  period the bot started with: the data file it is given and `persons`);
- people: `persons` holds the roster of the current period; the next period's roster is in its row here, and its
  people who are not in the roster are in `persons` too, marked with the period (`joins_period`), so they can be
  invited and act for the new council; the crossing (`record_crossing`) makes the next roster `persons`' roster;
  who does not continue is archived there (their `archived_at`), so their absences and minutes lines stay;
- meetings: through their date: a meeting belongs to the period of the last constituent meeting at or before it
  (`bot.core.usecases.period`); absences, agendas, attendance records, reminders and meeting changes through
  their meeting's id;
- valgforbund, chair elections and chair records: through their constituent meeting's id;
- forum rows (fora, rounds, lists, appointments) and departures: through the time they were recorded, which falls
  in one period.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.storage.db import first_row, from_utc_text, rows, utc_text
from bot.storage.roster import Person, stage_people
from kkrcore.models import Dataset, Meeting
from kkrcore.periods import current_period
from kkrcore.periods import opening_meeting as kkrcore_opening


class PeriodError(ValueError):
    """A period that cannot be stored; one line for the secretariat."""


@dataclass(frozen=True)
class StoredPeriod:
    """One period's row: its data file and roster, its constituent meeting, and when the bot crossed into it."""

    name: str
    dataset: Dataset
    people: tuple[Person, ...]
    constituent: Meeting
    loaded_at: datetime
    crossed_at: datetime | None

    def current_at(self, now: datetime) -> bool:
        """R-PER-1: the period has begun once its constituent meeting has started."""
        return self.constituent.start <= now


def opening_meeting(dataset: Dataset) -> Meeting:
    """The constituent meeting that opens a period's plan (kkrcore.periods), which a stored period must have."""
    opening = kkrcore_opening(dataset)
    if opening is None:
        raise PeriodError(f"{dataset.period}: the plan has no constituent meeting to open the period")
    return opening


def opened_ids(first: Dataset, periods: Sequence[StoredPeriod]) -> frozenset[str]:
    """The ids of the constituent meetings whose period's data the bot holds and acts on: the first period's (the
    data file the bot was started with) and every loaded period's (a next one's too: its council acts for its
    constituent meeting)."""
    opening = kkrcore_opening(first)
    return frozenset([*([opening.id] if opening else []), *(p.constituent.id for p in periods)])


async def stored_periods(conn: aiosqlite.Connection) -> tuple[StoredPeriod, ...]:
    """Every stored period, the earliest constituent meeting first."""
    found = await rows(
        conn, "SELECT name, dataset, roster, loaded_at, crossed_at FROM periods ORDER BY constituent_start"
    )
    periods = []
    for row in found:
        dataset = Dataset.model_validate_json(row["dataset"])
        periods.append(
            StoredPeriod(
                name=row["name"],
                dataset=dataset,
                people=tuple(Person.model_validate(p) for p in json.loads(row["roster"])),
                constituent=opening_meeting(dataset),
                loaded_at=from_utc_text(row["loaded_at"]),
                crossed_at=from_utc_text(row["crossed_at"]) if row["crossed_at"] else None,
            )
        )
    return tuple(periods)


def current_row(periods: Sequence[StoredPeriod], now: datetime) -> StoredPeriod | None:
    """R-PER-1: the stored period whose constituent meeting started last, or None while the first one given to
    the bot is current."""
    name = current_period({p.name: p.constituent.start for p in periods}, now)
    return next((p for p in periods if p.name == name), None)


def next_row(periods: Sequence[StoredPeriod], now: datetime) -> StoredPeriod | None:
    """The loaded period whose constituent meeting is still to start."""
    coming = [p for p in periods if not p.current_at(now)]
    return min(coming, key=lambda p: p.constituent.start) if coming else None


async def store_next_period(
    conn: aiosqlite.Connection, dataset: Dataset, people: Sequence[Person], now: datetime
) -> bool:
    """Stores the next period's data file and roster; a period loaded before replaces its row (the secretariat
    corrects a file before the crossing). Returns whether it replaced one. A period that has begun is refused:
    its roster is `persons` now, changed with `roster import`."""
    opening = opening_meeting(dataset)
    if opening.start <= now:
        raise PeriodError(
            f"{dataset.period}: its constituent meeting ({opening.start.date().isoformat()}) has started; "
            "change its roster with kkrbot roster import"
        )
    replaced = await first_row(conn, "SELECT 1 FROM periods WHERE name = ?", (dataset.period,))
    await conn.execute("DELETE FROM periods WHERE crossed_at IS NULL AND constituent_start > ?", (utc_text(now),))
    await conn.execute(
        "INSERT INTO periods (name, dataset, roster, constituent_id, constituent_start, loaded_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            dataset.period,
            dataset.model_dump_json(),
            json.dumps([p.model_dump(mode="json") for p in people], ensure_ascii=False),
            opening.id,
            utc_text(opening.start),
            utc_text(now),
        ),
    )
    await stage_people(conn, people, dataset.period, now)
    return replaced is not None


async def record_crossing(conn: aiosqlite.Connection, name: str, now: datetime) -> bool:
    """Marks the crossing into `name` done; False when it was done already (by another tick or process), so the
    crossing happens exactly once."""
    cursor = await conn.execute(
        "UPDATE periods SET crossed_at = ? WHERE name = ? AND crossed_at IS NULL", (utc_text(now), name)
    )
    return cursor.rowcount == 1
