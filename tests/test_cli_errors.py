"""Every failure of `kkrbot` is one line on stderr and exit status 2, never a traceback: files that are not
what they claim, and a database the machine will not let the bot write (issue #7, item 10)."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import build_parser
from tests.processes import run_as_root
from tests.test_cli import kkrbot, new_database

TOKEN = {"KKRBOT_TELEGRAM_TOKEN": "123456:TEST-token", "KKRBOT_TELEGRAM_API_URL": "http://127.0.0.1:9/bot"}


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("kkrbot: ")
    return lines[0]


def test_a_roster_csv_in_windows_1252_is_read(tmp_path: Path) -> None:
    """Danish Excel's "CSV (semikolonsepareret)" is Windows-1252: its æ, ø, å arrive as written (issue 23)."""
    rows = "id;name;role;municipality;party\nk1;Søren Ærø;secretariat;;\n"
    (tmp_path / "roster.csv").write_bytes(rows.encode("cp1252"))

    result = kkrbot(tmp_path, "roster", "import", "roster.csv", "--force")
    listed = kkrbot(tmp_path, "roster", "list", "--json")

    assert result.returncode == 0, result.stderr
    assert "Søren Ærø" in listed.stdout


def test_a_roster_file_in_neither_utf8_nor_windows_1252_says_how_to_save_it(tmp_path: Path) -> None:
    (tmp_path / "roster.csv").write_bytes("id,name\nx1,Ωmega \x01\n".encode("utf-16"))

    line = one_line(kkrbot(tmp_path, "roster", "import", "roster.csv"))

    assert "roster.csv" in line
    assert "CSV UTF-8" in line


def test_a_binary_roster_file_is_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "roster.csv").write_bytes(bytes(range(256)) * 8)

    assert "roster.csv" in one_line(kkrbot(tmp_path, "roster", "import", "roster.csv"))


def test_a_file_that_is_not_a_database_is_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "kkrbot.sqlite3").write_text("not a database\n" * 100)

    assert "not a database" in one_line(kkrbot(tmp_path, "run", env=TOKEN))


@pytest.fixture
def read_only_file_system(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs mounted read-only (root only; skipped elsewhere)."""
    mount = tmp_path / "ro"
    mount.mkdir()
    run_as_root("mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(mount))
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_run_with_the_database_on_a_read_only_file_system_stops_in_one_line(
    tmp_path: Path, read_only_file_system: Path
) -> None:
    database = read_only_file_system / "kkrbot.sqlite3"

    line = one_line(kkrbot(tmp_path, "run", env={**TOKEN, "KKRBOT_DATABASE": str(database)}))

    assert "Read-only file system" in line


def test_run_with_a_read_only_database_file_stops_in_one_line(tmp_path: Path) -> None:
    """Made immutable (chattr +i), because root, who runs these tests, may write a file of mode 0444."""
    assert kkrbot(tmp_path, "console", typed="/quit\n").returncode == 0
    database = tmp_path / "kkrbot.sqlite3"
    run_as_root("chattr", "+i", str(database))
    try:
        line = one_line(kkrbot(tmp_path, "run", env=TOKEN))
    finally:
        subprocess.run(["chattr", "-i", str(database)], check=False)

    assert str(database) in line


@pytest.mark.parametrize(
    "args",
    [
        ("minutes", "31.02.2027"),
        ("attendance", "31.02.2027"),
        ("attendance", "record", "31.02.2027", "absent", "a-medlem-1"),
        ("meeting", "cancel", "31.02.2027", "--yes"),
        ("meeting", "list", "31.02.2027"),
        ("broadcast", "--audience", "all", "--text", "Hej", "--meeting", "31.02.2027", "--yes"),
    ],
)
def test_a_date_that_does_not_exist_is_said_to_be_no_date_with_the_form_expected(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    """31 February is no date at all: not "no KKR meeting on it", which sends the operator looking for one."""
    new_database(tmp_path)

    line = one_line(kkrbot(tmp_path, *args))

    assert "'31.02.2027' is not a valid date" in line
    assert "DD.MM.YYYY" in line
    assert "no KKR meeting" not in line


def test_attendance_record_on_a_day_without_a_meeting_answers_in_the_command_lines_terms(tmp_path: Path) -> None:
    """`kkrbot attendance record` says what `kkrbot attendance` says, not the chat's Danish "Vælg et møde"."""
    new_database(tmp_path)

    line = one_line(kkrbot(tmp_path, "attendance", "record", "13.02.2027", "absent", "a-medlem-1"))

    assert line == "kkrbot: there is no KKR meeting on 13.02.2027"


def test_attendance_record_shows_a_correction_as_a_command_line_to_type(tmp_path: Path) -> None:
    """A seat that is not in the roster is refused with examples the operator can type here, not chat commands."""
    new_database(tmp_path)

    line = one_line(kkrbot(tmp_path, "attendance", "record", "20.11.2026", "absent", "nobody"))

    assert "kkrbot attendance record 20.11.2026 fraværende" in line
    assert "/fremmoede" not in line


def every_help(parser: argparse.ArgumentParser) -> Iterator[str]:
    yield parser.format_help()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                yield from every_help(command)


def test_the_help_names_no_rule_ids() -> None:
    """Rule ids are for the developers' tests; the operator reads what the rule says, in `kkrbot --help` (which
    docs/cli.md copies) and in every command's own --help."""
    result = subprocess.run([sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    assert not re.search(r"R-[A-Z]+-\d", result.stdout), result.stdout
    for text in every_help(build_parser()):
        assert not re.search(r"R-[A-Z]+-\d", text), text
