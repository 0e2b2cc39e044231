"""The bundled KKR Nordjylland 2026-2030 dataset and the loader's errors."""

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kkrcore.dataset import BUNDLED, DatasetError, load_dataset
from kkrcore.models import MeetingKind


def test_the_bundled_dataset_is_loaded_once() -> None:
    assert load_dataset() is load_dataset()


def test_r_comp_2_vote_shares_are_tenths_of_a_percentage_point_as_published() -> None:
    ds = load_dataset()
    assert ds.vote_shares == {
        "A": 276, "V": 231, "C": 121, "F": 90, "Æ": 85, "I": 49, "O": 41, "B": 37, "Ø": 37, "M": 9, "Å": 3,
    }  # fmt: skip
    assert ds.local_lists_share == 22
    assert any("this data set does not have the absolute vote counts" in a for a in ds.assumptions)
    assert (ds.vote_counts, ds.local_lists_count) == (None, None)
    assert ds.votes == (ds.vote_shares, ds.local_lists_share)


def test_r_mem_1_mayors_after_kv25() -> None:
    mayors = {m.name: m.mayor_party for m in load_dataset().municipalities}
    assert len(mayors) == 11
    assert {name for name, party in mayors.items() if party == "A"} == {"Aalborg", "Morsø"}
    assert {name for name, party in mayors.items() if party == "C"} == {"Læsø"}
    assert sum(party == "V" for party in mayors.values()) == 8


def test_r_meet_2_the_longest_serving_mayor_convenes_the_constituent_meeting() -> None:
    mayor = load_dataset().longest_serving_mayor
    assert (mayor.name, mayor.party, mayor.municipality) == ("Mikael Klitgaard", "V", "Brønderslev")


def test_r_ehus_3_and_r_day_2_dates() -> None:
    ds = load_dataset()
    assert ds.election_date == date(2025, 11, 18)
    assert ds.erhvervshus.nominations_deadline == date(2026, 2, 27)
    assert ds.erhvervshus.appointment_meeting == date(2026, 3, 27)
    assert ds.erhvervshus.criteria_meeting == date(2026, 1, 23)
    assert ds.erhvervshus.board_from == date(2026, 4, 1)
    assert ds.erhvervshus.board_until == date(2030, 3, 31)
    assert ds.erhvervshus.old_board_until == date(2026, 3, 31)


def test_r_meet_1_all_21_meetings_of_the_plan_in_copenhagen_time() -> None:
    ds = load_dataset()
    assert len(ds.meetings) == 21
    assert [m.id for m in ds.meetings if m.kind is MeetingKind.CONSTITUENT] == ["2026-01-23", "2030-01-25"]
    assert all(m.start.tzinfo == ZoneInfo("Europe/Copenhagen") for m in ds.meetings)
    summer = next(m for m in ds.meetings if m.id == "2026-06-19")
    assert summer.start.isoformat() == "2026-06-19T10:00:00+02:00"


# Item 1.7 of the seed, as written there: "Fredag den 23. januar (konstituerende møde 2026-2030)" ... "Fredag
# den 25. januar (konstituerende møde 2030-2034)"; "Møderne afholdes fra kl. 10.00-12.00. Møderne vil være
# placeret i Aalborg." The first meeting's own agenda (page 1): "23-01-2026 10:30", "Hotel Scandic Aalborg Øst,
# Hadsundvej 200, Aalborg Øst"; it gives no end, so the plan's 12.00 stands (an assumption of the data set).
SEED_PLAN = [
    ("2026-01-23", "10:30", "12:00", "Hotel Scandic Aalborg Øst"),
    ("2026-03-27", "10:00", "12:00", "Aalborg"),
    ("2026-06-19", "10:00", "12:00", "Aalborg"),
    ("2026-09-04", "10:00", "12:00", "Aalborg"),
    ("2026-11-20", "10:00", "12:00", "Aalborg"),
    ("2027-02-12", "10:00", "12:00", "Aalborg"),
    ("2027-04-23", "10:00", "12:00", "Aalborg"),
    ("2027-06-25", "10:00", "12:00", "Aalborg"),
    ("2027-09-10", "10:00", "12:00", "Aalborg"),
    ("2027-11-26", "10:00", "12:00", "Aalborg"),
    ("2028-02-11", "10:00", "12:00", "Aalborg"),
    ("2028-04-28", "10:00", "12:00", "Aalborg"),
    ("2028-06-23", "10:00", "12:00", "Aalborg"),
    ("2028-09-08", "10:00", "12:00", "Aalborg"),
    ("2028-11-24", "10:00", "12:00", "Aalborg"),
    ("2029-02-09", "10:00", "12:00", "Aalborg"),
    ("2029-04-20", "10:00", "12:00", "Aalborg"),
    ("2029-06-22", "10:00", "12:00", "Aalborg"),
    ("2029-09-07", "10:00", "12:00", "Aalborg"),
    ("2029-10-26", "10:00", "12:00", "Aalborg"),
    ("2030-01-25", "10:00", "12:00", "Aalborg"),
]


