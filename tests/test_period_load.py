"""`kkrbot period load` at the command line (issue 24): one-line refusals, and what the dry run flags (R-PER-1)."""

from __future__ import annotations

import json
import sqlite3
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


def test_r_comp_6_a_next_period_whose_composition_needs_a_lot_is_loaded_with_the_lot_drawn(tmp_path: Path) -> None:
    # The example with B and Æ at 6.4 % each: they tie for the last supplementary seat (R-COMP-6). The lot that
    # gives it to Æ yields the example roster's composition (Æ 2, B 1).
    data = json.loads(Path(NEXT_PERIOD).read_text(encoding="utf-8"))
    data["vote_shares"]["B"] = data["vote_shares"]["Æ"] = 64
    (tmp_path / "tied.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    new_database(tmp_path)

    refused = kkrbot(tmp_path, "period", "load", "tied.json", NEXT_ROSTER)
    wrong = kkrbot(tmp_path, "period", "load", "tied.json", NEXT_ROSTER, "--lot", "A")
    dry = kkrbot(tmp_path, "period", "load", "tied.json", NEXT_ROSTER, "--lot", "Æ", "--dry-run")
    loaded = kkrbot(tmp_path, "period", "load", "tied.json", NEXT_ROSTER, "--lot", "Æ")
    again = kkrbot(tmp_path, "period", "load", "tied.json", NEXT_ROSTER, "--lot", "Æ")
    needless = kkrbot(tmp_path, "period", "load", NEXT_PERIOD, NEXT_ROSTER, "--lot", "Æ", "--dry-run")

    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1
    assert "B, Æ for 1 seat" in refused.stderr
    assert "--lot WINNER" in refused.stderr  # the next step: the lot drawn, given at the load
    assert wrong.returncode == 2
    assert wrong.stderr.count("\n") == 1
    assert dry.returncode == 0, dry.stderr
    assert "settled by the lot drawn: Æ" in dry.stdout
    assert loaded.returncode == 0, loaded.stderr
    assert again.returncode == 0, again.stderr
    with sqlite3.connect(tmp_path / "kkrbot.sqlite3") as db:
        lots = db.execute("SELECT winners, period FROM composition_lots").fetchall()
    assert lots == [("Æ", "2030-2034")]
    assert needless.returncode == 2
    assert "no tie needs this lot" in needless.stderr  # once, though loaded twice; the 2026-2030 lots are untouched
