"""Properties of apportionment, composition and flertalsvalg that must hold for any votes (R-COMP-1..6, R-ELEC-5)."""

import math
from collections import Counter
from fractions import Fraction
from typing import TypeVar

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kkrcore.apportionment import Apportionment, Method, apportion, quotient_table
from kkrcore.composition import Composition, CompositionInput, SizePolicy, compute_composition
from kkrcore.draw import SeededDraw, TieUnresolved
from kkrcore.elections import Ballot, majority_election
from kkrcore.reasons import InvalidInput, Reason

T = TypeVar("T")

NAMES = list("ABCDEFGHIJ")
# Small counts make ties frequent, large ones make them rare; both matter.
COUNTS = st.one_of(st.integers(0, 12), st.integers(0, 100_000))
SEEDS = st.integers(0, 2**32)
FAST = settings(max_examples=120, deadline=None)


@st.composite
def vote_tables(draw: st.DrawFn) -> dict[str, int]:
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=8, unique=True))
    votes = {name: draw(COUNTS) for name in names}
    assume(sum(votes.values()) > 0)
    return votes


@st.composite
def composition_inputs(draw: st.DrawFn) -> CompositionInput:
    votes = draw(vote_tables())
    parties = list(votes)
    municipalities = draw(st.integers(1, 12))
    mayor_parties = draw(st.lists(st.sampled_from(parties), max_size=municipalities))
    return CompositionInput(
        votes=votes,
        local_lists=draw(st.integers(0, 2_000)),
        mayors=dict(Counter(mayor_parties)),
        represented=frozenset(draw(st.sets(st.sampled_from(parties), min_size=len(parties) // 2))),
        municipalities=municipalities,
        size_policy=draw(st.sampled_from(SizePolicy)),
    )


def compose(inp: CompositionInput, method: Method, seed: int) -> Composition:
    try:
        return compute_composition(inp, method, SeededDraw(seed))
    except InvalidInput as exc:
        assume(exc.reason is not Reason.NO_ELIGIBLE_PARTY)
        raise


def shuffled(items: dict[str, T], data: st.DataObject) -> dict[str, T]:
    return dict(data.draw(st.permutations(list(items.items()))))


def ties(result: Apportionment | Composition) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    return [(t.context, t.tied, t.winners) for t in result.ties]


@FAST
@given(vote_tables(), st.integers(1, 40), st.sampled_from(Method), SEEDS)
def test_r_comp_2_an_apportionment_hands_out_exactly_the_seats(
    votes: dict[str, int], seats: int, method: Method, seed: int
) -> None:
    result = apportion(votes, seats, method, SeededDraw(seed))
    assert sum(result.seats.values()) == seats
    assert set(result.seats) == set(votes)
    assert all(n >= 0 for n in result.seats.values())


@FAST
@given(vote_tables(), st.integers(1, 40), SEEDS)
def test_r_comp_5_hare_gives_every_party_its_quota_rounded_down_or_up(
    votes: dict[str, int], seats: int, seed: int
) -> None:
    result = apportion(votes, seats, Method.HARE, SeededDraw(seed))
    total = sum(votes.values())
    for party, count in votes.items():
        quota = Fraction(count * seats, total)
        assert math.floor(quota) <= result.seats[party] <= math.ceil(quota)


@FAST
@given(vote_tables(), st.integers(1, 30), st.sampled_from([Method.DHONDT, Method.SAINTE_LAGUE]), SEEDS)
def test_r_comp_5_divisor_methods_are_house_monotone(
    votes: dict[str, int], seats: int, method: Method, seed: int
) -> None:
    before = apportion(votes, seats, method, SeededDraw(seed)).seats
    after = apportion(votes, seats + 1, method, SeededDraw(seed)).seats
    assert all(after[party] >= before[party] for party in votes)


@FAST
@given(vote_tables(), st.integers(1, 30), st.sampled_from([Method.DHONDT, Method.SAINTE_LAGUE]), SEEDS)
def test_r_elec_6_divisor_seats_are_each_partys_quotients_among_the_largest(
    votes: dict[str, int], seats: int, method: Method, seed: int
) -> None:
    result = apportion(votes, seats, method, SeededDraw(seed))
    table = quotient_table(votes, seats, method)
    boundary = table[seats - 1].value
    for party in votes:
        above = sum(1 for q in table if q.group == party and q.value > boundary)
        at = sum(1 for q in table if q.group == party and q.value == boundary)
        assert above <= result.seats[party] <= above + at


@FAST
@given(vote_tables(), st.integers(1, 30), st.sampled_from(Method), SEEDS, st.data())
def test_r_comp_6_permuting_the_parties_never_changes_an_apportionment(
    votes: dict[str, int], seats: int, method: Method, seed: int, data: st.DataObject
) -> None:
    first = apportion(votes, seats, method, SeededDraw(seed))
    second = apportion(shuffled(votes, data), seats, method, SeededDraw(seed))
    assert first.seats == second.seats
    assert ties(first) == ties(second)


@FAST
@given(vote_tables(), st.integers(1, 30), st.sampled_from(Method), SEEDS)
def test_r_comp_6_every_reported_tie_is_a_lot_for_fewer_places_than_tied_parties(
    votes: dict[str, int], seats: int, method: Method, seed: int
) -> None:
    for tie in apportion(votes, seats, method, SeededDraw(seed)).ties:
        assert 0 < tie.seats < len(tie.tied)
        assert len(tie.winners) == tie.seats
        assert set(tie.winners) <= set(tie.tied)


@FAST
@given(composition_inputs(), st.sampled_from(Method), SEEDS)
def test_r_comp_4_every_mayor_sits_and_the_seats_add_up_to_a_size_within_the_cap(
    inp: CompositionInput, method: Method, seed: int
) -> None:
    result = compose(inp, method, seed)
    assert result.size <= inp.cap
    assert sum(s.total for s in result.parties.values()) == result.size
    assert sum(s.mayors for s in result.parties.values()) == sum(inp.mayors.values())
    assert all(s.total == s.mayors + s.supplementary and s.supplementary >= 0 for s in result.parties.values())


@FAST
@given(composition_inputs(), st.sampled_from(Method), SEEDS)
def test_r_comp_1_a_party_that_is_not_eligible_never_gets_a_supplementary_seat(
    inp: CompositionInput, method: Method, seed: int
) -> None:
    result = compose(inp, method, seed)
    cast = sum(Fraction(v) for v in inp.votes.values()) + inp.local_lists
    for party, seats in result.parties.items():
        below = inp.votes[party] < inp.threshold * cast or party not in inp.represented
        assert seats.eligible is not below
        if below:
            assert seats.supplementary == 0
            assert seats.total == inp.mayors[party]


@FAST
@given(composition_inputs(), st.sampled_from(Method), SEEDS)
def test_r_comp_3_an_overhang_party_keeps_exactly_its_mayors(inp: CompositionInput, method: Method, seed: int) -> None:
    result = compose(inp, method, seed)
    for party in result.overhang:
        assert result.parties[party].total == inp.mayors[party]
        assert result.parties[party].supplementary == 0
    if inp.size_policy is SizePolicy.SMALLEST_WITHOUT_OVERHANG and result.size < inp.cap:
        assert result.overhang == []


@FAST
@given(composition_inputs(), st.sampled_from(Method), SEEDS, st.data())
def test_r_comp_6_permuting_the_parties_never_changes_a_composition(
    inp: CompositionInput, method: Method, seed: int, data: st.DataObject
) -> None:
    first = compose(inp, method, seed)
    permuted = inp.model_copy(update={"votes": shuffled(inp.votes, data), "mayors": shuffled(inp.mayors, data)})
    second = compose(permuted, method, seed)
    assert first.parties == second.parties
    assert first.size == second.size
    assert sorted(first.overhang) == sorted(second.overhang)
    assert ties(first) == ties(second)


@st.composite
def ballots(draw: st.DrawFn) -> Ballot:
    """One round of a flertalsvalg: up to 30 present, at most that many votes, for up to four candidates."""
    present = draw(st.integers(1, 30))
    names = draw(st.lists(st.sampled_from("WXYZ"), min_size=1, max_size=4, unique=True))
    votes: dict[str, int] = {}
    left = present
    for name in names:
        votes[name] = draw(st.integers(0, left))
        left -= votes[name]
    return Ballot(present=present, votes=votes)


@FAST
@given(ballots(), ballots())
def test_r_elec_5_a_round_is_judged_against_those_present_at_it_whatever_a_later_round_had(
    first: Ballot, second: Ballot
) -> None:
    alone = majority_election([first])
    decided_in_round_1 = max(first.votes.values()) >= first.present // 2 + 1
    assert (alone.elected is not None) == decided_in_round_1
    if decided_in_round_1:
        with pytest.raises(InvalidInput) as caught:
            majority_election([first, second])
        assert caught.value.reason is Reason.TOO_MANY_ROUNDS
        return
    try:
        both = majority_election([first, second])
    except TieUnresolved:
        return
    assert both.round >= 2
    assert both.majority == second.present // 2 + 1
