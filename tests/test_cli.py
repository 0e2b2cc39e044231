"""The `kkrbot` command line: roster import and list, invites, settings; failures are one line, exit 2."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.process_clock import kkrbot_environment

ROOT = Path(__file__).resolve().parent.parent


def kkrbot(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None, typed: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Runs `kkrbot ARGS` on a database of its own, with none of the caller's KKRBOT_ settings; `typed` is
    what the person types at the console."""
    environment = kkrbot_environment(tmp_path / "kkrbot.sqlite3", **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=environment,
        input=typed,
        capture_output=True,
        text=True,
        timeout=60,
    )


def new_database(tmp_path: Path) -> None:
    """A database with the example roster, made as an operator's first start makes it (the console, left at
    once): every other command refuses a missing database (issue 23)."""
    assert kkrbot(tmp_path, "console", typed="/quit\n").returncode == 0


def test_roster_list_json_has_every_person_with_the_required_fields(tmp_path: Path) -> None:
    new_database(tmp_path)
    result = kkrbot(tmp_path, "roster", "list", "--json")

    assert result.returncode == 0, result.stderr
    people = json.loads(result.stdout)
    assert {"id", "name", "role", "municipality", "party", "mayor", "substitute_id", "telegram_bound"} <= set(people[0])
    members = [p for p in people if p["role"] == "member"]
    assert len(members) == 22
    assert sum(p["mayor"] for p in members) == 11
    assert all(p["example"] for p in people)
    by_id = {p["id"]: p for p in people}
    assert by_id["broenderslev-borgmester"]["substitute_id"] == "broenderslev-viceborgmester"
    assert by_id["aalborg-borgmester"]["substitute_id"] == "aalborg-2-viceborgmester"
    assert {p["role"] for p in people} == {"member", "substitute", "secretariat"}


def test_the_database_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    new_database(tmp_path)

    mode = stat.S_IMODE((tmp_path / "kkrbot.sqlite3").stat().st_mode)
    assert mode == 0o600


def test_invite_prints_one_tab_separated_deep_link_per_person(tmp_path: Path) -> None:
    new_database(tmp_path)
    one = kkrbot(tmp_path, "invite", "a-medlem-1")
    everyone = kkrbot(tmp_path, "invite", "--all")

    person_id, link = one.stdout.strip().split("\t")
    assert person_id == "a-medlem-1"
    assert link.startswith("https://t.me/KKRNordjyllandBot?start=")
    assert len(everyone.stdout.strip().splitlines()) == 46


def test_invite_for_an_unknown_person_is_one_line_and_status_2(tmp_path: Path) -> None:
    new_database(tmp_path)
    result = kkrbot(tmp_path, "invite", "nobody")

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "nobody" in result.stderr
    assert "Traceback" not in result.stderr


ROSTER_HEADER = "id,name,role,municipality,party,mayor,substitute_id,vice_mayor_rank,phone,email\n"


def _roster_csv(rows: list[str]) -> str:
    return ROSTER_HEADER + "\n".join(rows) + "\n"


GOOD_ROWS = [
    "m1,Mayor One,member,Aalborg,A,ja,,,,",
    "e1,Elected One,member,Hjørring,A,nej,s1,,+45 20 00 00 01,e1@example.dk",
    "s1,Substitute One,substitute,Hjørring,A,nej,,,,",
    "v1,Vice One,substitute,Aalborg,V,nej,,1,,",
    "k1,Secretary One,secretariat,,,nej,,,,",
]


def test_a_roster_csv_replaces_the_roster(tmp_path: Path) -> None:
    (tmp_path / "roster.csv").write_text(_roster_csv(GOOD_ROWS))

    # Five people instead of the composition's 22 members: a real change of that size needs --force.
    result = kkrbot(tmp_path, "roster", "import", "roster.csv", "--force")
    listed = json.loads(kkrbot(tmp_path, "roster", "list", "--json").stdout)

    assert result.returncode == 0, result.stderr
    assert {p["id"] for p in listed} == {"m1", "e1", "s1", "v1", "k1"}
    assert {p["id"]: p["substitute_id"] for p in listed}["m1"] == "v1"


