"""The console (issue #10 item 11 and item 4): it survives what a person can type, quits on Ctrl-C at once,
and a substitute's answer buttons stay pressable after they type something else."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.process_clock import kkrbot_environment
from tests.test_cli import kkrbot


def test_a_slash_alone_is_answered_and_the_console_goes_on(tmp_path: Path) -> None:
    result = kkrbot(tmp_path, "console", typed="/\n/naeste\n/quit\n")

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "Jeg kender ikke kommandoen /." in result.stdout
    assert "fredag den 12. februar 2027" in result.stdout


def test_a_superscript_digit_is_no_button_and_the_console_goes_on(tmp_path: Path) -> None:
    # "²".isdigit() is true, but int("²") fails: the console read it as a button number and stopped.
    result = kkrbot(tmp_path, "console", typed="/naeste\n²\n/naeste\n/quit\n")

    assert result.returncode == 0, result.stderr
    assert "ValueError" not in result.stderr
    assert result.stdout.count("fredag den 12. februar 2027") >= 2


def test_a_line_cut_inside_a_letter_is_answered_and_the_console_goes_on(tmp_path: Path) -> None:
    """An agenda line cut after the first byte of 'æ' (0xC3 0xA6): the half letter is stored and shown as
    U+FFFD (a surrogate could not be written to the database)."""
    environment = kkrbot_environment(tmp_path / "kkrbot.sqlite3")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "console"],
        cwd=tmp_path,
        env=environment,
        input=b"/as sekretariat-1\n/dagsorden 12.02.2027 Velkomst \xc3\n/naeste\n/quit\n",
        capture_output=True,
        timeout=60,
    )

    stdout = result.stdout.decode(errors="replace")
    assert result.returncode == 0, result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()
    assert "Velkomst \ufffd" in stdout.split("NÆSTE MØDE")[1]


def test_ctrl_c_quits_at_once_without_another_line(tmp_path: Path) -> None:
    environment = kkrbot_environment(tmp_path / "kkrbot.sqlite3")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "console"],
        cwd=tmp_path,
        env=environment,
        stdin=subprocess.PIPE,  # kept open: nobody types another line
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write("/naeste\n")
        process.stdin.flush()
        while "Alle møder" not in process.stdout.readline():
            pass
        time.sleep(1)  # not a measurement: lets the console get back to waiting for the next line
        process.send_signal(signal.SIGINT)
        returncode = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert returncode == 130
    assert process.stderr is not None
    assert "Traceback" not in process.stderr.read()


def test_a_substitutes_answer_buttons_survive_another_question(tmp_path: Path) -> None:
    """R-MEET-5: alerted, the substitute first looks at the next meeting; the alert's answers stay numbered
    after that answer's own buttons, and pressing one answers the alert."""
    typed = "/as a-medlem-2\n/afbud 12.02.2027 ok\n/as a-stedfortraeder-2\n/naeste\n3\n/quit\n"

    result = kkrbot(tmp_path, "console", typed=typed)

    assert result.returncode == 0, result.stderr
    after_next = result.stdout.split("NÆSTE MØDE")[1]
    assert "[1] Alle møder  [2] Føj til kalender  [3] Jeg deltager  [4] Jeg kan ikke" in after_next
    assert "og sekretariatet får besked om, at du deltager" in after_next


def test_an_alerts_answer_buttons_are_gone_once_the_absence_is_withdrawn(tmp_path: Path) -> None:
    """R-MEET-5: the alert's answers are held open only while the alert can still be answered. Once the member
    withdraws the absence they are no longer offered, and the number they had presses nothing."""
    typed = (
        "/as a-medlem-2\n/afbud 12.02.2027 ok\n/as a-stedfortraeder-2\n/naeste\n"
        "/as a-medlem-2\n/fortryd\n1\n/as a-stedfortraeder-2\n/naeste\n3\n/quit\n"
    )

    result = kkrbot(tmp_path, "console", typed=typed)

    assert result.returncode == 0, result.stderr
    held, withdrawn = result.stdout.split("Dit afbud til fredag den 12. februar 2027 kl. 10.00–12.00 er trukket")
    assert "[3] Jeg deltager  [4] Jeg kan ikke" in held
    assert "Jeg deltager" not in withdrawn
    assert "Jeg kan ikke" not in withdrawn
    assert "Der er ingen knap 3; vælg 1–2." in withdrawn


def test_an_alerts_answers_held_open_follow_a_change_of_language_and_are_offered_once(tmp_path: Path) -> None:
    """Alerted in Danish, the substitute switches to English: the alert's answers are offered in English from then
    on, and where an answer also carries them, only once."""
    typed = "/as a-medlem-2\n/afbud 12.02.2027 ok\n/as a-stedfortraeder-2\n/sprog en\n/naeste\nhello\n/quit\n"

    result = kkrbot(tmp_path, "console", typed=typed)

    assert result.returncode == 0, result.stderr
    in_english = result.stdout.split("I will write to you in English from now on.")[1]
    assert "Jeg deltager" not in in_english
    assert "Jeg kan ikke" not in in_english
    next_meeting, free_text = in_english.split("NEXT MEETING")[1].split("I understand commands such as")
    assert "[1] All meetings  [2] Add to calendar  [3] I will attend  [4] I cannot\n" in next_meeting
    assert "[5]" not in next_meeting
    assert "[4] Composition  [5] I will attend  [6] I cannot\n" in free_text


def test_the_consoles_own_words_follow_the_language_of_the_person_it_acts_as(tmp_path: Path) -> None:
    result = kkrbot(tmp_path, "console", typed="/naeste\n9\n/sprog en\n9\n/as sekretariat-1\n/naeste\n9\n/quit\n")

    assert result.returncode == 0, result.stderr
    before, after = result.stdout.split("I will write to you in English from now on.")
    assert "Der er ingen knap 9; vælg 1–" in before
    english, secretary = after.split("Du er nu Anne Eksempelsen (sekretariat-1).")
    assert "There is no button 9; choose 1–5." in english
    assert "Der er ingen knap 9; vælg 1–" in secretary


def test_acting_as_an_id_nobody_has_says_how_to_find_the_right_one(tmp_path: Path) -> None:
    result = kkrbot(tmp_path, "console", typed="/as nobody\n/naeste\n/quit\n")

    assert result.returncode == 0, result.stderr
    answer = "Der er ingen med id „nobody“ i medlemslisten. Skriv /as PERSON-ID; /who viser medlemslisten."
    assert answer in result.stdout
    assert "fredag den 12. februar 2027" in result.stdout
