"""Drawing lots, and the bookkeeping that keeps ties from ever being settled silently (R-COMP-6).

Every calculator ranks candidates by an exact value and awards a number of places. When the last places
go to a value shared by more candidates than places, only a lot can decide, and the lot must be visible:
the calculator reports a `TieReport` and asks an injected `Draw`. Without a draw it raises `TieUnresolved`,
so the caller (the bot, the secretariat) decides how the lot is drawn.
"""

import random
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Protocol

from kkrcore.models import Frozen
from kkrcore.reasons import InvalidInput, Reason


class Draw(Protocol):
    def choose(self, tied: Sequence[str], k: int, context: str) -> list[str]:
        """Return k distinct names out of `tied`; `context` says which tie is being drawn."""
        ...


class SeededDraw:
    """A reproducible lot: the same seed and tied names always give the same winners.

    The names are sorted before sampling so that the order in which a caller happened to list the
    parties can never change who wins.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def choose(self, tied: Sequence[str], k: int, context: str) -> list[str]:
        return random.Random(self.seed).sample(sorted(tied), k)

    def __repr__(self) -> str:
        return f"SeededDraw({self.seed})"


def _is_lot(winners: Sequence[str], tied: Sequence[str], k: int) -> bool:
    """Whether `winners` could be the outcome of drawing k of `tied`."""
    return len(winners) == k and len(set(winners)) == k and set(winners) <= set(tied)


class RecordedDraw:
    """Replays lots drawn elsewhere (by hand at the meeting, or an earlier run), in the order they occur.

    One instance serves one calculation: each tie consumes the next recorded lot, which must name exactly
    `k` of the tied names, otherwise the record does not belong to this calculation and we refuse it.
    """

    def __init__(self, lots: Iterable[Sequence[str]]) -> None:
        self._lots = [tuple(lot) for lot in lots]
        self._used = 0

    @classmethod
    def from_reports(cls, reports: Iterable["TieReport"]) -> "RecordedDraw":
        return cls(report.winners for report in reports)

    @property
    def remaining(self) -> int:
        return len(self._lots) - self._used

    def choose(self, tied: Sequence[str], k: int, context: str) -> list[str]:
        if self._used >= len(self._lots):
            raise InvalidInput(Reason.RECORDED_LOTS_EXHAUSTED, context)
        lot = self._lots[self._used]
        if not _is_lot(lot, tied, k):
            raise InvalidInput(Reason.RECORDED_LOT_MISMATCH, f"{context}: {list(lot)} for {k} of {sorted(tied)}")
        self._used += 1
        return list(lot)


class TieReport(Frozen):
    """A tie that decided places: who was tied at which value, for how many places, and how it was settled."""

    context: str
    tied: tuple[str, ...]
    value: Fraction
    seats: int
    winners: tuple[str, ...] = ()
    decided_by: Reason | None = None
    seed: int | None = None


class TieUnresolved(Exception):
    """A deciding tie occurred and no draw was given: the caller must arrange the lot."""

    def __init__(self, report: TieReport) -> None:
        self.report = report
        super().__init__(
            f"{Reason.TIE_UNRESOLVED}: {report.context}: {', '.join(report.tied)} tied at {report.value} "
            f"for {report.seats} place(s)"
        )


def settle_tie(context: str, tied: Iterable[str], value: Fraction, seats: int, draw: Draw | None) -> TieReport:
    """Ask the draw for the winners and return the report; raise TieUnresolved without a draw."""
    report = TieReport(context=context, tied=tuple(sorted(tied)), value=value, seats=seats)
    if draw is None:
        raise TieUnresolved(report)
    winners = draw.choose(report.tied, seats, context)
    if not _is_lot(winners, report.tied, seats):
        raise InvalidInput(Reason.INVALID_DRAW, f"{context}: {winners} for {seats} of {list(report.tied)}")
    if isinstance(draw, SeededDraw):
        decided_by, seed = Reason.LOT_SEEDED, draw.seed
    elif isinstance(draw, RecordedDraw):
        decided_by, seed = Reason.LOT_RECORDED, None
    else:
        decided_by, seed = Reason.LOT_DRAWN, None
    return report.model_copy(update={"winners": tuple(winners), "decided_by": decided_by, "seed": seed})


class Cut(Frozen):
    """Where k places fall in a ranking: how many win outright, and the tie at the boundary, if any."""

    sure: int
    tied: tuple[str, ...] = ()
    value: Fraction | None = None
    open_places: int = 0


def cut(ranked: Sequence[tuple[str, Fraction]], k: int) -> Cut:
    """Split a ranking (sorted by value, highest first) into sure winners and a deciding tie.

    A tie only counts when the entries sharing the boundary value outnumber the places left for them;
    equal values that all win, or all lose, decide nothing and are not reported.
    """
    if k >= len(ranked):
        return Cut(sure=len(ranked))
    if k == 0:
        return Cut(sure=0)
    boundary = ranked[k - 1][1]
    if ranked[k][1] != boundary:
        return Cut(sure=k)
    sure = sum(1 for _, value in ranked if value > boundary)
    tied = tuple(name for name, value in ranked if value == boundary)
    if len(set(tied)) != len(tied):
        raise ValueError("a tie must be between distinct names")
    return Cut(sure=sure, tied=tied, value=boundary, open_places=k - sure)