@pytest.mark.parametrize(
    ("bad_row", "expected"),
    [
        ("x1,Someone,member,Oslo,A,nej,s1,,,", "row 7 (x1): municipality"),
        ("x1,Someone,member,Aalborg,A,nej,,,,", "row 7 (x1): substitute_id"),
        ("x1,Someone,chair,Aalborg,A,nej,,,,", "row 7 (x1): role"),
        ("x1,Someone,member,Aalborg,A,maybe,,,,", "row 7: mayor"),
        ("x1,Someone,member,Aalborg,A,ja,,,,", "row 7 (x1): mayor: Aalborg already has mayor m1"),
        ("x1,Someone,substitute,Aalborg,A,nej,,,,not-an-address", "row 7 (x1): email"),
        ("m1,Someone,substitute,Aalborg,A,nej,,,,", "row 7 (m1): id: duplicate of row 2"),
    ],
)
def test_a_bad_roster_row_is_named_and_nothing_changes(tmp_path: Path, bad_row: str, expected: str) -> None:
    new_database(tmp_path)
    new_database(tmp_path)
    before = kkrbot(tmp_path, "roster", "list", "--json").stdout
    (tmp_path / "roster.csv").write_text(_roster_csv([*GOOD_ROWS, bad_row]))

    result = kkrbot(tmp_path, "roster", "import", "roster.csv")

    assert result.returncode == 2
    assert expected in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert kkrbot(tmp_path, "roster", "list", "--json").stdout == before


@pytest.mark.parametrize(
    ("bad_row", "expected"),
    [
        # M has 0.9 % of the region's votes: it takes no part, so none of its council members can substitute.
        ("e2,Elected Two,member,Aalborg,A,nej,s2,,,\ns2,Sub Two,substitute,Aalborg,M,nej,,,,", "R-COMP-1"),
        ("e2,Elected Two,member,Aalborg,QQ,nej,s2,,,\ns2,Sub Two,substitute,Aalborg,QQ,nej,,,,", "party 'QQ' has no"),
        # V's mayors fill all its seats (8 mayors, no supplementary seat): an elected V member has no seat.
        ("e2,Elected Two,member,Aalborg,V,nej,s2,,,\ns2,Sub Two,substitute,Aalborg,V,nej,,,,", "party V has 0"),
    ],
    ids=["r_comp_1_substitute_party", "unknown_party", "more_than_the_party_seats"],
)
def test_r_comp_1_an_import_that_does_not_fit_the_seats_is_refused_naming_the_row(
    tmp_path: Path, bad_row: str, expected: str
) -> None:
    new_database(tmp_path)
    before = kkrbot(tmp_path, "roster", "list", "--json").stdout
    (tmp_path / "roster.csv").write_text(_roster_csv([*GOOD_ROWS, *bad_row.split("\n")]))

    result = kkrbot(tmp_path, "roster", "import", "roster.csv", "--force")

    assert result.returncode == 2
    assert expected in result.stderr, result.stderr
    assert kkrbot(tmp_path, "roster", "list", "--json").stdout == before


def test_r_mem_6_an_import_making_a_viceborgmester_also_a_personal_substitute_is_refused(tmp_path: Path) -> None:
    """Aalborg's viceborgmester v1 substitutes for mayor m1 (R-MEM-2); as e2's personal substitute too, one person
    would stand in for two seats when both are absent, and the quorum would count both as filled."""
    new_database(tmp_path)
    before = kkrbot(tmp_path, "roster", "list", "--json").stdout
    (tmp_path / "roster.csv").write_text(_roster_csv([*GOOD_ROWS, "e2,Elected Two,member,Aalborg,A,nej,v1,,,"]))

    result = kkrbot(tmp_path, "roster", "import", "roster.csv", "--force")

    assert result.returncode == 2
    assert "row 7 (e2): substitute_id: v1 is the viceborgmester who substitutes for mayor m1" in result.stderr
    assert "R-MEM-6" in result.stderr
    assert kkrbot(tmp_path, "roster", "list", "--json").stdout == before


