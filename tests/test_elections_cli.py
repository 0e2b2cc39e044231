"""`kkrbot election …` and `kkrbot forum …` for the secretariat: the same storage as the chat, kkrcore's JSON."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.storage import elections as store
from bot.storage.db import Database
from tests.processes import example_database

# The period's own constituent meeting (R-PER-1: the one of 25 January 2030 is the next council's).
MEETING_2026 = "2026-01-23"
AFTER_THE_DEADLINE = datetime(2026, 1, 21, 8, 0, tzinfo=UTC)  # R-ELEC-4: the deadline was Tuesday 20 January 2026
BEFORE_THE_DEADLINE = datetime(2026, 1, 19, 8, 0, tzinfo=UTC)


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def kkrbot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    """`kkrbot ARGS` in this process (a subprocess per call is slow on a shared machine), on its own database."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KKRBOT_DATABASE", str(tmp_path / "kkrbot.sqlite3"))
    monkeypatch.delenv("KKRBOT_TELEGRAM_TOKEN", raising=False)
    example_database(tmp_path / "kkrbot.sqlite3")

    def run(*args: str) -> Run:
        code = main(list(args))
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run


def notify(kkrbot: Any, tmp_path: Path, *alliances: tuple[str, ...]) -> None:
    kkrbot("election", "alliances")  # creates and migrates the database

    async def add() -> None:
        db = await Database.open(tmp_path / "kkrbot.sqlite3")
        try:
            async with db.transaction() as conn:
                for parties in alliances:
                    await store.add_valgforbund(conn, MEETING_2026, parties, "aalborg-borgmester", datetime.now(UTC))
        finally:
            await db.close()

    asyncio.run(add())


