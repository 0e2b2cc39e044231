"""Seat apportionment in exact arithmetic: largest remainder (Hare), d'Hondt and Sainte-Laguë.

Which method KL uses for the KKR is not stated in the sources (R-COMP-5, inferred), so all three are here
and selectable. Apportionment is done in two steps: a `Draft` holds every seat that is certain and the
deciding tie, if any; `Draft.settle` draws that tie. Composition needs the first step alone, to see whether
a tie can change which parties are over-represented before anyone is asked to draw a lot.
"""

import heapq
import math
from collections.abc import Mapping
from enum import StrEnum
from fractions import Fraction
from typing import Annotated

from pydantic import Strict, StrictInt

from kkrcore.draw import Cut, Draw, TieReport, cut, settle_tie
from kkrcore.models import Frozen
from kkrcore.reasons import InvalidInput, Reason


class Method(StrEnum):
    HARE = "hare"
    DHONDT = "dhondt"
    SAINTE_LAGUE = "sainte-lague"


class Quotient(Frozen):
    """One cell of a highest-averages table: a group's votes divided by one of its divisors."""

    group: str
    divisor: int
    value: Fraction


class Decider(Frozen):
    """A value at the margin: it won one of the last seats, or was the best that did not."""

    party: str
    value: Fraction
    won: bool
    divisor: int | None = None


class Apportionment(Frozen):
    """Seats per party (every party given, zeros included), with the margin that explains the last seats.

    `deciding`: for Hare every remainder that won a seat and the best remainder that did not; for the divisor
    methods the quotient that won the last seat and the best one that did not. `quota` is the Hare quota
    (votes per seat) and None for divisor methods.
    """

    method: Method
    seats: dict[str, int]
    quota: Fraction | None = None
    deciding: list[Decider]
    ties: list[TieReport]


_Entry = tuple[str, Fraction, int | None]

ExactNumber = StrictInt | Annotated[Fraction, Strict()]
"""A vote count for a model field: an int or a Fraction, never a float or a numeric string."""


def _divisor(method: Method, index: int) -> int:
    """The divisor for a group's (index+1)-th seat: 1, 2, 3, … for d'Hondt, 1, 3, 5, … for Sainte-Laguë."""
    if method is Method.DHONDT:
        return index + 1
    if method is Method.SAINTE_LAGUE:
        return 2 * index + 1
    raise ValueError(f"{method} is not a highest-averages method")


def exact_count(name: str, value: object) -> Fraction:
    """One vote count as a Fraction; floats are refused because seats must not depend on rounding."""
    if isinstance(value, bool) or not isinstance(value, int | Fraction):
        raise InvalidInput(Reason.INEXACT_VOTES, f"{name}={value!r}")
    if value < 0:
        raise InvalidInput(Reason.NEGATIVE_VOTES, f"{name}={value}")
    return Fraction(value)


def exact_votes(votes: Mapping[str, int | Fraction]) -> dict[str, Fraction]:
    """A vote table made exact, refusing an empty table and one without a single vote."""
    if not votes:
        raise InvalidInput(Reason.NO_PARTIES)
    exact = {party: exact_count(party, value) for party, value in votes.items()}
    if sum(exact.values()) == 0:
        raise InvalidInput(Reason.NO_VOTES)
    return exact


def quotient_table(votes: Mapping[str, int | Fraction], rounds: int, method: Method = Method.DHONDT) -> list[Quotient]:
    """The first `rounds` quotients of every group, highest first (equal values in name order)."""
    exact = exact_votes(votes)
    table = [
        Quotient(group=group, divisor=_divisor(method, i), value=value / _divisor(method, i))
        for group, value in exact.items()
        for i in range(rounds)
    ]
    return sorted(table, key=lambda q: (-q.value, q.group, q.divisor))


