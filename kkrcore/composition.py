"""Who sits in the KKR: the mayors, plus supplementary seats shared by the parties' regional votes.

R-MEM-1  every mayor is a member, whatever the party; a mayor of a party that is not eligible takes a seat
         off the top, before the eligible parties share the rest.
R-COMP-1 eligible: at least `threshold` (2 %) of the votes cast in the region, and represented in a council.
R-COMP-2 eligible parties share the seats by their votes; their mayors count inside their share.
R-COMP-3 a party with more mayors than its share keeps its mayors and gets nothing more (overhang); the other
         parties share what is left, and this repeats until no party is over-represented.
         (inferred) The order of removal is not in the sources. With `OverhangOrder.AT_ONCE` (default) every
         party found over-represented in a round leaves in that round; with `OverhangOrder.WORST_FIRST` only
         the party with the most mayors above its seats leaves (parties equally far above leave together),
         and the rest are shared again. The two orders can differ: with whole seats under largest remainder,
         a party over-represented beside a worse one can fit once the worse one has left (votes A335 B45 C25
         D77 E71 F176 G341, mayors E3 A2 F2 B1 C1 D1 G1, 22 seats: at once C and E leave and D gets 2, G 6;
         worst first E leaves alone, C then fits, and D gets 1, G 7). They agree on KL's 2026-2030 table.
R-COMP-4 at most 2 seats per municipality (`cap`).
R-COMP-5 (inferred) the method is not stated in the sources; Hare (default) and Sainte-Laguë reproduce KL's
         published 2026-2030 table, d'Hondt does not. The size below the cap is also inferred: with
         `SizePolicy.SMALLEST_WITHOUT_OVERHANG` (default) the KKR has the smallest size, from the number of
         mayors up, at which sharing all its seats leaves no eligible party with more mayors than seats;
         if there is none, it has `cap` seats and R-COMP-3 applies. `SizePolicy.CAP` always uses `cap`.
R-COMP-6 (inferred) ties by lot, through the injected draw. A tie is drawn only when it decides a seat or
         whether a party is over-represented; ties in rounds that the overhang rule throws away are not.
"""

from collections import Counter
from collections.abc import Mapping
from enum import StrEnum
from fractions import Fraction

from pydantic import Field

from kkrcore.apportionment import (
    Apportionment,
    Decider,
    Draft,
    ExactNumber,
    Method,
    draft_apportionment,
    exact_count,
    exact_votes,
)
from kkrcore.draw import Draw, TieReport
from kkrcore.models import Dataset, Frozen
from kkrcore.reasons import InvalidInput, Reason

LOCAL_LISTS = "local-lists"
"""The name under which local lists outside any listesamarbejde are reported as excluded."""

SEATS_PER_MUNICIPALITY = 2


class SizePolicy(StrEnum):
    SMALLEST_WITHOUT_OVERHANG = "smallest-without-overhang"
    CAP = "cap"


class OverhangOrder(StrEnum):
    """(inferred, R-COMP-3) Which over-represented parties leave in one round; see the module docstring."""

    AT_ONCE = "at-once"
    WORST_FIRST = "worst-first"


class CompositionInput(Frozen):
    """What the composition depends on, and nothing else: votes, mayors, representation, size rules.

    `local_lists` are the votes of local lists that are in no listesamarbejde: part of the votes cast, which
    the threshold is measured against, but not a party.
    """

    votes: dict[str, ExactNumber]
    local_lists: ExactNumber = 0
    mayors: dict[str, int]
    represented: frozenset[str]
    municipalities: int = Field(ge=1)
    threshold: Fraction = Fraction(2, 100)
    size_policy: SizePolicy = SizePolicy.SMALLEST_WITHOUT_OVERHANG
    overhang_order: OverhangOrder = OverhangOrder.AT_ONCE

    @property
    def cap(self) -> int:
        return SEATS_PER_MUNICIPALITY * self.municipalities

    @classmethod
    def from_dataset(cls, dataset: Dataset) -> "CompositionInput":
        votes, local_lists = dataset.votes
        return cls(
            votes=votes,
            local_lists=local_lists,
            mayors=dict(Counter(m.mayor_party for m in dataset.municipalities)),
            represented=frozenset(p.letter for p in dataset.parties if p.represented),
            municipalities=len(dataset.municipalities),
        )


class PartySeats(Frozen):
    """A party's seats; `reason` says how it got them: its share (ELIGIBLE), only its mayors because they
    exceed its share (OVERHANG), or only its mayors because the party is not eligible (MAYOR_OF_INELIGIBLE_PARTY).
    """

    mayors: int
    supplementary: int
    total: int
    votes: Fraction
    eligible: bool
    reason: Reason


class Exclusion(Frozen):
    party: str
    reason: Reason


class Composition(Frozen):
    """The seats of every party with a seat, and why the others have none.

    `deciding` explains the last supplementary seats (see `Apportionment`); `ties` lists every lot drawn.
    """

    size: int
    cap: int
    method: Method
    size_policy: SizePolicy
    threshold: Fraction
    votes_cast: Fraction
    parties: dict[str, PartySeats]
    eligible: list[str]
    excluded: list[Exclusion]
    overhang: list[str]
    deciding: list[Decider]
    ties: list[TieReport]


