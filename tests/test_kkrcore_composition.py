"""The composition of KKR Nordjylland 2026-2030 and the rules behind it (R-MEM-1, R-COMP-1..6)."""

import json
from fractions import Fraction

import pytest

from kkrcore.apportionment import Method
from kkrcore.composition import (
    LOCAL_LISTS,
    Composition,
    CompositionInput,
    Exclusion,
    OverhangOrder,
    PartySeats,
    SizePolicy,
    compute_composition,
    eligibility,
)
from kkrcore.dataset import BUNDLED, load_dataset
from kkrcore.draw import RecordedDraw, TieUnresolved
from kkrcore.models import Dataset
from kkrcore.reasons import InvalidInput, Reason

NORDJYLLAND = CompositionInput.from_dataset(load_dataset())


def table(composition: Composition) -> dict[str, tuple[int, int, int]]:
    return {p: (s.mayors, s.supplementary, s.total) for p, s in composition.parties.items()}


def test_r_comp_2_input_is_vote_shares_and_mayors_alone() -> None:
    assert NORDJYLLAND.votes == {
        "A": 276, "V": 231, "C": 121, "F": 90, "Æ": 85, "I": 49, "O": 41, "B": 37, "Ø": 37, "M": 9, "Å": 3,
    }  # fmt: skip
    assert NORDJYLLAND.mayors == {"A": 2, "V": 8, "C": 1}
    assert NORDJYLLAND.local_lists == 22
    assert NORDJYLLAND.municipalities == 11


@pytest.mark.parametrize("method", [Method.HARE, Method.SAINTE_LAGUE])
def test_r_comp_2_computed_composition_reproduces_kls_published_table(method: Method) -> None:
    published = load_dataset().published_composition
    result = compute_composition(NORDJYLLAND, method)
    assert result.size == 22
    assert table(result) == {p: (s.mayors, s.supplementary, s.total) for p, s in published.items()}
    assert table(result) == {
        "A": (2, 3, 5), "B": (0, 1, 1), "C": (1, 1, 2), "F": (0, 2, 2), "I": (0, 1, 1),
        "O": (0, 1, 1), "V": (8, 0, 8), "Æ": (0, 1, 1), "Ø": (0, 1, 1),
    }  # fmt: skip


def test_r_comp_5_dhondt_does_not_reproduce_the_published_table() -> None:
    result = compute_composition(NORDJYLLAND, Method.DHONDT)
    assert table(result) != table(compute_composition(NORDJYLLAND, Method.HARE))
    assert result.parties["A"].total == 6
    assert result.parties["Æ"].total == 2
    assert "B" not in result.parties
    assert "Ø" not in result.parties


def test_r_comp_5_hare_is_the_default_method() -> None:
    assert compute_composition(NORDJYLLAND).method is Method.HARE


def test_r_comp_1_parties_below_two_percent_and_unorganised_local_lists_are_excluded() -> None:
    result = compute_composition(NORDJYLLAND)
    assert result.excluded == [
        Exclusion(party="M", reason=Reason.BELOW_THRESHOLD),
        Exclusion(party="Å", reason=Reason.BELOW_THRESHOLD),
        Exclusion(party=LOCAL_LISTS, reason=Reason.LOCAL_LIST),
    ]
    assert result.eligible == ["A", "V", "C", "F", "Æ", "I", "O", "B", "Ø"]
    assert result.votes_cast == 1001


def test_r_comp_1_a_party_not_represented_in_any_council_is_excluded() -> None:
    inp = NORDJYLLAND.model_copy(update={"represented": NORDJYLLAND.represented - {"B"}})
    result = compute_composition(inp)
    assert Exclusion(party="B", reason=Reason.NOT_REPRESENTED) in result.excluded
    assert "B" not in result.parties
    assert sum(s.total for s in result.parties.values()) == 22


def test_r_comp_1_exactly_two_percent_is_enough() -> None:
    inp = CompositionInput(votes={"A": 98, "B": 2}, mayors={"A": 1}, represented=frozenset("AB"), municipalities=5)
    assert eligibility(inp)[0] == ["A", "B"]
    below = inp.model_copy(update={"votes": {"A": 99, "B": 2}})
    assert eligibility(below)[0] == ["A"]


