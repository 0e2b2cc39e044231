"""Substitutes, who may serve, the substitute structure, and leaving the KKR (R-MEM-2..6, R-MEET-5)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kkrcore.membership import (
    Member,
    may_serve,
    mayor_substitute,
    substitute_for,
    substitute_structure,
    tenure_after_change,
)
from kkrcore.reasons import Reason

REGION = ["Aalborg", "Brønderslev", "Læsø"]


def test_r_mem_2_the_viceborgmester_substitutes_for_the_mayor() -> None:
    choice = mayor_substitute(["vice1", "vice2"], {"mayor", "other"})
    assert (choice.person_id, choice.reason, choice.rank) == ("vice1", Reason.VICE_MAYOR, 1)


def test_r_mem_2_inferred_if_the_viceborgmester_is_a_member_the_2nd_viceborgmester_substitutes() -> None:
    choice = mayor_substitute(["vice1", "vice2"], {"mayor", "vice1"})
    assert (choice.person_id, choice.reason, choice.rank) == ("vice2", Reason.NEXT_VICE_MAYOR, 2)


def test_r_mem_2_nobody_substitutes_when_both_viceborgmestre_are_members_or_there_is_none() -> None:
    assert mayor_substitute(["vice1", "vice2", "vice3"], {"vice1", "vice2"}).person_id is None
    assert mayor_substitute([], set()).reason is Reason.NO_VICE_MAYOR_AVAILABLE


def test_r_mem_2_inferred_rule_is_configurable() -> None:
    assert mayor_substitute(["vice1", "vice2"], {"vice1"}, ranks=1).person_id is None
    assert mayor_substitute(["v1", "v2", "v3"], {"v1", "v2"}, ranks=3).person_id == "v3"


def test_r_meet_5_a_member_who_is_not_mayor_is_replaced_by_their_personal_stedfortraeder() -> None:
    member = Member(person_id="p", municipality="Aalborg", party="F", personal_substitute="s")
    choice = substitute_for(member, {"p"})
    assert (choice.person_id, choice.reason) == ("s", Reason.PERSONAL_SUBSTITUTE)
    without = member.model_copy(update={"personal_substitute": None})
    assert substitute_for(without, {"p"}).reason is Reason.NO_PERSONAL_SUBSTITUTE


def test_r_meet_5_for_a_mayor_the_viceborgmester_attends() -> None:
    mayor = Member(person_id="m", municipality="Læsø", party="C", mayor=True, vice_mayors=("v1", "v2"))
    assert substitute_for(mayor, {"m"}).person_id == "v1"


@pytest.mark.parametrize(
    ("council", "allowed", "reason"),
    [
        ("Brønderslev", True, Reason.COUNCIL_MEMBER_IN_REGION),
        ("Aarhus", False, Reason.OUTSIDE_REGION),
        (None, False, Reason.NOT_COUNCIL_MEMBER),
    ],
)
def test_r_mem_4_only_council_members_of_the_regions_municipalities_may_serve(
    council: str | None, allowed: bool, reason: Reason
) -> None:
    check = may_serve(council, REGION)
    assert (check.allowed, check.reason) == (allowed, reason)


def test_r_mem_5_a_mayor_who_changes_party_stays_and_the_composition_is_not_recalculated() -> None:
    tenure = tenure_after_change(mayor=True, council_member=True, in_electing_party=False)
    assert (tenure.stays, tenure.reason, tenure.recalculate_composition) == (
        True,
        Reason.MAYOR_CHANGED_PARTY,
        False,
    )


def test_r_mem_5_a_member_who_leaves_the_electing_party_leaves_the_kkr() -> None:
    tenure = tenure_after_change(mayor=False, council_member=True, in_electing_party=False)
    assert (tenure.stays, tenure.reason) == (False, Reason.LEFT_PARTY)


@pytest.mark.parametrize("mayor", [True, False])
def test_r_mem_5_a_member_who_leaves_the_council_leaves_the_kkr(mayor: bool) -> None:
    tenure = tenure_after_change(mayor=mayor, council_member=False, in_electing_party=True)
    assert (tenure.stays, tenure.reason) == (False, Reason.LEFT_COUNCIL)


def test_r_mem_5_nothing_changed_means_the_member_stays() -> None:
    tenure = tenure_after_change(mayor=False, council_member=True, in_electing_party=True)
    assert (tenure.stays, tenure.reason) == (True, Reason.STAYS_MEMBER)


MEMBERS_AND_MAYOR = {"m1", "m2", "m3", "mayor"}


def test_r_mem_6_a_roster_of_members_with_their_own_substitutes_holds() -> None:
    assert substitute_structure({"m1": "s1", "m2": "s2"}, MEMBERS_AND_MAYOR, {"mayor": "vice"}) == []


def test_r_mem_6_two_members_as_each_others_substitute_is_a_cycle() -> None:
    problems = substitute_structure({"m1": "m2", "m2": "m1"}, MEMBERS_AND_MAYOR, {})
    assert [(p.member, p.substitute, p.reason) for p in problems] == [
        ("m1", "m2", Reason.SUBSTITUTE_CYCLE),
        ("m2", "m1", Reason.SUBSTITUTE_CYCLE),
    ]


def test_r_mem_6_a_longer_cycle_and_a_chain_are_both_refused() -> None:
    cycle = substitute_structure({"m1": "m2", "m2": "m3", "m3": "m1"}, MEMBERS_AND_MAYOR, {})
    assert {p.reason for p in cycle} == {Reason.SUBSTITUTE_CYCLE}
    chain = substitute_structure({"m1": "m2", "m2": "s2"}, MEMBERS_AND_MAYOR, {})
    assert [(p.member, p.reason) for p in chain] == [("m1", Reason.SUBSTITUTE_CHAIN)]


def test_r_mem_6_two_members_sharing_one_substitute_is_refused_and_names_both() -> None:
    problems = substitute_structure({"m1": "s1", "m2": "s1"}, MEMBERS_AND_MAYOR, {})
    assert [(p.member, p.substitute, p.reason, p.other) for p in problems] == [
        ("m2", "s1", Reason.SHARED_SUBSTITUTE, "m1")
    ]


def test_r_mem_6_a_member_substituted_by_a_mayor_is_refused() -> None:
    problems = substitute_structure({"m1": "mayor"}, MEMBERS_AND_MAYOR, {"mayor": None})
    assert [(p.member, p.reason) for p in problems] == [("m1", Reason.SUBSTITUTE_IS_MAYOR)]


def test_r_mem_6_nobody_substitutes_for_themselves() -> None:
    problems = substitute_structure({"m1": "m1"}, MEMBERS_AND_MAYOR, {})
    assert [(p.member, p.reason) for p in problems] == [("m1", Reason.SUBSTITUTES_FOR_SELF)]


def test_r_mem_6_a_member_without_a_substitute_of_their_own_is_still_a_member() -> None:
    problems = substitute_structure({"m1": "m2", "m2": None}, MEMBERS_AND_MAYOR, {})
    assert [(p.member, p.reason) for p in problems] == [("m1", Reason.SUBSTITUTE_IS_MEMBER)]


def test_r_mem_6_a_viceborgmester_who_is_also_a_personal_substitute_is_refused_and_names_the_mayor() -> None:
    problems = substitute_structure({"m1": "vice", "m2": "s2"}, MEMBERS_AND_MAYOR, {"mayor": "vice"})
    assert [(p.member, p.substitute, p.reason, p.other) for p in problems] == [
        ("m1", "vice", Reason.VICE_MAYOR_IS_PERSONAL_SUBSTITUTE, "mayor")
    ]


def test_r_mem_6_a_mayor_substituted_by_a_member_or_by_themselves_is_refused() -> None:
    as_member = substitute_structure({}, MEMBERS_AND_MAYOR, {"mayor": "m1"})
    assert [(p.member, p.reason) for p in as_member] == [("mayor", Reason.SUBSTITUTE_IS_MEMBER)]
    as_self = substitute_structure({}, MEMBERS_AND_MAYOR, {"mayor": "mayor"})
    assert [(p.member, p.reason) for p in as_self] == [("mayor", Reason.SUBSTITUTES_FOR_SELF)]


PEOPLE = [f"p{i}" for i in range(8)]


@given(
    personal=st.dictionaries(st.sampled_from(PEOPLE), st.one_of(st.none(), st.sampled_from(PEOPLE)), max_size=6),
    vice=st.dictionaries(st.sampled_from(PEOPLE), st.one_of(st.none(), st.sampled_from(PEOPLE)), max_size=4),
)
@settings(max_examples=300, deadline=None)
def test_r_mem_6_a_structure_without_problems_gives_every_seat_its_own_outside_substitute(
    personal: dict[str, str | None], vice: dict[str, str | None]
) -> None:
    """Whatever the links: no problem reported means nobody stands in for two seats (a viceborgmester included),
    nobody for themselves, and no member stands in; a problem names a link that exists."""
    personal = {m: s for m, s in personal.items() if m not in vice}
    members = set(personal) | set(vice)
    problems = substitute_structure(personal, members, vice)
    links = {**vice, **personal}
    for problem in problems:
        assert links[problem.member] == problem.substitute
    if not problems:
        chosen = [s for s in links.values() if s is not None]
        assert len(chosen) == len(set(chosen))
        assert not set(chosen) & members


def test_r_mem_1_a_mayor_who_stops_being_mayor_stops_being_a_member() -> None:
    tenure = tenure_after_change(mayor=True, council_member=True, in_electing_party=True, still_mayor=False)
    assert (tenure.stays, tenure.reason) == (False, Reason.NO_LONGER_MAYOR)