def test_r_meet_1_the_data_holds_exactly_the_21_meetings_of_item_1_7() -> None:
    held = [(m.id, f"{m.start:%H:%M}", f"{m.end:%H:%M}", m.place) for m in load_dataset().meetings]
    assert held == SEED_PLAN


def test_r_comp_1_every_lettered_party_is_a_data_field_marked_represented() -> None:
    ds = load_dataset()
    assert [p.letter for p in ds.parties] == ["A", "B", "C", "F", "I", "M", "O", "V", "Æ", "Ø", "Å"]
    assert all(p.represented for p in ds.parties)
    assert ds.party("Æ").name == "Danmarksdemokraterne"
    with pytest.raises(KeyError):
        ds.party("X")


def broken(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    data = json.loads(BUNDLED.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "nordjylland.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def set_meeting(index: int, key: str, value: object) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["meetings"][index].__setitem__(key, value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (set_meeting(3, "start", "2026-09-04T25:00"), "nordjylland.json: meetings[3].start: "),
        (set_meeting(3, "start", "2026-09-04T10:00:00"), "meetings[3].start: Input should have timezone info"),
        (set_meeting(3, "start", "2026-09-04T10:00:00+01:00"), "meetings[3].start: offset +0100 is wrong"),
        (set_meeting(3, "end", "2026-09-04T09:00:00+02:00"), "meetings[3].end: end is not after start"),
        (set_meeting(3, "id", "2026-09-05"), "meetings[3].id: id '2026-09-05' is not the start date"),
        (set_meeting(3, "kind", "party"), "meetings[3].kind: Input should be 'ordinary' or 'constituent'"),
        (
            lambda d: d["meetings"].insert(4, d["meetings"][1]),
            "meetings[4].start: meetings are not in order, or a date repeats",
        ),
        (
            lambda d: d["meetings"].insert(4, {**d["meetings"][3], "start": "2026-09-04T13:00:00+02:00", "end": None}),
            "meetings[4].end: Input should be a valid datetime",
        ),
        (
            lambda d: d["meetings"].insert(
                4, {**d["meetings"][3], "start": "2026-09-04T13:00:00+02:00", "end": "2026-09-04T14:00:00+02:00"}
            ),
            "meetings[4].id: two meetings on one day",
        ),
        (lambda d: d.__setitem__("vote_counts", {"A": 5}), "local_lists_count: vote_counts and local_lists_count go"),
        (lambda d: d.update(vote_counts={"A": -5}, local_lists_count=0), "vote_counts.A: negative number of votes"),
        (
            lambda d: d["erhvervshus"].__setitem__("criteria_meeting", "2026-01-22"),
            "erhvervshus.criteria_meeting: no KKR meeting on that day",
        ),
        (
            lambda d: d["municipalities"][2].__setitem__("mayor_party", "X"),
            "municipalities[2].mayor_party: unknown party 'X'",
        ),
        (
            lambda d: d["published_composition"]["A"].__setitem__("mayors", 3),
            "published_composition.A: mayors + supplementary = 6, not 5",
        ),
        (
            lambda d: d["municipalities"][0].__setitem__("mayor_party", "V"),
            "published_composition.A.mayors: 2 published, 1 in municipalities",
        ),
        (
            lambda d: d["municipalities"][5].__setitem__("mayor_party", "Ø"),
            "published_composition.C.mayors: 1 published, 0 in municipalities",
        ),
        (
            lambda d: d["published_composition"].pop("C"),
            "published_composition.C.mayors: 0 published, 1 in municipalities",
        ),
        (
            lambda d: d["erhvervshus"].__setitem__("appointment_meeting", "2026-03-26"),
            "erhvervshus.appointment_meeting: no KKR meeting on that day",
        ),
        (lambda d: d["vote_shares"].__setitem__("X", 5), "vote_shares.X: unknown party 'X'"),
        (lambda d: d.pop("election_date"), "election_date: Field required"),
        (lambda d: d.__setitem__("election_date", "2026-11-17"), "election_date: not the third Tuesday"),
        (lambda d: d.__setitem__("timezone", "Europe/Aalborg"), "timezone: unknown time zone"),
    ],
)
def test_a_broken_dataset_names_the_file_the_entry_and_the_field(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], message: str
) -> None:
    with pytest.raises(DatasetError) as caught:
        load_dataset(broken(tmp_path, change))
    text = str(caught.value)
    assert text.startswith("nordjylland.json: ")
    assert message.removeprefix("nordjylland.json: ") in text
    assert "\n" not in text


def test_a_file_that_is_not_json_or_not_there_is_a_dataset_error(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"^x\.json: Invalid JSON"):
        load_dataset(path)
    with pytest.raises(DatasetError, match=r"^missing\.json: cannot read"):
        load_dataset(tmp_path / "missing.json")