def test_r_comp_1_threshold_is_configurable() -> None:
    inp = NORDJYLLAND.model_copy(update={"threshold": Fraction(5, 100)})
    assert eligibility(inp)[0] == ["A", "V", "C", "F", "Æ"]


def test_r_mem_1_a_mayor_of_an_ineligible_party_sits_and_takes_a_seat_off_the_top() -> None:
    # Læsø's mayor from M (0.9 %) instead of C.
    inp = NORDJYLLAND.model_copy(update={"mayors": {"A": 2, "V": 8, "M": 1}})
    result = compute_composition(inp)
    assert result.parties["M"] == PartySeats(
        mayors=1, supplementary=0, total=1, votes=Fraction(9), eligible=False, reason=Reason.MAYOR_OF_INELIGIBLE_PARTY
    )
    assert Exclusion(party="M", reason=Reason.BELOW_THRESHOLD) in result.excluded
    assert sum(s.total for s in result.parties.values()) == 22
    assert sum(s.total for p, s in result.parties.items() if p != "M") == 21


def test_r_comp_3_overhang_party_keeps_its_mayors_and_gets_no_supplementary_seat() -> None:
    result = compute_composition(NORDJYLLAND)
    assert result.overhang == ["V"]
    assert (result.parties["V"].mayors, result.parties["V"].supplementary) == (8, 0)
    assert result.parties["V"].reason is Reason.OVERHANG
    assert {s.reason for p, s in result.parties.items() if p != "V"} == {Reason.ELIGIBLE}


def test_r_comp_3_overhang_is_repeated_until_no_party_is_over_represented() -> None:
    # 20 seats: P's share is 1 (4 mayors: overhang). The 16 left: Q 30/95 x 16 = 5.05 -> 5 < Q's 6 mayors,
    # so Q overhangs in round 2 though it did not in round 1 (6 of 20), and R takes the remaining 10.
    inp = CompositionInput(
        votes={"P": 5, "Q": 30, "R": 65},
        mayors={"P": 4, "Q": 6},
        represented=frozenset("PQR"),
        municipalities=10,
    )
    result = compute_composition(inp)
    assert result.overhang == ["P", "Q"]
    assert table(result) == {"P": (4, 0, 4), "Q": (6, 0, 6), "R": (0, 10, 10)}


# The example: the two orders of removing over-represented parties give different tables.
ORDER_EXAMPLE = CompositionInput(
    votes={"A": 335, "B": 45, "C": 25, "D": 77, "E": 71, "F": 176, "G": 341},
    mayors={"E": 3, "A": 2, "F": 2, "B": 1, "C": 1, "D": 1, "G": 1},
    represented=frozenset("ABCDEFG"),
    municipalities=11,
    size_policy=SizePolicy.CAP,
)


def test_r_comp_3_inferred_over_represented_parties_leave_at_once_by_default() -> None:
    # Round 1 (22 seats): C 0 < 1 mayor, E 1 < 3 mayors; both leave, and A B D F G share the 18 left.
    result = compute_composition(ORDER_EXAMPLE)
    assert ORDER_EXAMPLE.overhang_order is OverhangOrder.AT_ONCE
    assert result.overhang == ["C", "E"]
    assert (result.parties["D"].total, result.parties["G"].total) == (2, 6)


def test_r_comp_3_inferred_worst_first_removes_one_party_a_round_and_can_give_another_table() -> None:
    # E (2 mayors above its seat) leaves alone; with 19 seats left C's mayor fits its share, so C stays.
    result = compute_composition(ORDER_EXAMPLE.model_copy(update={"overhang_order": OverhangOrder.WORST_FIRST}))
    assert result.overhang == ["E"]
    assert (result.parties["D"].total, result.parties["G"].total) == (1, 7)
    assert result.parties["C"].reason is Reason.ELIGIBLE