def test_r_elec_3_the_cli_decides_the_notices_and_stores_the_chair_election_that_kkrcore_computes(
    kkrbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.election_cli.utc_now", lambda: AFTER_THE_DEADLINE)
    notify(kkrbot, tmp_path, ("V", "C", "I", "O", "Æ"), ("A", "F", "B", "Ø"))
    listing = json.loads(kkrbot("election", "alliances", "--json").stdout)
    assert [(n["parties"], n["status"]) for n in listing["valgforbund"]] == [
        ("V+C+I+O+Æ", "pending"),
        ("A+F+B+Ø", "pending"),
    ]
    for notice in listing["valgforbund"]:
        assert kkrbot("election", "decide", str(notice["id"]), "approve").returncode == 0

    elected = kkrbot("election", "chair", "--json")

    expected = subprocess.run(
        [
            sys.executable,
            "-m",
            "kkrcore",
            "chair-election",
            "--alliance",
            "V+C+I+O+Æ",
            "--alliance",
            "A+F+B+Ø",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(elected.stdout) == json.loads(expected.stdout)
    assert elected.stderr == ""
    assert kkrbot("election", "chair").stdout.splitlines() == [
        "chair's post (computed group): V+C+I+O+Æ",
        "vice-chair's post (computed group): A+F+B+Ø",
    ]


def test_r_elec_4_before_the_deadline_the_cli_prints_a_preview_and_stores_nothing(
    kkrbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.election_cli.utc_now", lambda: BEFORE_THE_DEADLINE)
    notify(kkrbot, tmp_path, ("V", "C", "I", "O", "Æ"))
    kkrbot("election", "decide", "1", "approve")

    preview = kkrbot("election", "chair")

    assert preview.stdout.splitlines()[0] == "chair's post (computed group): V+C+I+O+Æ"
    assert preview.stderr.strip() == "kkrbot: preview, not stored: valgforbund can be notified until 2026-01-20"
    assert kkrbot("election", "chair").stderr == preview.stderr


def test_r_elec_3_a_tie_at_the_cli_asks_for_the_lot_in_one_line(
    kkrbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.election_cli.utc_now", lambda: BEFORE_THE_DEADLINE)
    notify(kkrbot, tmp_path, ("A", "O"), ("V", "I", "Ø"))
    for notice_id in (1, 2):
        kkrbot("election", "decide", str(notice_id), "approve")

    tied = kkrbot("election", "chair")
    assert tied.returncode == 2
    assert tied.stderr.strip() == (
        "kkrbot: A+O and V+I+Ø are tied for 1 post(s): draw the lot and rerun with --lot GROUP"
    )
    decided = json.loads(kkrbot("election", "chair", "--lot", "A+O", "--json").stdout)
    assert (decided["chair"], decided["vice_chair"]) == ("A+O", "V+I+Ø")


def test_a_decision_on_an_unknown_notice_and_an_unknown_forum_are_one_line_errors(kkrbot: Any) -> None:
    unknown = kkrbot("election", "decide", "7", "reject")
    assert (unknown.returncode, unknown.stderr.strip()) == (2, "kkrbot: no valgforbund notice 7 awaits a decision")
    assert json.loads(kkrbot("forum", "list", "--json").stdout) == []
    missing = kkrbot("forum", "show", "trafik")
    assert (missing.returncode, missing.stderr.strip()) == (2, "kkrbot: no forum 'trafik' (see: kkrbot forum list)")


def test_r_elec_5_a_flertalsvalg_from_the_command_line_stores_what_kkrcore_computes(
    kkrbot: Any, tmp_path: Path
) -> None:
    assert kkrbot("forum", "new", "trafik", "1", "Trafikforum").returncode == 0
    first = kkrbot("forum", "votes", "trafik", "22", "a-medlem-2=10", "b-medlem-1=8")
    assert "runde 2" in first.stdout
    second = kkrbot("forum", "votes", "trafik", "22", "a-medlem-2=10")

    assert "Trafikforum" in second.stdout
    votes = tmp_path / "rounds.json"
    rounds = [
        {"present": 22, "votes": {"a-medlem-2": 10, "b-medlem-1": 8}},
        {"present": 22, "votes": {"a-medlem-2": 10}},
    ]
    votes.write_text(json.dumps({"rounds": rounds}))
    expected = subprocess.run(
        [sys.executable, "-m", "kkrcore", "majority", "--votes", str(votes), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(kkrbot("forum", "show", "trafik", "--json").stdout) == json.loads(expected.stdout)


def test_r_elec_6_a_forholdstalsvalg_from_the_command_line_with_a_tie_settled_by_the_lot(kkrbot: Any) -> None:
    kkrbot("forum", "new", "klima", "3", "Klimaforum")
    kkrbot("forum", "group", "klima", "Ø", "10", "a-medlem-2,b-medlem-1")
    kkrbot("forum", "group", "klima", "V", "10", "c-medlem-1,i-medlem-1")

    tied = kkrbot("forum", "allocate", "klima")
    assert "V og Ø står lige" in tied.stdout
    decided = kkrbot("forum", "lot", "klima", "Ø")

    assert "Ø: 2" in decided.stdout
    listing = json.loads(kkrbot("forum", "list", "--json").stdout)
    assert listing[0]["appointed"] == ["a-medlem-2", "b-medlem-1", "c-medlem-1"]


def test_r_elec_7_a_forum_action_the_rules_refuse_is_one_line_and_exit_2(kkrbot: Any) -> None:
    kkrbot("forum", "new", "trafik", "1", "Trafikforum")

    refused = kkrbot("forum", "votes", "trafik", "22", "sekretariat-2=12")

    assert refused.returncode == 2
    assert "kan udpeges" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert kkrbot("forum", "new", "x", "1", "X", "--as", "a-medlem-2").stderr.strip() == (
        "kkrbot: a-medlem-2 is not in the secretariat (see: kkrbot roster list)"
    )


def test_r_elec_1_kkrbot_chair_record_records_two_members_shown_beside_the_computed_groups(kkrbot: Any) -> None:
    # The clock is the machine's: after the constituent meeting of 23 January 2026, as every day from now on.
    recorded = kkrbot("chair", "record", "aalborg-borgmester", "jammerbugt-borgmester")

    assert recorded.returncode == 0, recorded.stderr
    assert "Formand: Camilla Demoholm (eksempel) (A, Aalborg)" in recorded.stdout
    assert "formandsposten til A" in recorded.stdout
    refused = kkrbot("chair", "record", "a-stedfortraeder-2", "aalborg-borgmester")
    assert refused.returncode == 2
    assert "a-stedfortraeder-2" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


def test_r_elec_7_a_candidate_outside_the_roster_and_a_corrected_round_from_the_command_line(kkrbot: Any) -> None:
    kkrbot("forum", "new", "trafik", "1", "Trafikforum")
    added = kkrbot("forum", "candidate", "jens-hansen", "Thisted", "V", "Jens", "Hansen")
    assert "kan ikke kontrollere" in added.stdout
    kkrbot("forum", "votes", "trafik", "22", "jens-hansen=11", "a-medlem-2=10")

    corrected = kkrbot("forum", "correct", "trafik", "22", "jens-hansen=12", "a-medlem-2=10")

    assert "Jens Hansen (V, Thisted) er udpeget til Trafikforum i runde 1" in corrected.stdout
    assert json.loads(kkrbot("forum", "list", "--json").stdout)[0]["appointed"] == ["jens-hansen"]
