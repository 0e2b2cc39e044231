"""Chair and vice-chair, flertalsvalg and forholdstalsvalg, valgforbund deadline (R-ELEC-1..7)."""

from datetime import date

import pytest

from kkrcore.composition import CompositionInput, eligibility
from kkrcore.dataset import load_dataset
from kkrcore.draw import RecordedDraw, SeededDraw, TieUnresolved
from kkrcore.elections import (
    Ballot,
    alliance_groups,
    appointable,
    chair_election,
    majority_election,
    proportional_election,
    valgforbund_deadline,
)
from kkrcore.reasons import InvalidInput, Reason

DATASET = load_dataset()
VOTES = DATASET.vote_shares
ELIGIBLE = eligibility(CompositionInput.from_dataset(DATASET))[0]
BLUE = ["V", "C", "I", "O", "Æ"]
RED = ["A", "F", "B", "Ø"]


def test_r_elec_3_without_alliances_a_takes_the_chair_and_v_the_vice_chair() -> None:
    result = chair_election(VOTES, ELIGIBLE)
    assert (result.chair, result.vice_chair) == ("A", "V")
    assert result.ties == []


def test_r_elec_3_with_two_blocs_the_larger_takes_the_chair_and_the_other_the_vice_chair() -> None:
    result = chair_election(VOTES, ELIGIBLE, [RED, BLUE])
    assert (result.chair, result.vice_chair) == ("V+C+I+O+Æ", "A+F+B+Ø")
    assert result.groups == {"A+F+B+Ø": 440, "V+C+I+O+Æ": 527}
    assert [(q.group, q.divisor, q.value) for q in result.quotients[:3]] == [
        ("V+C+I+O+Æ", 1, 527),
        ("A+F+B+Ø", 1, 440),
        ("V+C+I+O+Æ", 2, 263.5),
    ]


def test_r_elec_1_a_valgforbund_is_named_by_its_parties_in_the_order_given() -> None:
    groups = alliance_groups(VOTES, ELIGIBLE, [["Ø", "B"]])
    assert "Ø+B" in groups
    assert groups["Ø+B"] == 74
    assert "B" not in groups


def test_r_elec_2_votes_of_ineligible_parties_do_not_count() -> None:
    groups = alliance_groups(VOTES, ELIGIBLE)
    assert set(groups) == set(ELIGIBLE)
    assert "M" not in groups


def test_r_elec_3_one_group_can_win_both_offices() -> None:
    result = chair_election({"X": 100, "Y": 40}, ["X", "Y"])
    assert (result.chair, result.vice_chair) == ("X", "X")


def test_r_elec_3_a_tie_for_the_chair_is_drawn_and_the_loser_takes_the_vice_chair() -> None:
    with pytest.raises(TieUnresolved) as caught:
        chair_election({"X": 50, "Y": 50, "Z": 10}, ["X", "Y", "Z"])
    assert caught.value.report.context == "chair_election.chair"
    result = chair_election({"X": 50, "Y": 50, "Z": 10}, ["X", "Y", "Z"], draw=RecordedDraw([["Y"]]))
    assert (result.chair, result.vice_chair) == ("Y", "X")
    assert [t.context for t in result.ties] == ["chair_election.chair"]


