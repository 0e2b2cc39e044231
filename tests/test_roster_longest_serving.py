"""R-MEET-2: the longest-serving mayor, who convenes the constituent meeting, is a roster field the secretariat
sets (the data set's name is a real person's, never shown); one mayor at most."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from bot.storage.roster import EXAMPLE_ROSTER, RosterError, validate_roster
from kkrcore.dataset import load_dataset

DATASET = load_dataset()


def example_rows() -> list[dict[str, Any]]:
    return list(yaml.safe_load(EXAMPLE_ROSTER.read_text(encoding="utf-8"))["people"])


def test_r_meet_2_the_example_roster_marks_one_mayor_as_longest_serving() -> None:
    people = validate_roster(example_rows(), DATASET, "example.yaml")
    assert [p.id for p in people if p.longest_serving] == ["broenderslev-borgmester"]


def test_r_meet_2_only_a_mayor_can_be_the_longest_serving_mayor() -> None:
    rows = example_rows()
    next(r for r in rows if r["id"] == "a-medlem-2")["longest_serving"] = True
    with pytest.raises(RosterError, match=r"a-medlem-2\): longest_serving: only a mayor"):
        validate_roster(rows, DATASET, "roster.yaml")


def test_r_meet_2_there_is_one_longest_serving_mayor_at_most() -> None:
    rows = example_rows()
    next(r for r in rows if r["id"] == "thisted-borgmester")["longest_serving"] = True
    with pytest.raises(RosterError, match="longest_serving: only one mayor can be the longest-serving"):
        validate_roster(rows, DATASET, "roster.yaml")