def test_r_comp_3_both_orders_reproduce_the_published_table() -> None:
    worst_first = NORDJYLLAND.model_copy(update={"overhang_order": OverhangOrder.WORST_FIRST})
    assert table(compute_composition(worst_first)) == table(compute_composition(NORDJYLLAND))


def with_counts(counts: dict[str, int] | None, local_lists: int | None, **shares: int) -> Dataset:
    data = json.loads(BUNDLED.read_text(encoding="utf-8"))
    data["vote_shares"].update(shares)
    data |= {"vote_counts": counts, "local_lists_count": local_lists}
    return Dataset.model_validate(data)


def test_r_comp_6_a_tie_made_only_by_rounding_the_shares_disappears_with_absolute_counts() -> None:
    # With Æ at 9.0 %, B and Ø tie at 3.7 % for the last seat (remainder 518/741): a lot would decide.
    with pytest.raises(TieUnresolved) as caught:
        compute_composition(CompositionInput.from_dataset(with_counts(None, None, Æ=90)))
    assert (caught.value.report.tied, caught.value.report.value) == (("B", "Ø"), Fraction(518, 741))
    # The same shares as counts of 340 votes per tenth, except that B has 300 votes more than Ø, as real
    # counts behind two equal rounded shares almost always differ: the counts are used, and B wins outright.
    counts = {"A": 93840, "V": 78540, "C": 41140, "F": 30600, "Æ": 30600, "I": 16660, "O": 13940,
              "B": 12730, "Ø": 12430, "M": 3060, "Å": 1020}  # fmt: skip
    dataset = with_counts(counts, 7480, Æ=90)
    inp = CompositionInput.from_dataset(dataset)
    assert (inp.votes, inp.local_lists) == (counts, 7480)
    result = compute_composition(inp)  # no draw: a deciding tie would raise
    assert result.ties == []
    assert "B" in result.parties
    assert "Ø" not in result.parties


def test_r_comp_4_the_kkr_has_at_most_two_seats_per_municipality() -> None:
    assert NORDJYLLAND.cap == 22
    assert compute_composition(NORDJYLLAND).size == 22


def test_r_comp_5_inferred_size_is_the_smallest_without_overhang() -> None:
    # 3 municipalities (cap 6). With 3 seats A has 1.8 -> 2 and B 1.2 -> 1: nobody is over-represented.
    inp = CompositionInput(
        votes={"A": 60, "B": 40}, mayors={"A": 2, "B": 1}, represented=frozenset("AB"), municipalities=3
    )
    smallest = compute_composition(inp)
    assert smallest.size == 3
    assert table(smallest) == {"A": (2, 0, 2), "B": (1, 0, 1)}
    capped = compute_composition(inp.model_copy(update={"size_policy": SizePolicy.CAP}))
    assert capped.size == 6
    assert table(capped) == {"A": (2, 2, 4), "B": (1, 1, 2)}


def test_r_comp_6_the_b_and_o_slash_tie_decides_no_seat_and_is_not_reported() -> None:
    result = compute_composition(NORDJYLLAND)  # no draw: a deciding tie would raise
    remainders = {d.party: (d.value, d.won) for d in result.deciding}
    assert remainders["B"] == remainders["Ø"]
    assert remainders["B"][1] is True
    assert remainders["Æ"][1] is False
    assert result.ties == []


def test_r_comp_6_a_tie_that_decides_the_size_raises_without_a_draw() -> None:
    # One municipality: at size 1, A (the mayor's party) and B tie for the one seat.
    inp = CompositionInput(votes={"A": 50, "B": 50}, mayors={"A": 1}, represented=frozenset("AB"), municipalities=1)
    with pytest.raises(TieUnresolved) as caught:
        compute_composition(inp)
    assert caught.value.report.tied == ("A", "B")
    assert caught.value.report.context == "composition.size-1.hare"


@pytest.mark.parametrize(("lot", "size"), [("A", 1), ("B", 2)])
def test_r_comp_6_the_lot_that_decided_the_size_is_reported(lot: str, size: int) -> None:
    inp = CompositionInput(votes={"A": 50, "B": 50}, mayors={"A": 1}, represented=frozenset("AB"), municipalities=1)
    result = compute_composition(inp, draw=RecordedDraw([[lot]]))
    assert result.size == size
    (report,) = result.ties
    assert report.winners == (lot,)
    assert report.decided_by is Reason.LOT_RECORDED


