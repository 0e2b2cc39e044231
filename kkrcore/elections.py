"""Elections inside the KKR: chair and vice-chair, and appointments to regional fora (R-ELEC-1..7)."""

from collections.abc import Collection, Mapping, Sequence
from datetime import date
from fractions import Fraction

from kkrcore.apportionment import (
    Apportionment,
    Method,
    Quotient,
    apportion,
    exact_count,
    exact_votes,
    quotient_table,
)
from kkrcore.days import workdays_before
from kkrcore.draw import Draw, TieReport, cut, settle_tie
from kkrcore.membership import Check, may_serve
from kkrcore.models import Frozen
from kkrcore.reasons import InvalidInput, Reason

VALGFORBUND_NOTICE_WORKDAYS = 3
"""R-ELEC-4: a valgforbund is notified at the latest three hverdage before the constituent meeting."""

ALLIANCE_JOINER = "+"

OFFICES = ("chair", "vice_chair")


class ChairElection(Frozen):
    """The groups that won the chair and the vice-chair; a valgforbund wins as a group ("V+C+I+O+Æ").

    `groups` are the pooled votes of each group, `quotients` the d'Hondt table that decided.
    """

    chair: str
    vice_chair: str
    groups: dict[str, Fraction]
    quotients: list[Quotient]
    ties: list[TieReport]


class Ballot(Frozen):
    """One round of a flertalsvalg: the members present at it and the votes each candidate got.

    The number present is the round's own: members come and go between rounds, and R-ELEC-5 judges each vote
    against those present at it.
    """

    present: int
    votes: dict[str, int]


class MajorityElection(Frozen):
    """Where a § 24 stk. 1 flertalsvalg stands.

    Elected: `elected` is set and `round` is the deciding round. Otherwise `round` is the round to hold next,
    and for round 3 `candidates` are the two it is between (any candidate may stand in round 2). `majority` is
    what the last round judged needed: more than half of the members present at it.
    """

    elected: str | None
    reason: Reason
    round: int
    majority: int
    candidates: list[str]
    ties: list[TieReport]


def alliance_groups(
    votes: Mapping[str, int | Fraction],
    eligible: Collection[str],
    alliances: Sequence[Sequence[str]] = (),
) -> dict[str, Fraction]:
    """Pooled votes per group: each valgforbund, named by its parties joined with "+" in the order given,
    then every other eligible party on its own (R-ELEC-1, R-ELEC-2: ineligible parties' votes do not count).
    """
    exact = exact_votes(votes)
    for party in eligible:
        if party not in exact:
            raise InvalidInput(Reason.UNKNOWN_PARTY, party)
    allied: set[str] = set()
    groups: dict[str, Fraction] = {}
    for alliance in alliances:
        if not alliance:
            raise InvalidInput(Reason.EMPTY_ALLIANCE)
        for party in alliance:
            if party not in exact:
                raise InvalidInput(Reason.UNKNOWN_PARTY, party)
            if party not in eligible:
                raise InvalidInput(Reason.INELIGIBLE_PARTY, party)
            if list(alliance).count(party) > 1:
                raise InvalidInput(Reason.PARTY_TWICE_IN_ALLIANCE, party)
            if party in allied:
                raise InvalidInput(Reason.PARTY_IN_TWO_ALLIANCES, party)
            allied.add(party)
        groups[ALLIANCE_JOINER.join(alliance)] = sum((exact[p] for p in alliance), Fraction(0))
    for party in exact:
        if party in eligible and party not in allied:
            groups[party] = exact[party]
    return groups


def chair_election(
    votes: Mapping[str, int | Fraction],
    eligible: Collection[str],
    alliances: Sequence[Sequence[str]] = (),
    draw: Draw | None = None,
) -> ChairElection:
    """R-ELEC-1..3 (mechanics inferred): d'Hondt on the groups' regional votes; the largest quotient takes
    the chair, the next the vice-chair. The offices are drawn one at a time, so a tie for the chair is a lot
    for the chair alone and never silently hands the loser the vice-chair.
    """
    groups = alliance_groups(votes, eligible, alliances)
    table = quotient_table(groups, len(OFFICES), Method.DHONDT)
    ranked = [(q.group, q.value) for q in table]
    winners: list[str] = []
    ties: list[TieReport] = []
    for office in OFFICES:
        winner = _leaders(ranked, 1, f"chair_election.{office}", draw, ties)[0]
        winners.append(winner)
        ranked.remove(next(entry for entry in ranked if entry[0] == winner))
    return ChairElection(chair=winners[0], vice_chair=winners[1], groups=groups, quotients=table, ties=ties)


