"""What the running bot leaves unimported until it needs it (issue 25's memory and start goals): each of these is
imported where a workbook, a calendar, a YAML roster or a working-day deadline is read or computed, and weighs
megabytes a bot that answers its members never uses (bench.bench_memory, docs/benchmarks.md)."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.processes import PROJECT_ROOT

# holidays with python-dateutil, which only it imports: some 3 MiB of VmRSS (bench.bench_memory).
LATER = ("holidays", "dateutil", "openpyxl", "icalendar", "yaml")


def loaded_at_start(packages: tuple[str, ...]) -> list[str]:
    """Which of `packages` a fresh process has imported once the running bot's modules are (its start)."""
    code = (
        "import sys, bot.cli, bot.app, bot.channels.telegram, bot.channels.console, bot.core.conversation\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({packages!r})))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    return list(ast.literal_eval(result.stdout.strip()))


def test_the_running_bot_starts_without_the_packages_it_needs_only_later() -> None:
    assert loaded_at_start(LATER) == []
