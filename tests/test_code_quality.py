"""Lint, format and strict typing run as tests, so the README's single test command checks them too."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "command",
    [
        ["-m", "ruff", "check", "."],
        ["-m", "ruff", "format", "--check", "."],
        ["-m", "mypy", "--strict", "kkrcore"],
        ["-m", "mypy", "--strict", "bot"],
    ],
    ids=["ruff-check", "ruff-format", "mypy-strict-kkrcore", "mypy-strict-bot"],
)
def test_code_quality(command: list[str]) -> None:
    result = subprocess.run([sys.executable, *command], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