def _checked_round(number: int, ballot: Ballot) -> list[tuple[str, Fraction]]:
    if ballot.present < 1:
        raise InvalidInput(Reason.INVALID_COUNT, f"round {number}: present={ballot.present}")
    if not ballot.votes:
        raise InvalidInput(Reason.NO_CANDIDATES, f"round {number}")
    exact = {candidate: exact_count(candidate, n) for candidate, n in ballot.votes.items()}
    if sum(exact.values()) > ballot.present:
        raise InvalidInput(Reason.MORE_VOTES_THAN_PRESENT, f"round {number}: {sum(exact.values())} > {ballot.present}")
    return sorted(exact.items(), key=lambda item: (-item[1], item[0]))


def majority_election(rounds: Sequence[Ballot], draw: Draw | None = None) -> MajorityElection:
    """R-ELEC-5, kommunestyrelsesloven § 24 stk. 1: rounds 1 and 2 elect whoever has votes from more than
    half of the members present at that round. Round 2 also elects a candidate when every vote cast is for that
    candidate alone (the ministry's 2013 statement on § 24 stk. 1: a second round with one candidate decides,
    whatever the number of blank votes). Otherwise round 3 is between the two leaders of round 2 (a tie for
    those places by lot) and elects by most votes cast (a tie by lot).

    Each round is judged against its own number present, so a round already held is never judged again with
    a later round's number (11 of 22 in round 1 is no majority, even if only 20 are present in round 2).
    """
    ranked = [_checked_round(i, ballot) for i, ballot in enumerate(rounds, start=1)]
    majorities = [ballot.present // 2 + 1 for ballot in rounds]
    for number, ranking in enumerate(ranked[:2], start=1):
        leader, votes = ranking[0]
        majority = majorities[number - 1]
        only_candidate = number == 2 and votes > 0 and all(v == 0 for _, v in ranking[1:])
        if votes >= majority or only_candidate:
            if len(ranked) > number:
                raise InvalidInput(Reason.TOO_MANY_ROUNDS, f"elected in round {number}")
            return MajorityElection(
                elected=leader,
                reason=Reason.ELECTED_BY_MAJORITY if votes >= majority else Reason.ELECTED_AS_ONLY_CANDIDATE,
                round=number,
                majority=majority,
                candidates=[leader],
                ties=[],
            )
    majority = majorities[-1] if majorities else 0
    if len(ranked) < 2:
        return MajorityElection(
            elected=None,
            reason=Reason.NEXT_ROUND_NEEDED,
            round=len(ranked) + 1,
            majority=majority,
            candidates=[],
            ties=[],
        )
    if len(ranked) > 3:
        raise InvalidInput(Reason.TOO_MANY_ROUNDS, str(len(ranked)))
    ties: list[TieReport] = []
    pair = _leaders(ranked[1], 2, "majority_election.round-3-candidates", draw, ties)
    if len(ranked) == 2:
        return MajorityElection(
            elected=None, reason=Reason.RUNOFF_NEEDED, round=3, majority=majority, candidates=pair, ties=ties
        )
    outsiders = sorted(candidate for candidate, _ in ranked[2] if candidate not in pair)
    if outsiders:
        raise InvalidInput(Reason.NOT_IN_RUNOFF, ", ".join(outsiders))
    third = dict(ranked[2])
    final = sorted(((c, third.get(c, Fraction(0))) for c in pair), key=lambda item: (-item[1], item[0]))
    tied_before = len(ties)
    elected = _leaders(final, 1, "majority_election.round-3", draw, ties)[0]
    return MajorityElection(
        elected=elected,
        reason=Reason.ELECTED_BY_LOT if len(ties) > tied_before else Reason.ELECTED_BY_PLURALITY,
        round=3,
        majority=majority,
        candidates=pair,
        ties=ties,
    )


def _leaders(
    ranking: list[tuple[str, Fraction]], k: int, context: str, draw: Draw | None, ties: list[TieReport]
) -> list[str]:
    """The k first of a ranking, with a tie for the last places drawn and recorded in `ties`."""
    found = cut(ranking, k)
    leaders = [name for name, _ in ranking[: found.sure]]
    if found.tied:
        assert found.value is not None
        report = settle_tie(context, found.tied, found.value, found.open_places, draw)
        ties.append(report)
        leaders += report.winners
    return leaders


def proportional_election(groups: Mapping[str, int], seats: int, draw: Draw | None = None) -> Apportionment:
    """R-ELEC-6, § 24 stk. 3: d'Hondt among the groups the members form, by their member counts."""
    return apportion(groups, seats, Method.DHONDT, draw, context="proportional_election")


def valgforbund_deadline(meeting_day: date) -> date:
    """R-ELEC-4: the last day to notify a valgforbund (Friday 23 January 2026 → Tuesday 20 January)."""
    return workdays_before(meeting_day, VALGFORBUND_NOTICE_WORKDAYS)


def appointable(council: str | None, region: Collection[str]) -> Check:
    """R-ELEC-7: only council members of the region's municipalities can be appointed to regional fora.

    The same test as for KKR membership (R-MEM-4), since every Danish municipality is a KL member.
    """
    return may_serve(council, region)
