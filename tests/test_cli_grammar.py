"""The operator's command line has one grammar (issue 23, items 5-8): a missing database is refused, not
created; `--json` on whatever lists or shows; `--output FILE` with `-` for standard output; `--yes` (or a
terminal to ask on) before what tells people; the roster in Excel and in Danish Excel's CSV."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from bot.cli import build_parser
from bot.cli_grammar import CREATING_COMMANDS, NO_DATABASE_COMMANDS, UsageError, confirm
from bot.cli_reference import EXAMPLES, _subparsers
from tests.process_clock import clock_environment
from tests.processes import example_database
from tests.test_cli import kkrbot
from tests.test_cli_errors import one_line

# Every command that reads the database but must not create it, as an operator would type it.
NON_CREATING = {
    "roster list": ("roster", "list"),
    "roster export": ("roster", "export", "out.csv"),
    "invite": ("invite", "--all"),
    "backup": ("backup", "--output", "copy.sqlite3"),
    "minutes": ("minutes", "12.02.2027"),
    "attendance": ("attendance", "12.02.2027"),
    "calendar": ("calendar",),
    "broadcast": ("broadcast", "list"),
    "meeting": ("meeting", "list"),
    "election": ("election", "alliances"),
    "forum": ("forum", "list"),
    "chair": ("chair", "record", "aalborg-borgmester", "jammerbugt-borgmester"),
    "period": ("period", "load", "next.json", "roster.csv"),
}


def test_every_command_that_does_not_create_a_database_is_tested_for_a_missing_one() -> None:
    commands = set(_subparsers(build_parser()))

    assert commands - CREATING_COMMANDS - NO_DATABASE_COMMANDS - {"roster"} == {
        name for name in NON_CREATING if " " not in name
    }


@pytest.mark.parametrize("command", sorted(NON_CREATING))
def test_a_mistyped_database_path_is_refused_and_nothing_is_created(tmp_path: Path, command: str) -> None:
    database = tmp_path / "nonexistent" / "dir" / "x.sqlite3"

    line = one_line(kkrbot(tmp_path, *NON_CREATING[command], env={"KKRBOT_DATABASE": str(database)}))

    assert f"no database at {database}" in line
    assert "KKRBOT_DATABASE" in line
    assert not (tmp_path / "nonexistent").exists()


def test_an_empty_csv_given_as_the_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    (tmp_path / "roster.csv").write_text("")

    line = one_line(kkrbot(tmp_path, "roster", "list", env={"KKRBOT_DATABASE": str(tmp_path / "roster.csv")}))

    assert "is not a kkrbot database" in line
    assert (tmp_path / "roster.csv").read_text() == ""


LISTINGS = [
    ("roster", "list", "--json"),
    ("invite", "a-medlem-1", "--json"),
    ("minutes", "12.02.2027", "--json"),
    ("attendance", "12.02.2027", "--json"),
    ("broadcast", "list", "--json"),
    ("meeting", "list", "--json"),
    ("meeting", "list", "12.02.2027", "--json"),
    ("forum", "list", "--json"),
    ("election", "alliances", "--json"),
    ("meeting", "cancel", "23.04.2027", "--json", "--yes"),
]


def test_json_on_every_listing_command_is_json(tmp_path: Path) -> None:
    example_database(tmp_path / "kkrbot.sqlite3")

    for args in LISTINGS:
        result = kkrbot(tmp_path, *args)
        assert result.returncode == 0, (args, result.stderr)
        assert json.loads(result.stdout) is not None, args


def test_meeting_list_with_a_date_shows_that_meeting_and_its_json_shape(tmp_path: Path) -> None:
    example_database(tmp_path / "kkrbot.sqlite3")

    [meeting] = json.loads(kkrbot(tmp_path, "meeting", "list", "12.02.2027", "--json").stdout)

    assert set(meeting) == {"id", "start", "end", "place", "address", "extra", "cancelled", "sequence", "moved_from"}
    assert meeting["id"] == "2027-02-12"


def test_a_moved_meeting_is_marked_and_still_found_by_its_planned_date(tmp_path: Path) -> None:
    example_database(tmp_path / "kkrbot.sqlite3")
    moved = kkrbot(tmp_path, "meeting", "move", "12.02.2027", "--to", "19.02.2027", "--json", "--yes")

    listed = kkrbot(tmp_path, "meeting", "list", "12.02.2027")

    assert json.loads(moved.stdout)["meeting"]["moved_from"] == "2027-02-12"
    assert listed.stdout.split()[:2] == ["2027-02-12", "2027-02-19"]
    assert " moved " in listed.stdout


@pytest.mark.parametrize(
    ("args", "starts"),
    [
        (("roster", "export", "-"), b"id,name,role"),
        (("roster", "export", "--output", "-", "--format", "yaml"), b"people:"),
        (("calendar", "--output", "-"), b"BEGIN:VCALENDAR"),
        (("minutes", "12.02.2027", "--output", "-"), b"## Til referatet"),
        (("backup", "-"), b"SQLite format 3\x00"),
    ],
)
def test_a_dash_as_the_file_means_standard_output(tmp_path: Path, args: tuple[str, ...], starts: bytes) -> None:
    example_database(tmp_path / "kkrbot.sqlite3")

    result = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env={"KKRBOT_DATABASE": str(tmp_path / "kkrbot.sqlite3"), "PATH": "/usr/bin:/bin", **clock_environment()},
        capture_output=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(starts)
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize("file", ["roster.xlsx", "roster.csv"])
def test_an_excel_roster_round_trips_unchanged(tmp_path: Path, file: str) -> None:
    """Export, then import the file back: the secretariat's Excel path changes nothing."""
    example_database(tmp_path / "kkrbot.sqlite3")
    semicolon = ("--format", "semicolon") if file.endswith(".csv") else ()

    exported = kkrbot(tmp_path, "roster", "export", file, *semicolon)
    imported = kkrbot(tmp_path, "roster", "import", file)

    assert exported.returncode == 0, exported.stderr
    if semicolon:
        assert (tmp_path / file).read_bytes().startswith("\ufeffid;name;role".encode())
    assert imported.returncode == 0, imported.stderr
    assert "0 added, 0 updated, 0 removed" in imported.stdout


