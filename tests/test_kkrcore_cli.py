"""The `kkrcore` command: answers as tables or JSON, and one clear line with status 2 for bad input."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kkrcore.cli import main
from kkrcore.dataset import load_dataset


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def write(tmp_path: Path, name: str, content: object) -> str:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return str(path)


def test_r_comp_2_composition_json_is_the_published_table(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, "composition")
    assert out["size"] == 22
    assert out["method"] == "hare"
    published = load_dataset().published_composition
    assert {p: {k: s[k] for k in ("mayors", "supplementary", "total")} for p, s in out["parties"].items()} == {
        p: s.model_dump() for p, s in published.items()
    }
    assert out["overhang"] == ["V"]
    assert {"party": "M", "reason": "below_threshold"} in out["excluded"]
    assert {d["party"] for d in out["deciding"] if d["won"]} == {"I", "O", "F", "B", "Ø"}


def test_r_comp_5_composition_method_dhondt(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, "composition", "--method", "dhondt")
    assert out["method"] == "dhondt"
    assert out["parties"]["A"]["total"] == 6


def test_r_comp_3_composition_table_shows_seats_and_overhang(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["composition"]) == 0
    out = capsys.readouterr().out
    assert "A      2       3              5" in out
    assert "overhang: V" in out


def test_r_elec_3_chair_election_without_alliances(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, "chair-election")
    assert (out["chair"], out["vice_chair"]) == ("A", "V")
    assert out["quotients"][0] == {"group": "A", "divisor": 1, "value": "276"}


def test_r_elec_3_chair_election_with_two_blocs(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, "chair-election", "--alliance", "A+F+B+Ø", "--alliance", "V+C+I+O+Æ")
    assert (out["chair"], out["vice_chair"]) == ("V+C+I+O+Æ", "A+F+B+Ø")


def test_r_meet_1_next_meeting_after_23_november_2026(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, "next-meeting", "--at", "2026-11-23T09:00+01:00")
    assert out["start"] == "2027-02-12T10:00:00+01:00"
    assert out["end"] == "2027-02-12T12:00:00+01:00"
    assert out["place"] == "Aalborg"


def test_r_meet_1_next_meeting_reads_a_time_without_offset_as_copenhagen_time(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # 09:59 in Copenhagen is just before the 27 March meeting; read as UTC it would be 10:59, after the start.
    assert run_json(capsys, "next-meeting", "--at", "2026-03-27T09:59")["id"] == "2026-03-27"
    assert main(["next-meeting", "--at", "2030-02-01T00:00+01:00", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) is None


def test_r_meet_4_quorum(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, "quorum", "--members", "22", "--present", "11")
    assert (out["required"], out["quorate"], out["reason"]) == (11, True, "quorate")


def test_r_elec_4_deadline(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_json(capsys, "deadline", "--before", "2026-01-23", "--workdays", "3") == {"deadline": "2026-01-20"}
    assert main(["deadline", "--before", "2026-01-23", "--workdays", "3"]) == 0
    assert capsys.readouterr().out.strip() == "2026-01-20"


def test_r_elec_6_proportional(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    groups = write(tmp_path, "groups.json", {"groups": {"A": 12, "B": 7, "C": 3}})
    out = run_json(capsys, "proportional", "--seats", "5", "--groups", groups)
    assert out["seats"] == {"A": 3, "B": 2, "C": 0}


def test_r_elec_6_proportional_tie_is_drawn_with_seed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    groups = write(tmp_path, "groups.json", {"groups": {"A": 6, "B": 3}})
    out = run_json(capsys, "proportional", "--seats", "2", "--groups", groups, "--seed", "1")
    assert out["ties"][0]["decided_by"] == "lot_seeded"
    assert out["ties"][0]["seed"] == 1


def test_r_elec_5_majority(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    votes = write(
        tmp_path,
        "votes.json",
        {"rounds": [{"present": 22, "votes": {"X": 10, "Y": 8}}, {"present": 22, "votes": {"X": 10, "Y": 8}}]},
    )
    out = run_json(capsys, "majority", "--votes", votes)
    assert (out["elected"], out["round"], out["candidates"]) == (None, 3, ["X", "Y"])
    assert main(["majority", "--votes", votes]) == 0
    assert capsys.readouterr().out.strip() == "round 3 needed between X and Y (runoff_needed)"


BAD_INPUT: list[tuple[list[str], dict[str, object], str]] = [
    (["chair-election", "--alliance", "A+X"], {}, "unknown party: X"),
    (["chair-election", "--alliance", "A+M"], {}, "ineligible party: M"),
    (["composition", "--method", "sainte"], {}, "argument --method: invalid"),
    (["proportional", "--seats", "2", "--groups", "{f}"], {"groups": {"A": -3, "B": 2}}, "negative votes: A=-3"),
    (["proportional", "--seats", "0", "--groups", "{f}"], {"groups": {"A": 3}}, "seats below one: 0"),
    (["proportional", "--seats", "2", "--groups", "{f}"], {"groups": {"A": "3"}}, "f.json: groups.A: Input should"),
    (["proportional", "--seats", "1", "--groups", "{f}"], {"groups": {"A": 3, "B": 3}}, "rerun with --seed N"),
    (["proportional", "--seats", "2", "--groups", "{f}"], {}, "f.json: groups: Field required"),
    (["majority", "--votes", "{f}"], {"rounds": [{"votes": {"X": 3}}]}, "f.json: rounds[0].present: Field required"),
    (["majority", "--votes", "{f}"], {"rounds": [{"present": 5, "votes": {"X": 6}}]}, "more votes than present"),
    (["proportional", "--seats", "2", "--groups", "{f}"], "{oops", "f.json: Invalid JSON"),
    (["proportional", "--seats", "2", "--groups", "/nonexistent/g.json"], {}, "g.json: cannot read"),
    (["deadline", "--before", "23-01-2026", "--workdays", "3"], {}, "argument --before: not a date"),
    (["deadline", "--before", "2026-01-23", "--workdays", "-1"], {}, "must not be negative"),
    (["deadline", "--before", "0001-01-03", "--workdays", "5"], {}, "date out of range"),
    (["next-meeting", "--at", "tomorrow"], {}, "argument --at: not a date and time"),
    (["quorum", "--members", "22", "--present", "23"], {}, "present exceeds members: 23 > 22"),
    (["quorum", "--members", "22"], {}, "the following arguments are required: --present"),
    (["composition", "--data", "{f}"], {"region": "x"}, "f.json: period: Field required"),
    (["frobnicate"], {}, "invalid choice: 'frobnicate'"),
]


@pytest.mark.parametrize(("argv", "content", "message"), BAD_INPUT)
def test_bad_input_gives_one_error_line_and_status_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], content: object, message: str
) -> None:
    path = write(tmp_path, "f.json", content)
    assert main([arg.replace("{f}", path) for arg in argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("kkrcore: error: ")
    assert captured.err.count("\n") == 1
    assert message in captured.err


def test_the_installed_command_exits_2_without_a_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kkrcore", "quorum", "--members", "22", "--present", "30"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr == "kkrcore: error: present exceeds members: 30 > 22\n"
    assert "Traceback" not in result.stderr


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "composition" in capsys.readouterr().out


def test_r_comp_6_a_tie_settled_by_a_seeded_lot_is_shown_in_plain_text(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    groups = write(tmp_path, "groups.json", {"groups": {"A": 6, "B": 3}})
    assert main(["proportional", "--seats", "2", "--groups", groups, "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "lot: A, B tied for 1 -> " in out
    assert "lot_seeded, seed 1" in out


def test_r_meet_4_quorum_takes_data_and_defaults_to_the_councils_size(capsys: pytest.CaptureFixture[str]) -> None:
    data = str(Path(__file__).resolve().parent.parent / "kkrcore" / "data" / "nordjylland-2026-2030.json")
    assert main(["quorum", "--present", "10", "--data", data]) == 0
    assert capsys.readouterr().out.strip() == "10 of 22 present, 11 required: not_quorate"


def test_every_command_takes_data(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    groups = write(tmp_path, "groups.json", {"groups": {"A": 12, "B": 7}})
    votes = write(tmp_path, "votes.json", {"rounds": [{"present": 22, "votes": {"X": 12, "Y": 8}}]})
    data = str(Path(__file__).resolve().parent.parent / "kkrcore" / "data" / "nordjylland-2026-2030.json")
    for argv in (
        ["quorum", "--members", "22", "--present", "11"],
        ["deadline", "--before", "2026-01-23", "--workdays", "3"],
        ["proportional", "--seats", "2", "--groups", groups],
        ["majority", "--votes", votes],
        ["next-meeting"],
        ["composition"],
        ["chair-election"],
    ):
        assert main([*argv, "--data", data]) == 0, argv
    capsys.readouterr()


def test_the_help_is_english_and_says_groups_wants_a_file(capsys: pytest.CaptureFixture[str]) -> None:
    texts = []
    for command in ("proportional", "majority", "deadline", "chair-election"):
        assert main([command, "--help"]) == 0
        texts.append(capsys.readouterr().out)
    assert main(["--help"]) == 0
    overview = capsys.readouterr().out
    assert "--groups FILE" in texts[0]
    assert "a JSON file" in texts[0]
    assert "proportional election (forholdstalsvalg" in overview
    assert "working days (hverdage)" in overview
    assert "forholdstalsvalg (R-ELEC-6)" not in overview
    assert "n hverdage" not in overview