def test_r_comp_6_a_tie_in_a_round_thrown_away_by_the_overhang_rule_is_not_drawn() -> None:
    # Round 1 (6 seats): P 1.11, Q 0.44, R 4.44. Q and R tie for the last seat, but P's 3 mayors overhang
    # whichever way it goes, so the round is discarded without a lot; in round 2 R takes all 3 seats left.
    inp = CompositionInput(
        votes={"P": 50, "Q": 20, "R": 200},
        mayors={"P": 3},
        represented=frozenset("PQR"),
        municipalities=3,
        size_policy=SizePolicy.CAP,
    )
    result = compute_composition(inp)  # no draw: a drawn tie would raise
    assert result.ties == []
    assert result.overhang == ["P"]
    assert table(result) == {"P": (3, 0, 3), "R": (0, 3, 3)}


def test_r_comp_6_the_size_search_draws_no_lot_for_a_size_that_is_too_small_anyway() -> None:
    # Size 3: P 0.6, Q 0.6, R 1.8. P and Q tie for a seat that would decide whether P's mayor fits, but Q's
    # 2 mayors exceed its share whichever way the lot goes, so size 3 is out without a lot (likewise 4, 5).
    inp = CompositionInput(
        votes={"P": 10, "Q": 10, "R": 30}, mayors={"P": 1, "Q": 2}, represented=frozenset("PQR"), municipalities=3
    )
    result = compute_composition(inp)  # no draw: a drawn tie would raise
    assert result.size == 6
    assert result.ties == []
    assert result.overhang == ["Q"]
    assert table(result) == {"P": (1, 0, 1), "Q": (2, 0, 2), "R": (0, 3, 3)}


def test_r_comp_6_a_tie_that_decides_whether_a_party_overhangs_needs_a_lot() -> None:
    # 4 seats: P 1.5, Q 1.5, R 1. P has 2 mayors: it overhangs only if Q wins the tie for the last seat.
    inp = CompositionInput(
        votes={"P": 30, "Q": 30, "R": 20},
        mayors={"P": 2},
        represented=frozenset("PQR"),
        municipalities=2,
        size_policy=SizePolicy.CAP,
    )
    with pytest.raises(TieUnresolved) as caught:
        compute_composition(inp)
    assert caught.value.report.context == "composition.size-4.round-1.hare"
    assert table(compute_composition(inp, draw=RecordedDraw([["P"]]))) == {
        "P": (2, 0, 2), "Q": (0, 1, 1), "R": (0, 1, 1),
    }  # fmt: skip
    lost = compute_composition(inp, draw=RecordedDraw([["Q"]]))
    assert lost.overhang == ["P"]
    assert table(lost)["P"] == (2, 0, 2)
    assert [t.winners for t in lost.ties] == [("Q",)]


@pytest.mark.parametrize("votes", [{"A": 1.5}, {"A": "3"}, {"A": True}])
def test_r_comp_2_votes_must_be_exact_numbers(votes: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"votes\.A"):
        CompositionInput(votes=votes, mayors={}, represented=frozenset("A"), municipalities=1)


@pytest.mark.parametrize(
    ("update", "reason"),
    [
        ({"mayors": {"X": 1}}, Reason.UNKNOWN_PARTY),
        ({"mayors": {"A": 12}}, Reason.TOO_MANY_MAYORS),
        ({"votes": {"A": -1, "V": 5}, "mayors": {}}, Reason.NEGATIVE_VOTES),
        ({"local_lists": -3}, Reason.NEGATIVE_VOTES),
        ({"represented": frozenset()}, Reason.NO_ELIGIBLE_PARTY),
    ],
)
def test_r_comp_1_bad_input_is_refused_with_a_reason(update: dict[str, object], reason: Reason) -> None:
    with pytest.raises(InvalidInput) as caught:
        compute_composition(NORDJYLLAND.model_copy(update=update))
    assert caught.value.reason is reason
