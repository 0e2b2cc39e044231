"""`kkrbot period load` at the command line (issue 24): one-line refusals, and what the dry run flags (R-PER-1)."""

from __future__ import annotations

import json
from pathlib import Path

from bot.period_cli import changes
from bot.storage.roster import Person, Role
from tests.test_cli import kkrbot, new_database

DATA = Path(__file__).resolve().parent.parent / "bot" / "data"
NEXT_PERIOD = str(DATA / "next_period_example.json")
NEXT_ROSTER = str(DATA / "next_period_example_roster.csv")
THIS_PERIOD = str(Path(__file__).resolve().parent.parent / "kkrcore" / "data" / "nordjylland-2026-2030.json")


def test_r_per_1_a_data_file_that_is_not_the_next_period_is_refused_in_one_line_and_nothing_is_stored(
    tmp_path: Path,
) -> None:
    new_database(tmp_path)

    refused = kkrbot(tmp_path, "period", "load", THIS_PERIOD, NEXT_ROSTER)
    (tmp_path / "broken.json").write_text('{"region": "KKR Nordjylland"}')
    unreadable = kkrbot(tmp_path, "period", "load", "broken.json", NEXT_ROSTER)
    dry = kkrbot(tmp_path, "period", "load", NEXT_PERIOD, NEXT_ROSTER, "--dry-run", "--json")

    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1
    assert "does not follow '2026-2030'" in refused.stderr
    assert unreadable.returncode == 2
    assert unreadable.stderr.startswith("kkrbot: broken.json: ")
    assert unreadable.stderr.count("\n") == 1
    shown = json.loads(dry.stdout)
    assert shown["stored"] is False
    assert "hjoerring-borgmester-2030" in shown["new"]
    assert "hjoerring-borgmester" in shown["leaving"]
    assert sum(seats["total"] for seats in shown["composition"].values()) == 22


def person(person_id: str, name: str) -> Person:
    return Person(id=person_id, name=name, role=Role.SUBSTITUTE, municipality="Aalborg", party="A")


def test_a_continuing_id_under_another_name_is_flagged() -> None:
    found = changes([person("a-1", "Anna"), person("a-2", "Bo")], [person("a-1", "Anne"), person("a-3", "Cai")])

    assert [p.id for p in found.continuing] == ["a-1"]
    assert [p.id for p in found.new] == ["a-3"]
    assert [p.id for p in found.leaving] == ["a-2"]
    assert [(old.name, new.name) for old, new in found.renamed] == [("Anna", "Anne")]