def _highest_quotients(votes: Mapping[str, Fraction], seats: int, method: Method) -> list[_Entry]:
    """The quotients in `quotient_table` order, as far as the seats and the margin after them reach.

    That is the first `seats + 1` quotients and every further one equal to the last: enough to find the
    deciding tie and the best quotient that missed, without building the whole table for many seats.
    """
    heap = [(-value, party, 0) for party, value in votes.items()]
    heapq.heapify(heap)
    ranked: list[_Entry] = []
    while heap and (len(ranked) <= seats or -heap[0][0] == ranked[-1][1]):
        negative, party, index = heapq.heappop(heap)
        ranked.append((party, -negative, _divisor(method, index)))
        if votes[party]:
            heapq.heappush(heap, (-votes[party] / _divisor(method, index + 1), party, index + 1))
    return ranked


class Draft(Frozen):
    """An apportionment whose certain seats are known and whose deciding tie (in `cut`) is not drawn yet."""

    method: Method
    base: dict[str, int]
    ranked: list[tuple[str, Fraction, int | None]]
    cut: Cut
    quota: Fraction | None = None

    @property
    def tied(self) -> tuple[str, ...]:
        return self.cut.tied

    def settle(self, draw: Draw | None, context: str) -> Apportionment:
        """Draw the deciding tie (raising TieUnresolved without a draw) and explain the margin."""
        ties: list[TieReport] = []
        tie_winners: set[str] = set()
        if self.cut.tied:
            assert self.cut.value is not None
            report = settle_tie(context, self.cut.tied, self.cut.value, self.cut.open_places, draw)
            ties.append(report)
            tie_winners = set(report.winners)
        seats = {party: n + (party in tie_winners) for party, n in self.base.items()}
        won: list[_Entry] = list(self.ranked[: self.cut.sure])
        lost: list[_Entry] = []
        for entry in self.ranked[self.cut.sure :]:
            is_tie_winner = entry[1] == self.cut.value and entry[0] in tie_winners
            (won if is_tie_winner else lost).append(entry)
        return Apportionment(
            method=self.method,
            seats=seats,
            quota=self.quota,
            deciding=self._margin(won, lost),
            ties=ties,
        )

    def _margin(self, won: list[_Entry], lost: list[_Entry]) -> list[Decider]:
        if not won:
            return []
        last = min(value for _, value, _ in won)
        shown_won = won if self.method is Method.HARE else [e for e in won if e[1] == last]
        best_lost = max((value for _, value, _ in lost), default=None)
        shown_lost = [e for e in lost if e[1] == best_lost]
        return [Decider(party=p, value=v, divisor=d, won=True) for p, v, d in shown_won] + [
            Decider(party=p, value=v, divisor=d, won=False) for p, v, d in shown_lost
        ]


def draft_apportionment(votes: Mapping[str, int | Fraction], seats: int, method: Method) -> Draft:
    """Everything about an apportionment that does not need a lot."""
    if seats < 1:
        raise InvalidInput(Reason.SEATS_BELOW_ONE, str(seats))
    exact = exact_votes(votes)
    if method is Method.HARE:
        total = sum(exact.values())
        quotas = {party: value * seats / total for party, value in exact.items()}
        floors = {party: math.floor(quota) for party, quota in quotas.items()}
        ranked: list[_Entry] = sorted(
            ((party, quota - floors[party], None) for party, quota in quotas.items()),
            key=lambda e: (-e[1], e[0]),
        )
        found = cut([(p, v) for p, v, _ in ranked], seats - sum(floors.values()))
        base = dict(floors)
        for party, _, _ in ranked[: found.sure]:
            base[party] += 1
        return Draft(method=method, base=base, ranked=ranked, cut=found, quota=total / seats)
    ranked = _highest_quotients(exact, seats, method)
    found = cut([(p, v) for p, v, _ in ranked], seats)
    base = dict.fromkeys(exact, 0)
    for party, _, _ in ranked[: found.sure]:
        base[party] += 1
    return Draft(method=method, base=base, ranked=ranked, cut=found)


def apportion(
    votes: Mapping[str, int | Fraction],
    seats: int,
    method: Method,
    draw: Draw | None = None,
    context: str | None = None,
) -> Apportionment:
    """Share `seats` among the parties in proportion to `votes`; a deciding tie goes to `draw` (R-COMP-6)."""
    return draft_apportionment(votes, seats, method).settle(draw, context or f"apportion.{method}")