def _workbook(path: Path, rows: list[list[object]]) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)


HEADER = ["id", "name", "role", "municipality", "party", "mayor", "substitute_id", "vice_mayor_rank", "phone", "email"]


def test_a_workbook_made_in_excel_is_read_with_its_numbers_and_refused_by_row(tmp_path: Path) -> None:
    good = [
        HEADER,
        ["m1", "Mayor One", "member", "Aalborg", "A", True, None, None, None, None],
        ["v1", "Vice One", "substitute", "Aalborg", "V", False, None, 1, "+45 20 00 00 01", None],
        ["k1", "Secretary One", "secretariat", None, None, None, None, None, None, None],
    ]
    _workbook(tmp_path / "good.xlsx", good)
    _workbook(tmp_path / "bad.xlsx", [*good, ["x1", "Someone", "member", "Oslo", "A", False, "v1", None, None, None]])

    imported = kkrbot(tmp_path, "roster", "import", "good.xlsx", "--force")
    refused = one_line(kkrbot(tmp_path, "roster", "import", "bad.xlsx", "--force"))
    exported = kkrbot(tmp_path, "roster", "export", "back.xlsx")

    assert imported.returncode == 0, imported.stderr
    assert "3 added" in imported.stdout
    assert "bad.xlsx: row 5 (x1): municipality" in refused
    assert exported.returncode == 0, exported.stderr
    sheet = load_workbook(tmp_path / "back.xlsx").worksheets[0]
    assert [cell.value for cell in sheet[1]][:3] == ["id", "name", "role"]


def test_a_dry_run_import_shows_the_changes_and_changes_nothing(tmp_path: Path) -> None:
    example_database(tmp_path / "kkrbot.sqlite3")
    kkrbot(tmp_path, "roster", "export", "roster.csv")
    before = kkrbot(tmp_path, "roster", "list", "--json").stdout
    lines = (tmp_path / "roster.csv").read_text().splitlines()
    kept = [line for line in lines if not line.startswith("sekretariat-2,")]
    (tmp_path / "roster.csv").write_text("\n".join(kept).replace("Camilla Demoholm", "Camilla Nyholm") + "\n")

    result = kkrbot(tmp_path, "roster", "import", "roster.csv", "--dry-run")

    assert result.returncode == 0, result.stderr
    assert "nothing changed" in result.stdout
    assert "0 added, 1 updated, 1 removed" in result.stdout
    assert "updated: aalborg-borgmester (Camilla Nyholm)" in result.stdout
    assert "removed: sekretariat-2" in result.stdout
    assert "vacancies: none" in result.stdout
    assert kkrbot(tmp_path, "roster", "list", "--json").stdout == before


