"""Every console transcript in the docs is what the bot prints today: each doc's transcripts are typed into a real
console on a fresh database, and what it prints must read as the doc shows it (`...` in a doc leaves lines out,
a line ending in `...` is cut short there)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.process_clock import kkrbot_environment

ROOT = Path(__file__).resolve().parent.parent
TEXT_BLOCK = re.compile(r"^```text\n(.*?)^```$", re.MULTILINE | re.DOTALL)

# What must happen before a doc's transcript starts, when it picks up where another left off.
SETUP = {
    "docs/members.md": ["/as a-medlem-2", "/afbud 12.02", "1"],
    "docs/secretariat.md": ["/as sekretariat-1"],
}
DOCS_WITH_TRANSCRIPTS = ["README.md", "docs/tutorial.md", "docs/members.md", "docs/secretariat.md"]


def transcript(doc: str) -> tuple[list[str], list[str]]:
    """What is typed (lines after `> `, and the lines a typed `\\` continues onto) and what the bot prints."""
    typed: list[str] = []
    printed: list[str] = []
    for block in TEXT_BLOCK.findall((ROOT / doc).read_text(encoding="utf-8")):
        lines = block.rstrip("\n").split("\n")
        if not any(line.startswith("> /") for line in lines):
            continue  # an example of input, or a configuration file
        continuing = False
        for line in lines:
            if line.startswith("> ") or continuing:
                typed.append(line.removeprefix("> "))
                continuing = line.endswith("\\")
            else:
                printed.append(line)
    return typed, printed


def as_pattern(printed: list[str]) -> re.Pattern[str]:
    parts = []
    for line in printed:
        if line == "...":
            parts.append(r"(?:[^\n]*\n)*?")
        elif line.endswith(" ..."):
            parts.append(re.escape(line.removesuffix("...")) + r"[^\n]*\n")
        else:
            parts.append(re.escape(line) + r"\n")
    return re.compile("".join(parts))


def console(tmp_path: Path, typed: list[str]) -> str:
    environment = kkrbot_environment(tmp_path / "kkrbot.sqlite3")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=environment,
        input="\n".join([*typed, "/quit"]) + "\n",
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout
    return result.stdout


@pytest.mark.parametrize("doc", DOCS_WITH_TRANSCRIPTS)
def test_the_docs_console_transcripts_are_what_the_console_prints(tmp_path: Path, doc: str) -> None:
    typed, printed = transcript(doc)
    assert typed, f"{doc} has no console transcript"
    output = console(tmp_path, SETUP.get(doc, []) + typed)
    if not as_pattern(printed).search(output):
        agrees = max(n for n in range(len(printed) + 1) if as_pattern(printed[:n]).search(output))
        pytest.fail(f"{doc}: the console prints otherwise from line {printed[agrees]!r} on:\n{output}")