@pytest.mark.parametrize(
    ("alliances", "reason", "party"),
    [
        ([["A", "M"]], Reason.INELIGIBLE_PARTY, "M"),
        ([["A", "X"]], Reason.UNKNOWN_PARTY, "X"),
        ([["A", "F"], ["F", "B"]], Reason.PARTY_IN_TWO_ALLIANCES, "F"),
        ([["A", "A"]], Reason.PARTY_TWICE_IN_ALLIANCE, "A"),
        ([[]], Reason.EMPTY_ALLIANCE, ""),
    ],
)
def test_r_elec_2_only_eligible_parties_may_form_a_valgforbund(
    alliances: list[list[str]], reason: Reason, party: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        chair_election(VOTES, ELIGIBLE, alliances)
    assert caught.value.reason is reason
    assert caught.value.detail == party


def test_r_elec_4_valgforbund_deadline_is_three_hverdage_before_the_constituent_meeting() -> None:
    assert valgforbund_deadline(date(2026, 1, 23)) == date(2026, 1, 20)


def at(present: int, rounds: list[dict[str, int]]) -> list[Ballot]:
    """Rounds that all had the same number of members present."""
    return [Ballot(present=present, votes=votes) for votes in rounds]


def test_r_elec_5_more_than_half_of_those_present_elects_in_round_1() -> None:
    result = majority_election(at(22, [{"X": 12, "Y": 10}]))
    assert (result.elected, result.round, result.reason) == ("X", 1, Reason.ELECTED_BY_MAJORITY)
    assert result.majority == 12


def test_r_elec_5_exactly_half_is_not_a_majority() -> None:
    result = majority_election(at(22, [{"X": 11, "Y": 11}]))
    assert (result.elected, result.round, result.reason) == (None, 2, Reason.NEXT_ROUND_NEEDED)
    assert result.candidates == []


def test_r_elec_5_majority_counts_members_present_not_votes_cast() -> None:
    assert majority_election(at(21, [{"X": 11}])).elected == "X"
    assert majority_election(at(22, [{"X": 11, "Y": 2}])).elected is None


def test_r_elec_5_round_2_elects_a_candidate_when_votes_are_cast_for_that_candidate_only() -> None:
    # 10 of 22 is no majority, but nobody else got a vote in round 2 (the ministry's 2013 statement).
    result = majority_election(at(22, [{"X": 10, "Y": 8}, {"X": 10}]))
    assert (result.elected, result.round, result.reason) == ("X", 2, Reason.ELECTED_AS_ONLY_CANDIDATE)
    assert majority_election(at(22, [{"X": 10, "Y": 8}, {"X": 10, "Y": 0}])).elected == "X"


def test_r_elec_5_the_single_candidate_rule_is_for_round_2_only() -> None:
    result = majority_election(at(22, [{"X": 10}]))
    assert (result.elected, result.round, result.reason) == (None, 2, Reason.NEXT_ROUND_NEEDED)


def test_r_elec_5_round_3_is_between_the_two_leaders_of_round_2_not_of_round_1() -> None:
    # Z led round 1; in round 2 X and Y lead, so round 3 is between X and Y, and Z may not stand.
    rounds = [{"Z": 9, "X": 7, "Y": 6}, {"X": 10, "Y": 7, "Z": 5}]
    runoff = majority_election(at(22, rounds))
    assert (runoff.round, runoff.reason, runoff.candidates) == (3, Reason.RUNOFF_NEEDED, ["X", "Y"])
    decided = majority_election(at(22, [*rounds, {"Y": 11, "X": 10}]))
    assert (decided.elected, decided.round, decided.reason) == ("Y", 3, Reason.ELECTED_BY_PLURALITY)
    with pytest.raises(InvalidInput) as caught:
        majority_election(at(22, [*rounds, {"Z": 12}]))
    assert caught.value.reason is Reason.NOT_IN_RUNOFF


def test_r_elec_5_without_a_majority_in_round_2_round_3_is_between_the_two_leaders() -> None:
    result = majority_election(at(22, [{"X": 9, "Y": 8, "Z": 5}, {"X": 10, "Y": 8, "Z": 4}]))
    assert (result.elected, result.round, result.reason) == (None, 3, Reason.RUNOFF_NEEDED)
    assert result.candidates == ["X", "Y"]


def test_r_elec_5_a_tie_for_a_place_in_round_3_is_drawn() -> None:
    rounds = [{"X": 9, "Y": 8, "Z": 5}, {"X": 10, "Y": 6, "Z": 6}]
    with pytest.raises(TieUnresolved) as caught:
        majority_election(at(22, rounds))
    assert caught.value.report.tied == ("Y", "Z")
    result = majority_election(at(22, rounds), RecordedDraw([["Z"]]))
    assert result.candidates == ["X", "Z"]


def test_r_elec_5_round_3_is_won_by_most_votes_cast() -> None:
    result = majority_election(at(22, [{"X": 9, "Y": 8}, {"X": 10, "Y": 8}, {"X": 9, "Y": 8}]))
    assert (result.elected, result.round, result.reason) == ("X", 3, Reason.ELECTED_BY_PLURALITY)


def test_r_elec_5_a_tie_in_round_3_is_settled_by_lot() -> None:
    rounds = [{"X": 9, "Y": 8}, {"X": 10, "Y": 8}, {"X": 9, "Y": 9}]
    result = majority_election(at(22, rounds), SeededDraw(5))
    assert result.reason is Reason.ELECTED_BY_LOT
    assert result.elected == result.ties[-1].winners[0]
    assert result.ties[-1].context == "majority_election.round-3"


@pytest.mark.parametrize(
    ("present", "rounds", "reason"),
    [
        (22, [{"X": 12}, {"X": 12}], Reason.TOO_MANY_ROUNDS),
        (22, [{"X": 9, "Y": 8}, {"X": 9, "Y": 8}, {"Z": 12}], Reason.NOT_IN_RUNOFF),
        (22, [{"X": 20, "Y": 5}], Reason.MORE_VOTES_THAN_PRESENT),
        (22, [{"X": -1}], Reason.NEGATIVE_VOTES),
        (22, [{}], Reason.NO_CANDIDATES),
        (0, [{"X": 0}], Reason.INVALID_COUNT),
        (22, [{"X": 1}] * 4, Reason.TOO_MANY_ROUNDS),
    ],
)
def test_r_elec_5_impossible_ballots_are_refused(present: int, rounds: list[dict[str, int]], reason: Reason) -> None:
    with pytest.raises(InvalidInput) as caught:
        majority_election([Ballot(present=present, votes=r) for r in rounds])
    assert caught.value.reason is reason


def test_r_elec_5_each_round_is_judged_against_the_members_present_at_it() -> None:
    # 11 of 22 present in round 1 is no majority; 20 are present in round 2, where 11 is one. Round 1 is not
    # judged again with round 2's number: it was not decided, so round 2 counts.
    first = Ballot(present=22, votes={"X": 11, "Y": 9})
    assert majority_election([first]).round == 2
    result = majority_election([first, Ballot(present=20, votes={"X": 11, "Y": 9})])
    assert (result.elected, result.round, result.reason, result.majority) == ("X", 2, Reason.ELECTED_BY_MAJORITY, 11)


def test_r_elec_5_fewer_present_in_a_later_round_does_not_lower_the_majority_of_an_earlier_one() -> None:
    # 10 of 19 present elects in round 1; with 22 present in round 1 the same 10 do not.
    assert majority_election([Ballot(present=19, votes={"X": 10})]).elected == "X"
    result = majority_election([Ballot(present=22, votes={"X": 10}), Ballot(present=19, votes={"X": 8, "Y": 2})])
    assert (result.elected, result.round, result.candidates) == (None, 3, ["X", "Y"])


def test_r_elec_6_several_representatives_by_dhondt_on_member_counts() -> None:
    # Quotients 12, 7, 6, 4, 3.5 | 3, 3: A 3, B 2, C 0.
    result = proportional_election({"A": 12, "B": 7, "C": 3}, 5)
    assert result.seats == {"A": 3, "B": 2, "C": 0}
    assert result.ties == []


def test_r_elec_6_equal_quotients_for_the_last_seat_are_drawn() -> None:
    with pytest.raises(TieUnresolved):
        proportional_election({"A": 6, "B": 3}, 2)
    result = proportional_election({"A": 6, "B": 3}, 2, RecordedDraw([["B"]]))
    assert result.seats == {"A": 1, "B": 1}
    assert result.ties[0].context == "proportional_election"


def test_r_elec_7_only_council_members_of_the_regions_municipalities_can_be_appointed() -> None:
    region = [m.name for m in DATASET.municipalities]
    assert appointable("Thisted", region).allowed
    assert appointable("Aarhus", region).reason is Reason.OUTSIDE_REGION
    assert appointable(None, region).reason is Reason.NOT_COUNCIL_MEMBER
