"""`kkrbot --help` as the reference of the command line (issue 23): every command's one-line summary (its
`help=`) and an example, and the documented shape of each `--json` answer.

A command without an example here is listed without one, and tests/test_cli_grammar.py fails, so a new command
gets its example when it is added.
"""

from __future__ import annotations

import argparse
from typing import Any

EXAMPLES = {
    "run": "kkrbot run",
    "console": "kkrbot console",
    "roster": "kkrbot roster import roster.xlsx --dry-run",
    "invite": "kkrbot invite --all  (by e-mail: kkrbot invite --email --all --yes)",
    "backup": "kkrbot backup --output /safe/kkrbot.sqlite3",
    "restore": "kkrbot restore /safe/kkrbot.sqlite3",
    "minutes": "kkrbot minutes 12.02.2027 --format csv --output referat.csv",
    "attendance": "kkrbot attendance 12.02.2027 --json  (record: kkrbot attendance record 12.02.2027 absent ID)",
    "health": "kkrbot health",
    "compile-locales": "kkrbot compile-locales",
    "calendar": "kkrbot calendar --output kkr.ics",
    "broadcast": 'kkrbot broadcast --audience members --text "Dagsordenen er udsendt" --yes',
    "election": "kkrbot election alliances --json",
    "forum": "kkrbot forum list --json",
    "chair": "kkrbot chair record aalborg-borgmester jammerbugt-borgmester",
    "meeting": "kkrbot meeting move 12.02.2027 --to 19.02.2027 --yes",
    "period": "kkrbot period load kkr-2030-2034.json roster-2030.xlsx --dry-run",
}

# The shapes of the `--json` answers, as `--help` documents them.
ROSTER_JSON = (
    '[{"id", "name", "role", "municipality", "party", "mayor", "substitute_id", "telegram_bound", "example", ...}]'
)
MEETING_JSON = (
    'list: [{"id", "start", "end", "place", "address", "extra", "cancelled", "sequence", "moved_from"}]; '
    'move/cancel/add: {"action", "meeting": {...as in list}, "concerned", "told"}'
)

GRAMMAR = """\
Every command that lists or shows takes --json; every command that writes a file takes --output FILE
(- is standard output); a command that tells people or cannot be undone asks first, or takes --yes
(without a terminal and without --yes it refuses). Only run, console, roster import and restore
create a database; every other command refuses a missing KKRBOT_DATABASE."""


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _summaries(commands: Any) -> dict[str, str]:
    return {choice.dest: choice.help or "" for choice in commands._choices_actions}


def describe_commands(parser: argparse.ArgumentParser, commands: Any) -> None:
    """Gives `kkrbot --help` the list of commands with an example each, and each command's `--help` its
    example, once every command is added."""
    summaries = _summaries(commands)
    lines = ["commands, each with an example:"]
    for name, sub in _subparsers(parser).items():
        example = EXAMPLES.get(name)
        lines.append(f"  {name:<16} {summaries.get(name, '')}")
        if example:
            lines.append(f"  {'':<16} e.g. {example}")
            sub.epilog = f"example: {example}"
            sub.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = "\n".join([*lines, "", GRAMMAR])
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