def _checked(inp: CompositionInput) -> tuple[dict[str, Fraction], Fraction]:
    votes = exact_votes(inp.votes)
    local_lists = exact_count(LOCAL_LISTS, inp.local_lists)
    for party, count in inp.mayors.items():
        if party not in votes:
            raise InvalidInput(Reason.UNKNOWN_PARTY, party)
        if count < 0:
            raise InvalidInput(Reason.INVALID_COUNT, f"mayors {party}={count}")
    if sum(inp.mayors.values()) > inp.municipalities:
        raise InvalidInput(Reason.TOO_MANY_MAYORS, f"{sum(inp.mayors.values())} > {inp.municipalities}")
    return votes, sum(votes.values()) + local_lists


def eligibility(inp: CompositionInput) -> tuple[list[str], list[Exclusion]]:
    """R-COMP-1: the eligible parties in input order, and every other list with the reason it is out."""
    return _eligibility(inp, *_checked(inp))


def _eligibility(
    inp: CompositionInput, votes: Mapping[str, Fraction], cast: Fraction
) -> tuple[list[str], list[Exclusion]]:
    eligible: list[str] = []
    excluded: list[Exclusion] = []
    for party, count in votes.items():
        if count == 0 or count < inp.threshold * cast:
            excluded.append(Exclusion(party=party, reason=Reason.BELOW_THRESHOLD))
        elif party not in inp.represented:
            excluded.append(Exclusion(party=party, reason=Reason.NOT_REPRESENTED))
        else:
            eligible.append(party)
    if inp.local_lists:
        excluded.append(Exclusion(party=LOCAL_LISTS, reason=Reason.LOCAL_LIST))
    return eligible, excluded


def _round(
    draft: Draft, mayors: Mapping[str, int], draw: Draw | None, context: str, *, identify: bool
) -> tuple[dict[str, int], Apportionment | None]:
    """The over-represented parties of one round, each with its mayors above its seats, drawing the round's
    tie only if the tie can change the answer.

    A tied party gets its certain seats or one more, so the lot matters to a tied party whose mayors are
    exactly one more than its certain seats, and to the final allocation. The size search only asks whether
    anyone is over-represented; the overhang rounds must `identify` who, as they leave by that answer. A
    party that overhangs whatever the lot is measured against its seats if it won the lot.
    """
    certain = {
        p: mayors.get(p, 0) - n - (p in draft.tied)
        for p, n in draft.base.items()
        if mayors.get(p, 0) > n + (p in draft.tied)
    }
    undecided = [p for p in draft.tied if mayors.get(p, 0) == draft.base[p] + 1]
    if certain and not (identify and undecided):
        return certain, None
    settled = draft.settle(draw, context)
    return {p: mayors.get(p, 0) - n for p, n in settled.seats.items() if mayors.get(p, 0) > n}, settled


def _leaving(over: Mapping[str, int], order: OverhangOrder) -> list[str]:
    """The over-represented parties that leave this round (R-COMP-3, order inferred)."""
    if order is OverhangOrder.AT_ONCE:
        return list(over)
    worst = max(over.values())
    return [p for p, excess in over.items() if excess == worst]


def compute_composition(inp: CompositionInput, method: Method = Method.HARE, draw: Draw | None = None) -> Composition:
    votes, cast = _checked(inp)
    eligible, excluded = _eligibility(inp, votes, cast)
    if not eligible:
        raise InvalidInput(Reason.NO_ELIGIBLE_PARTY)
    outside = sum(n for p, n in inp.mayors.items() if p not in eligible)
    ties: list[TieReport] = []

    def share(
        parties: list[str], seats: int, context: str, identify: bool
    ) -> tuple[dict[str, int], Apportionment | None]:
        draft = draft_apportionment({p: votes[p] for p in parties}, seats, method)
        over, settled = _round(draft, inp.mayors, draw, f"{context}.{method}", identify=identify)
        ties.extend(settled.ties if settled else [])
        return over, settled

    final: Apportionment | None = None
    size = inp.cap
    if inp.size_policy is SizePolicy.SMALLEST_WITHOUT_OVERHANG:
        for n in range(max(sum(inp.mayors.values()), outside + 1), inp.cap):
            over, settled = share(eligible, n - outside, f"composition.size-{n}", identify=False)
            if not over:
                final, size = settled, n
                break

    overhang: list[str] = []
    active = list(eligible)
    seats_left = size - outside
    round_number = 1
    while final is None and seats_left > 0:
        over, settled = share(active, seats_left, f"composition.size-{size}.round-{round_number}", identify=True)
        if not over:
            final = settled
            break
        leaving = _leaving(over, inp.overhang_order)
        overhang += leaving
        active = [p for p in active if p not in leaving]
        seats_left -= sum(inp.mayors.get(p, 0) for p in leaving)
        round_number += 1

    allocated = final.seats if final else {}
    parties: dict[str, PartySeats] = {}
    for party, count in votes.items():
        mayors = inp.mayors.get(party, 0)
        total = allocated.get(party, mayors)
        if party not in eligible:
            reason = Reason.MAYOR_OF_INELIGIBLE_PARTY
        elif party in overhang:
            reason = Reason.OVERHANG
        else:
            reason = Reason.ELIGIBLE
        if total:
            parties[party] = PartySeats(
                mayors=mayors,
                supplementary=total - mayors,
                total=total,
                votes=count,
                eligible=party in eligible,
                reason=reason,
            )
    return Composition(
        size=size,
        cap=inp.cap,
        method=method,
        size_policy=inp.size_policy,
        threshold=inp.threshold,
        votes_cast=cast,
        parties=parties,
        eligible=eligible,
        excluded=excluded,
        overhang=overhang,
        deciding=final.deciding if final else [],
        ties=ties,
    )
