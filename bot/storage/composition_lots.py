"""The lots the secretariat recorded for ties in the council's composition (R-COMP-6), and the composition they
settle.

kkrcore never settles a tie silently: without a draw it raises `TieUnresolved`. The lot is drawn by people, at
a meeting or in KL; the bot only records who won each tie, in the order the ties occur, and every answer that
needs the seats (the composition, the quorum, a roster import) computes them with those lots.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from bot.storage.db import rows, utc_text
from kkrcore.composition import Composition, CompositionInput, compute_composition
from kkrcore.draw import RecordedDraw, TieUnresolved
from kkrcore.models import Dataset

LOT_JOINER = ","

_computed: dict[tuple[int, tuple[tuple[str, ...], ...]], tuple[Dataset, Composition]] = {}


async def composition_lots(conn: aiosqlite.Connection, dataset: Dataset) -> tuple[tuple[str, ...], ...]:
    """The lots recorded for `dataset`'s composition, oldest first; each names the winners of one tie. A lot
    belongs to one period's composition (migration 23): those recorded before periods were stored (no period)
    are the lots of the period the bot was started with, which is not a loaded one."""
    found = await rows(
        conn,
        "SELECT winners FROM composition_lots WHERE period = ? "
        "OR (period IS NULL AND NOT EXISTS (SELECT 1 FROM periods WHERE name = ?)) ORDER BY id",
        (dataset.period, dataset.period),
    )
    return tuple(tuple(str(row[0]).split(LOT_JOINER)) for row in found)


async def record_composition_lot(
    conn: aiosqlite.Connection, dataset: Dataset, winners: Sequence[str], person_id: str | None, now: datetime
) -> None:
    await conn.execute(
        "INSERT INTO composition_lots (winners, recorded_by, recorded_at, period) VALUES (?, ?, ?, ?)",
        (LOT_JOINER.join(winners), person_id, utc_text(now), dataset.period),
    )


async def replace_composition_lots(
    conn: aiosqlite.Connection, dataset: Dataset, lots: Sequence[Sequence[str]], now: datetime
) -> None:
    """A loaded next period's lots, given at its load (`kkrbot period load --lot`): a reload replaces them."""
    await conn.execute("DELETE FROM composition_lots WHERE period = ?", (dataset.period,))
    for winners in lots:
        await record_composition_lot(conn, dataset, winners, None, now)


def composition_with_lots(dataset: Dataset, lots: tuple[tuple[str, ...], ...]) -> Composition:
    """The composition of `dataset` with the recorded lots; raises kkrcore's `TieUnresolved` while a tie still
    needs one (and `InvalidInput` when a lot does not fit its tie). Kept per data set and lots: the quorum asks
    for it with every absence, and it never changes while they do not."""
    key = (id(dataset), lots)
    cached = _computed.get(key)
    # The data set is kept beside its composition: an id can be reused once its object is gone.
    if cached is None or cached[0] is not dataset:
        draw = RecordedDraw(lots) if lots else None
        cached = _computed[key] = (dataset, compute_composition(CompositionInput.from_dataset(dataset), draw=draw))
    return cached[1]


async def council_composition(conn: aiosqlite.Connection, dataset: Dataset) -> Composition:
    """The council's composition with the lots recorded so far (raises `TieUnresolved` while one is missing)."""
    return composition_with_lots(dataset, await composition_lots(conn, dataset))


async def council_seats(conn: aiosqlite.Connection, dataset: Dataset, members: int) -> int:
    """The seats the quorum is counted against (R-MEET-4): the composition's, vacant ones included (R-MEM-7).

    While a tie in the composition waits for its lot the seats are not known, and the members in the roster
    stand in for them (the secretariat is asked for the lot by /sammensaetning). A roster with more members
    than seats (imported before the seat checks) counts them all rather than fail a quorum.
    """
    try:
        size = (await council_composition(conn, dataset)).size
    except TieUnresolved:
        return members
    return max(size, members)
