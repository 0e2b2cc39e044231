"""The roster against the composition's seats: who may hold which seat, and which seats stand vacant.

The composition (kkrcore) gives each party its seats: its mayors, who sit whatever their party (R-MEM-1; a
mayor who changes party stays, R-MEM-5), and its supplementary seats, each held by an elected member with a
personal substitute (R-MEM-3). A roster import is checked against it, so that the quorum and the members'
lists rest on seats that exist: an elected member's party must have a supplementary seat for them; a personal
substitute must be a council member of a party that takes part (R-COMP-1, seed item 1.2). Fewer elected members
than seats is allowed: those seats are vacant (R-MEM-7, inferred), not gone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from kkrcore.composition import Composition


class SeatHolder(Protocol):
    """What the checks read of a roster person (`bot.storage.roster.Person`)."""

    @property
    def id(self) -> str: ...
    @property
    def party(self) -> str | None: ...
    @property
    def mayor(self) -> bool: ...
    @property
    def substitute_id(self) -> str | None: ...


@dataclass(frozen=True)
class SeatProblem:
    """A problem with the rows at `indexes` (into the people checked), in the roster file's field `field`.
    `forcible` problems are refused unless the import is forced: they may be right, but are more likely a
    mistake in the file."""

    indexes: tuple[int, ...]
    field: str
    problem: str
    forcible: bool = False


def elected(people: Iterable[SeatHolder], member_ids: Iterable[str]) -> list[SeatHolder]:
    ids = set(member_ids)
    return [p for p in people if p.id in ids and not p.mayor]


def seat_problems(
    people: Sequence[SeatHolder], member_ids: Iterable[str], composition: Composition
) -> list[SeatProblem]:
    """Every way the elected members and their personal substitutes do not fit the composition's seats."""
    members = set(member_ids)
    index = {p.id: i for i, p in enumerate(people)}
    problems: list[SeatProblem] = []
    by_party: dict[str, list[int]] = {}
    for i, person in enumerate(people):
        if person.id not in members or person.mayor:
            continue
        party = person.party or ""
        if party not in composition.parties:
            problems.append(
                SeatProblem((i,), "party", f"party {party!r} has no seat in the composition (parties: "
                            f"{', '.join(sorted(composition.parties))})")
            )  # fmt: skip
            continue
        by_party.setdefault(party, []).append(i)
        substitute = people[index[person.substitute_id]] if person.substitute_id in index else None
        if substitute is None or substitute.id in members:
            continue  # a missing or member substitute is refused by R-MEM-6's check
        if substitute.party not in composition.eligible:
            problems.append(
                SeatProblem((i, index[substitute.id]), "substitute_id", f"the personal substitute "
                            f"{substitute.id} is of party {substitute.party!r}, which does not take part in the KKR "
                            "(R-COMP-1: 2 % of the votes and a council seat)")
            )  # fmt: skip
        elif substitute.party != party:
            problems.append(
                SeatProblem((i, index[substitute.id]), "substitute_id", f"the personal substitute "
                            f"{substitute.id} is of party {substitute.party}, the member of party {party}; a party "
                            "elects its own member's substitute (R-MEM-3, inferred)", forcible=True)
            )  # fmt: skip
    for party, indexes in by_party.items():
        seats = composition.parties[party].supplementary
        if len(indexes) > seats:
            problems.append(
                SeatProblem(tuple(indexes), "party", f"party {party} has {seats} supplementary "
                            f"seat{'' if seats == 1 else 's'} in the composition, and the file has {len(indexes)} "
                            "elected members of it (a seat left vacant is allowed; more are not)")
            )  # fmt: skip
    return problems


def vacancies(elected_parties: Iterable[str | None], composition: Composition) -> dict[str, int]:
    """The supplementary seats of each party that no elected member holds (R-MEM-7, inferred: the seat stays the
    party's until the secretariat records the new member)."""
    held = Counter(elected_parties)
    return {
        party: seats.supplementary - held[party]
        for party, seats in sorted(composition.parties.items())
        if seats.supplementary > held[party]
    }
