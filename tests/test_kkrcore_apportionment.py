"""Apportionment methods and drawing lots (R-COMP-5, R-COMP-6) on small examples that can be checked by hand."""

from collections.abc import Sequence
from fractions import Fraction

import pytest

from kkrcore.apportionment import Method, apportion, quotient_table
from kkrcore.draw import RecordedDraw, SeededDraw, TieUnresolved
from kkrcore.reasons import InvalidInput, Reason

# The textbook example: 8 seats, 230,000 votes.
TEXTBOOK = {"A": 100_000, "B": 80_000, "C": 30_000, "D": 20_000}


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        (Method.HARE, {"A": 3, "B": 3, "C": 1, "D": 1}),
        (Method.DHONDT, {"A": 4, "B": 3, "C": 1, "D": 0}),
        (Method.SAINTE_LAGUE, {"A": 3, "B": 3, "C": 1, "D": 1}),
    ],
)
def test_r_comp_5_each_method_gives_the_textbook_result(method: Method, expected: dict[str, int]) -> None:
    assert apportion(TEXTBOOK, 8, method).seats == expected


def test_r_comp_5_hare_explains_the_remainder_seats_and_the_first_remainder_that_missed() -> None:
    result = apportion(TEXTBOOK, 8, Method.HARE)
    assert result.quota == Fraction(230_000, 8)
    # Quotas: A 3.478, B 2.783, C 1.043, D 0.696 -> floors 3+2+1+0 = 6, two seats by remainder.
    assert [(d.party, d.won) for d in result.deciding] == [("B", True), ("D", True), ("A", False)]
    assert result.deciding[0].value == Fraction(80_000 * 8, 230_000) - 2


def test_r_comp_5_dhondt_explains_the_last_quotient_and_the_first_that_missed() -> None:
    result = apportion(TEXTBOOK, 8, Method.DHONDT)
    # Seats in order: A/1, B/1, A/2, B/2, A/3, C/1, B/3, and the 8th A/4 = 25,000; three quotients of
    # 20,000 (A/5, B/4, D/1) are next in line, so D misses out.
    assert [(d.party, d.divisor, d.value, d.won) for d in result.deciding] == [
        ("A", 4, Fraction(25_000), True),
        ("A", 5, Fraction(20_000), False),
        ("B", 4, Fraction(20_000), False),
        ("D", 1, Fraction(20_000), False),
    ]


def test_r_elec_3_quotient_table_divides_by_1_2_3_for_dhondt_and_1_3_5_for_sainte_lague() -> None:
    dhondt = quotient_table({"A": 60, "B": 30}, 3)
    assert [(q.group, q.divisor, q.value) for q in dhondt] == [
        ("A", 1, 60),
        ("A", 2, 30),
        ("B", 1, 30),
        ("A", 3, 20),
        ("B", 2, 15),
        ("B", 3, 10),
    ]
    sainte_lague = quotient_table({"A": 60}, 3, Method.SAINTE_LAGUE)
    assert [q.divisor for q in sainte_lague] == [1, 3, 5]


@pytest.mark.parametrize(
    ("votes", "seats", "reason"),
    [
        ({"A": 10}, 0, Reason.SEATS_BELOW_ONE),
        ({"A": 10, "B": -1}, 3, Reason.NEGATIVE_VOTES),
        ({"A": 10.5}, 3, Reason.INEXACT_VOTES),
        ({"A": True}, 3, Reason.INEXACT_VOTES),
        ({}, 3, Reason.NO_PARTIES),
        ({"A": 0, "B": 0}, 3, Reason.NO_VOTES),
    ],
)
def test_r_comp_2_bad_votes_or_seats_are_refused_with_a_reason(
    votes: dict[str, int], seats: int, reason: Reason
) -> None:
    with pytest.raises(InvalidInput) as caught:
        apportion(votes, seats, Method.HARE)
    assert caught.value.reason is reason


