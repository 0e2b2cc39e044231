"""The invented next-period example (bot/data/next_period_example.json and its roster): the files the docs tell
the secretariat to try with `kkrbot period load DATA ROSTER --dry-run`. They must load, and the roster must pass
the very checks `kkrbot roster import` applies, against the composition computed from the NEW votes."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import bot
from bot.storage.roster import Role, as_members, load_roster_file, vice_mayor_of
from kkrcore.composition import CompositionInput, compute_composition
from kkrcore.dataset import load_dataset
from kkrcore.membership import substitute_structure
from kkrcore.models import MeetingKind
from kkrcore.periods import constituent_meeting, council_at, term_start_at
from kkrcore.reasons import Reason

DATA = Path(bot.__file__).parent / "data"
NEXT_DATA = DATA / "next_period_example.json"
NEXT_ROSTER = DATA / "next_period_example_roster.csv"
OLD_ROSTER = DATA / "example_roster.yaml"
TERM_BEGINS = datetime(2030, 1, 1, tzinfo=ZoneInfo("Europe/Copenhagen"))


def test_r_day_2_r_per_1_the_example_is_the_2030_2034_period_elected_on_20_november_2029() -> None:
    nxt = load_dataset(NEXT_DATA)
    assert (nxt.period, nxt.election_date) == ("2030-2034", date(2029, 11, 20))
    assert nxt.meetings[0].kind is MeetingKind.CONSTITUENT
    assert nxt.meetings[0].start.date() == date(2030, 1, 25)
    assert any("INVENTED" in line for line in nxt.sources)


def test_the_example_leaves_out_what_december_2029_does_not_know() -> None:
    nxt = load_dataset(NEXT_DATA)
    assert nxt.published_composition == {}
    assert nxt.erhvervshus is None


def test_r_comp_2_the_invented_votes_change_the_composition_a_little() -> None:
    old = compute_composition(CompositionInput.from_dataset(load_dataset()))
    new = compute_composition(CompositionInput.from_dataset(load_dataset(NEXT_DATA)))
    assert new.size == old.size == 22
    changed = {p for p in old.parties.keys() | new.parties.keys() if old.parties.get(p) != new.parties.get(p)}
    assert changed, "the example should show a change of seats"


def test_r_mem_3_r_mem_6_the_example_roster_passes_roster_import_checks_against_the_new_composition() -> None:
    nxt = load_dataset(NEXT_DATA)
    people = load_roster_file(NEXT_ROSTER, nxt)  # the roster-import checks, seats from the new votes
    members = [p for p in people if p.role is Role.MEMBER]
    member_ids = {p.id for p in members}
    assert not substitute_structure(
        {p.id: p.substitute_id for p in members if not p.mayor},
        member_ids,
        {p.id: vice_mayor_of(p, people, member_ids) for p in members if p.mayor},
    )
    assert all(p.example for p in people)
    mayors = {p.municipality: p.party for p in members if p.mayor}
    assert mayors == {m.name: m.mayor_party for m in nxt.municipalities}
    assert len(members) == 22


def test_r_mem_1_r_mem_5_the_example_roster_continues_some_people_and_replaces_a_defeated_mayor() -> None:
    old = load_roster_file(OLD_ROSTER, load_dataset())
    new = load_roster_file(NEXT_ROSTER, load_dataset(NEXT_DATA))
    old_by_id, new_by_id = {p.id: p for p in old}, {p.id: p for p in new}
    old_mayors = {p.municipality: p.id for p in old if p.mayor}
    new_mayors = {p.municipality: p.id for p in new if p.mayor}
    re_elected = {m for m in new_mayors if new_mayors[m] == old_mayors[m]}
    lost = {m for m in new_mayors if old_mayors[m] not in new_by_id}
    assert re_elected
    assert lost
    assert any(p.role is Role.MEMBER and not p.mayor and p.id in old_by_id for p in new)  # elected again
    assert any(p.role is Role.MEMBER and not p.mayor and p.id not in old_by_id for p in new)  # new members
    assert {p.id for p in new if p.role is Role.SECRETARIAT} == {p.id for p in old if p.role is Role.SECRETARIAT}
    longest = next(p for p in new if p.longest_serving)
    convener = load_dataset(NEXT_DATA).longest_serving_mayor
    assert (longest.name, longest.municipality, longest.party) == (
        convener.name,
        convener.municipality,
        convener.party,
    )


def test_r_mem_1_r_mem_5_the_example_crossing_on_1_january_2030() -> None:
    nxt = load_dataset(NEXT_DATA)
    zone = ZoneInfo(nxt.timezone)
    old = as_members(load_roster_file(OLD_ROSTER, load_dataset()))
    new = as_members(load_roster_file(NEXT_ROSTER, nxt))
    opening = constituent_meeting(nxt).meeting.start
    term = term_start_at(nxt.election_date, zone)
    assert term == TERM_BEGINS
    council = council_at(old, new, term, term_begins=term, constituent_start=opening, departed=("a-medlem-3",))
    assert "hjoerring-borgmester" not in council.member_ids  # the V mayor who lost (R-MEM-5)
    new_mayor = council.seat_of("hjoerring-borgmester-2030")
    assert new_mayor is not None
    assert new_mayor.substitute.person_id == "hjoerring-viceborgmester-2030"  # R-MEM-2
    assert "a-medlem-3" not in council.member_ids  # recorded as departed
    assert "o-medlem-1" in council.member_ids  # elected for 2026-2030: until the constituent meeting
    assert ("f-medlem-2", Reason.BECAME_MAYOR) in [(d.person_id, d.reason) for d in council.vacated]
    assert sum(seat.member.mayor for seat in council.seats) == 11
    assert not council.problems
    after = council_at(old, new, opening, term_begins=TERM_BEGINS, constituent_start=opening)
    assert after.member_ids == {m.person_id for m in new}