def test_r_mem_3_a_personal_substitute_of_another_party_needs_force(tmp_path: Path) -> None:
    """R-MEM-3 (inferred): a party elects its member's personal substitute, so a substitute of another eligible
    party is more likely a slip in the file than a choice; --force imports it."""
    rows = [*GOOD_ROWS, "e2,Elected Two,member,Aalborg,F,nej,s2,,,", "s2,Sub Two,substitute,Aalborg,A,nej,,,,"]
    (tmp_path / "roster.csv").write_text(_roster_csv(rows))

    refused = kkrbot(tmp_path, "roster", "import", "roster.csv")
    forced = kkrbot(tmp_path, "roster", "import", "roster.csv", "--force")

    assert refused.returncode == 2
    assert "rows 7, 8 (e2, s2): substitute_id" in refused.stderr
    assert "R-MEM-3" in refused.stderr
    assert "--force" in refused.stderr
    assert forced.returncode == 0, forced.stderr


def test_r_mem_5_a_mayors_party_may_differ_from_the_data(tmp_path: Path) -> None:
    rows = [r.replace("m1,Mayor One,member,Aalborg,A,", "m1,Mayor One,member,Aalborg,M,") for r in GOOD_ROWS]
    (tmp_path / "roster.csv").write_text(_roster_csv(rows))

    assert kkrbot(tmp_path, "roster", "import", "roster.csv", "--force").returncode == 0


def test_a_yaml_roster_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "roster.yaml").write_text(
        "people:\n"
        "  - {id: m1, name: Mayor One, role: member, municipality: Læsø, party: C, mayor: true}\n"
        "  - {id: v1, name: Vice One, role: substitute, municipality: Læsø, party: V, vice_mayor_rank: 1}\n"
        "  - {id: k1, name: Secretary One, role: secretariat}\n"
    )

    result = kkrbot(tmp_path, "roster", "import", "roster.yaml", "--force")

    assert result.returncode == 0, result.stderr
    assert "3 added" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value"),
    [("KKRBOT_TIMEZONE", "Mars/Olympus"), ("KKRBOT_DEFAULT_LANGUAGE", "de"), ("KKRBOT_INVITE_TTL_DAYS", "-3")],
)
def test_a_wrong_setting_stops_the_start_with_one_clear_line(tmp_path: Path, variable: str, value: str) -> None:
    result = kkrbot(tmp_path, "console", env={variable: value}, typed="/quit\n")

    assert result.returncode == 2
    assert result.stderr.startswith(f"kkrbot: {variable}:")
    assert result.stderr.count("\n") == 1


def test_run_without_a_token_starts_the_console_and_says_so(tmp_path: Path) -> None:
    result = kkrbot(tmp_path, "run", typed="/naeste\n/quit\n")

    assert result.returncode == 0, result.stderr
    first_line = result.stdout.splitlines()[0]
    assert "KKRBOT_TELEGRAM_TOKEN" in first_line
    assert "konsollen" in first_line
    assert "fredag den" in result.stdout


def test_the_console_plays_a_member_and_their_substitute(tmp_path: Path) -> None:
    """R-MEET-5 in the console: the member reports absence, then, acting as the substitute, presses
    the alert's first button; the member and the secretariat hear of it."""
    result = kkrbot(tmp_path, "console", typed="/as a-medlem-2\n/afbud\n1\n1\n/as a-stedfortraeder-2\n1\n/quit\n")

    assert result.returncode == 0, result.stderr
    after_switch = result.stdout.split("(a-stedfortraeder-2)")[1]
    assert "[1] Jeg deltager  [2] Jeg kan ikke" in after_switch
    assert "og sekretariatet får besked om, at du deltager" in after_switch
    assert "── leveret til Pia Fiktivsen ──" in after_switch
    assert "Forventet fremmøde: 22 af 22" in after_switch


def test_the_console_keeps_an_agenda_on_several_lines(tmp_path: Path) -> None:
    """A line ending in a backslash continues the request, so an agenda keeps one item a line."""
    typed = "/as sekretariat-1\n/dagsorden 12.02.2027 \\\n1. Velkomst\\\n2. Eventuelt\n/naeste\n/quit\n"
    result = kkrbot(tmp_path, "console", typed=typed)

    assert result.returncode == 0, result.stderr
    assert "Dagsorden:\n1. Velkomst\n2. Eventuelt" in result.stdout