def test_r_comp_2_fractions_are_exact_votes() -> None:
    assert apportion({"A": Fraction(2, 3), "B": Fraction(1, 3)}, 3, Method.HARE).seats == {"A": 2, "B": 1}


@pytest.mark.parametrize("method", list(Method))
def test_r_comp_6_a_deciding_tie_without_a_draw_raises_with_the_report(method: Method) -> None:
    with pytest.raises(TieUnresolved) as caught:
        apportion({"B": 5, "A": 5, "C": 1}, 1, method)
    report = caught.value.report
    assert report.tied == ("A", "B")
    assert report.seats == 1
    assert report.winners == ()
    assert report.decided_by is None


@pytest.mark.parametrize("method", list(Method))
def test_r_comp_6_equal_votes_that_all_win_are_not_a_tie(method: Method) -> None:
    result = apportion({"A": 5, "B": 5, "C": 1}, 2, method)
    assert result.seats == {"A": 1, "B": 1, "C": 0}
    assert result.ties == []


def test_r_comp_6_seeded_draw_decides_and_is_reported() -> None:
    result = apportion({"A": 5, "B": 5, "C": 1}, 1, Method.DHONDT, SeededDraw(7))
    (report,) = result.ties
    assert report.tied == ("A", "B")
    assert report.decided_by is Reason.LOT_SEEDED
    assert report.seed == 7
    assert result.seats[report.winners[0]] == 1
    assert sum(result.seats.values()) == 1


def test_r_comp_6_seeded_draw_ignores_the_order_in_which_the_tied_are_listed() -> None:
    draw = SeededDraw(3)
    assert draw.choose(["C", "A", "B"], 2, "x") == draw.choose(["B", "C", "A"], 2, "x")


def test_r_comp_6_different_seeds_can_draw_different_winners() -> None:
    winners = {tuple(SeededDraw(seed).choose(["A", "B"], 1, "x")) for seed in range(20)}
    assert winners == {("A",), ("B",)}


def test_r_comp_6_a_recorded_draw_replays_the_lot_of_an_earlier_run() -> None:
    first = apportion({"A": 5, "B": 5, "C": 1}, 1, Method.HARE, SeededDraw(11))
    replay = apportion({"A": 5, "B": 5, "C": 1}, 1, Method.HARE, RecordedDraw.from_reports(first.ties))
    assert replay.seats == first.seats
    assert replay.ties[0].decided_by is Reason.LOT_RECORDED
    assert replay.ties[0].winners == first.ties[0].winners


def test_r_comp_6_a_recorded_lot_that_does_not_fit_the_tie_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        apportion({"A": 5, "B": 5, "C": 1}, 1, Method.HARE, RecordedDraw([["C"]]))
    assert caught.value.reason is Reason.RECORDED_LOT_MISMATCH
    with pytest.raises(InvalidInput) as caught:
        apportion({"A": 5, "B": 5, "C": 1}, 1, Method.HARE, RecordedDraw([]))
    assert caught.value.reason is Reason.RECORDED_LOTS_EXHAUSTED


def test_r_comp_6_any_object_with_choose_can_draw_the_lot() -> None:
    class ByHand:
        def choose(self, tied: Sequence[str], k: int, context: str) -> list[str]:
            return list(tied[-k:])

    result = apportion({"A": 5, "B": 5, "C": 1}, 1, Method.HARE, ByHand())
    assert result.seats["B"] == 1
    assert result.ties[0].decided_by is Reason.LOT_DRAWN


def test_r_comp_6_a_draw_that_returns_a_name_outside_the_tie_is_refused() -> None:
    class Cheat:
        def choose(self, tied: Sequence[str], k: int, context: str) -> list[str]:
            return ["C"]

    with pytest.raises(InvalidInput) as caught:
        apportion({"A": 5, "B": 5, "C": 1}, 1, Method.HARE, Cheat())
    assert caught.value.reason is Reason.INVALID_DRAW
