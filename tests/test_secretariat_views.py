"""The secretariat's views default to the meeting that matters (issue #10 item 7): /referat to the last meeting
held, /fremmoede to the next; a meeting that is over has an attendance, not an expected one (R-MEET-4);
/fremmoede gives the substitutes' phone numbers and who has not answered; `kkrbot minutes` and
`kkrbot attendance` export the same for the minutes document."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import COPENHAGEN, REFERENCE_NOW, RunningBot
from tests.test_absence_e2e import MEMBER, SECRETARY, SUBSTITUTE, council, message_to, names, text
from tests.test_cli import kkrbot

__all__ = ["council"]  # the fixture, shared with the absence tests

HELD = "fredag den 20. november 2026 kl. 10.00–12.00"


async def absence_at_the_20_november_meeting(council: RunningBot, *, accepted: bool) -> None:
    """Reported the week before; on REFERENCE_NOW (Monday 23 November) that meeting was three days ago."""
    council.clock.now = datetime(2026, 11, 16, 9, 0, tzinfo=COPENHAGEN)
    await council.ask(MEMBER, "/afbud 20.11.2026 ok")
    alert = (await message_to(council, SUBSTITUTE, "har meldt afbud"))[0]
    await message_to(council, SECRETARY, "har meldt afbud")
    if accepted:
        await council.press(SUBSTITUTE, alert, "Jeg deltager")
        await message_to(council, SECRETARY, "deltager for")
    council.clock.now = REFERENCE_NOW


async def test_minutes_default_to_the_meeting_just_held(council: RunningBot) -> None:
    people = await names(council)
    await absence_at_the_20_november_meeting(council, accepted=True)

    minutes = await council.ask(SECRETARY, "/referat")

    assert text(minutes).startswith(f"Til referatet: {HELD}")
    # Nobody recorded who came (R-MEET-4): what the substitute answered, not that they attended.
    assert "Ifølge afbud og svar; hvem der kom, er ikke registreret." in text(minutes)
    assert (
        f"{people['a-medlem-1']} (eksempel) (A) havde meldt afbud, og "
        f"{people['a-stedfortraeder-1']} (eksempel) (A) havde sagt ja til at deltage i stedet." in text(minutes)
    )
    assert "deltog i stedet" not in text(minutes)


async def test_attendance_defaults_to_the_next_meeting(council: RunningBot) -> None:
    attendance = await council.ask(SECRETARY, "/fremmoede")

    assert text(attendance).startswith("Fremmøde: fredag den 12. februar 2027")
    assert "Forventet fremmøde: 22 af 22" in text(attendance)


async def test_r_meet_4_a_meeting_that_is_over_without_a_record_has_no_attendance_stated_as_fact(
    council: RunningBot,
) -> None:
    await absence_at_the_20_november_meeting(council, accepted=False)

    attendance = await council.ask(SECRETARY, "/fremmoede 20.11.2026")

    assert "Ifølge afbud og svar ventedes 21 af 22; beslutningsdygtighed krævede 11." in text(attendance)
    assert "Hvem der kom, er ikke registreret endnu." in text(attendance)
    assert "Fremmøde: 21 af 22" not in text(attendance)
    assert "beslutningsdygtigt" not in text(attendance)
    assert "Registrer fremmøde" in str(attendance.buttons)
    assert "Mangler svar" not in text(attendance)  # too late to chase anyone


async def test_attendance_gives_the_substitutes_phone_and_who_has_not_answered(council: RunningBot) -> None:
    people = await names(council)
    await council.ask(MEMBER, "/afbud 12.02.2027 ok")
    await message_to(council, SECRETARY, "har meldt afbud")

    attendance = await council.ask(SECRETARY, "/fremmoede")

    substitute = f"{people['a-stedfortraeder-1']} (eksempel)"
    assert f"stedfortræder {substitute} (telefon +45" in text(attendance)
    assert f"Mangler svar: {substitute}, +45" in text(attendance)


def console_absence(tmp_path: Path, *, accepted: bool) -> None:
    """A member reports absence for 12 February 2027 in the console, and the substitute answers."""
    answer = "1" if accepted else "2"
    typed = f"/as a-medlem-2\n/afbud 12.02.2027 ok\n/as a-stedfortraeder-2\n{answer}\n/quit\n"
    assert kkrbot(tmp_path, "console", typed=typed).returncode == 0


def test_minutes_export_as_markdown_and_csv(tmp_path: Path) -> None:
    console_absence(tmp_path, accepted=True)

    markdown = kkrbot(tmp_path, "minutes", "12.02.2027")
    table = kkrbot(tmp_path, "minutes", "2027-02-12", "--format", "csv")

    assert markdown.returncode == 0, markdown.stderr
    assert markdown.stdout.splitlines()[0] == "## Til referatet: fredag den 12. februar 2027 kl. 10.00–12.00"
    # The export runs at the reference instant (tests/process_clock.py): the meeting is ahead, so the present tense.
    tense = "har meldt afbud, og "
    assert markdown.stdout.splitlines()[2] == (
        "Til brug for KL's referat: møderne er ikke offentlige, og KL offentliggør referatet."
    )
    assert markdown.stdout.splitlines()[-1].startswith(f"- Pia Fiktivsen (eksempel) (A) {tense}")
    assert table.returncode == 0, table.stderr
    header, row = table.stdout.splitlines()
    assert header == "meeting,member_id,member,party,substitute_id,substitute,attended,text,basis"
    assert row.endswith(",notices")
    assert row.startswith("2027-02-12,a-medlem-2,Pia Fiktivsen,A,a-stedfortraeder-2,Rasmus Opdigtsen,yes,")


def test_attendance_export_as_json(tmp_path: Path) -> None:
    console_absence(tmp_path, accepted=False)

    result = kkrbot(tmp_path, "attendance", "12.02.2027", "--json")

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["meeting"]["id"] == "2027-02-12"
    assert (document["members"], document["present"], document["required"]) == (22, 21, 11)
    assert document["over"] is False
    [absence] = document["absences"]
    assert absence["member_id"] == "a-medlem-2"
    assert absence["substitute_answer"] == "declined"
    assert absence["substitute_phone"].startswith("+45")
    assert document["not_answered"] == []


@pytest.mark.parametrize(
    "args",
    [
        ("minutes", "13.02.2027"),
        ("minutes", "igår"),
        ("minutes", "12.02.2027", "--format", "pdf"),
        ("attendance", "31.02.2027", "--json"),
    ],
)
def test_a_bad_export_request_is_one_line_and_status_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = kkrbot(tmp_path, *args)

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("kkrbot: ")
    assert "Traceback" not in result.stderr