@pytest.mark.parametrize(
    "args",
    [
        ("broadcast", "--audience", "members", "--text", "Hej"),
        ("meeting", "cancel", "12.02.2027"),
        ("meeting", "move", "12.02.2027", "--to", "19.02.2027"),
    ],
)
def test_what_tells_people_is_refused_without_a_terminal_and_without_yes(tmp_path: Path, args: tuple[str, ...]) -> None:
    example_database(tmp_path / "kkrbot.sqlite3")

    line = one_line(kkrbot(tmp_path, *args))

    assert "--yes" in line
    assert "planned" in kkrbot(tmp_path, "meeting", "list", "12.02.2027").stdout


def test_a_broadcast_on_a_console_only_database_says_what_it_needs(tmp_path: Path) -> None:
    example_database(tmp_path / "kkrbot.sqlite3")

    line = one_line(kkrbot(tmp_path, "broadcast", "--audience", "members", "--text", "Hej", "--yes"))

    assert "kkrbot invite --all" in line
    assert "KKRBOT_TELEGRAM_TOKEN" in line


def test_health_on_a_console_only_database_says_it_checks_a_bot_on_a_chat_channel(tmp_path: Path) -> None:
    example_database(tmp_path / "kkrbot.sqlite3")

    result = kkrbot(tmp_path, "health")

    assert result.returncode == 1
    assert "no chat channel is set" in result.stderr


def test_backups_do_not_default_into_a_source_checkout(tmp_path: Path) -> None:
    example_database(tmp_path / "kkrbot.sqlite3")
    (tmp_path / "pyproject.toml").write_text("[project]\n")

    line = one_line(kkrbot(tmp_path, "backup"))

    assert "source checkout" in line
    assert "KKRBOT_BACKUP_DIR" in line
    assert list(tmp_path.glob("kkrbot-*.sqlite3")) == []


def test_restore_says_what_the_replaced_database_had_that_the_backup_lacks(tmp_path: Path) -> None:
    example_database(tmp_path / "kkrbot.sqlite3")
    assert kkrbot(tmp_path, "backup", "--output", str(tmp_path / "copy.sqlite3")).returncode == 0
    kkrbot(tmp_path, "meeting", "cancel", "12.02.2027", "--yes")

    restored = kkrbot(tmp_path, "restore", str(tmp_path / "copy.sqlite3"))

    assert restored.returncode == 0, restored.stderr
    assert "had what the backup lacks" in restored.stdout
    assert "1 meeting changes" in restored.stdout


def test_a_closed_pipe_ends_the_command_quietly(tmp_path: Path) -> None:
    example_database(tmp_path / "kkrbot.sqlite3")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "roster", "list", "--json"],
        cwd=tmp_path,
        env={"KKRBOT_DATABASE": str(tmp_path / "kkrbot.sqlite3"), "PATH": "/usr/bin:/bin", **clock_environment()},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    process.stdout.close()  # the reader (`| head -0`) is gone before the first line

    _, stderr = process.communicate(timeout=60)

    assert stderr == b""
    assert process.returncode == 141


def test_help_is_the_reference_every_command_with_a_summary_and_an_example(tmp_path: Path) -> None:
    reference = kkrbot(tmp_path, "--help").stdout

    for name in _subparsers(build_parser()):
        assert name in EXAMPLES, f"kkrbot {name} has no example in bot/cli_reference.py"
        assert f"e.g. {EXAMPLES[name]}" in reference
    assert "--yes" in reference
    assert not (tmp_path / "kkrbot.sqlite3").exists()


class Terminal(io.StringIO):
    """Standard input that is a terminal, with what the person types."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("typed", "goes_ahead"), [("y\n", True), ("ja\n", True), ("\n", False), ("n\n", False)])
def test_on_a_terminal_the_confirmation_asks_and_only_yes_goes_ahead(typed: str, goes_ahead: bool) -> None:
    asked = io.StringIO()

    def ask() -> None:
        confirm("Cancel the meeting?", yes=False, stdin=Terminal(typed), stderr=asked)

    if goes_ahead:
        ask()
    else:
        with pytest.raises(UsageError, match="not done"):
            ask()
    assert asked.getvalue() == "Cancel the meeting? [y/N] "


def test_a_forum_refusal_on_the_command_line_does_not_print_the_chats_syntax(tmp_path: Path) -> None:
    example_database(tmp_path / "kkrbot.sqlite3")

    line = one_line(kkrbot(tmp_path, "forum", "new", "raad", "0", "Raad"))

    assert "/forum" not in line
    assert "kkrbot forum new --help" in line
