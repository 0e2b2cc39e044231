"""The one grammar of `kkrbot`'s commands (issue 23): `--json` on what lists or shows, `--output FILE` (`-`
for standard output) on what writes a file, `--yes` or a typed confirmation before what tells people or
cannot be undone, and a missing database refused by every command that does not create one.

Each command adds its options with these helpers and calls them, so a new command (`invite --email`,
`attendance record`, `chair record`) gets the same words and the same behaviour by using them.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from bot.core.dates import parse_date
from bot.storage.files import write_private

# `-` as a file name means standard output, as in most Unix tools.
STDOUT = "-"
# The first 16 bytes of every SQLite database file.
SQLITE_HEADER = b"SQLite format 3\x00"


class UsageError(Exception):
    """A mistake the person at the terminal can fix; the message is the whole explanation."""


def not_a_date(text: str) -> str:
    """What a date the command line cannot read (31.02.2027, "tomorrow") is told, with the form expected."""
    return f"{text!r} is not a valid date: write it as DD.MM.YYYY, e.g. 12.02.2027, or YYYY-MM-DD"


def no_meeting(text: str) -> str:
    """Why `text` names no meeting: a day that does not exist (31.02.2027) is no date at all, and the operator is
    told the form expected rather than sent looking for a meeting on it."""
    if parse_date(text, date.today()) is None:
        return not_a_date(text)
    return f"there is no KKR meeting on {text}"


def add_json(parser: argparse.ArgumentParser, shape: str) -> None:
    """`--json`: the same answer as JSON for scripts; `shape` documents it in `--help`."""
    parser.add_argument("--json", action="store_true", help=f"print JSON: {shape}")


def add_output(parser: argparse.ArgumentParser, what: str, *, default: str = "standard output") -> None:
    parser.add_argument(
        "--output", "-o", metavar="FILE", help=f"write {what} to FILE ({STDOUT} = standard output; default: {default})"
    )


def add_yes(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--yes",
        "-y",
        action="store_true",
        help="do it without asking (needed without a terminal, e.g. in cron or CI)",
    )


def dump_json(data: Any) -> str:
    """Every `--json` answer: UTF-8 as written (æ, ø, å unescaped), indented, keys in the documented order."""
    return json.dumps(data, ensure_ascii=False, indent=2)


def is_stdout(output: str | Path | None) -> bool:
    return output is None or str(output) == STDOUT


def write_output(content: str | bytes, output: str | Path | None, *, what: str, public: bool = False) -> str:
    """Writes to the file named, or to standard output for `-` or none; returns the line to print after a
    file (empty after standard output, which must hold only the content). A file is the owner's only (0600):
    what the CLI writes holds personal data (roster, minutes, attendance), except a `public` one (the calendar,
    which keeps the umask)."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    if is_stdout(output):
        sys.stdout.buffer.write(data)
        if data and not data.endswith(b"\n"):
            sys.stdout.buffer.write(b"\n")
        sys.stdout.buffer.flush()
        return ""
    path = Path(str(output))
    try:
        if public:
            path.write_bytes(data)
        else:
            write_private(path, data)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror}") from None
    return f"{what} written to {path}"


def confirm(question: str, *, yes: bool, stdin: TextIO | None = None, stderr: TextIO | None = None) -> None:
    """Asks before a command tells people or cannot be undone. With `--yes` it goes ahead; without a
    terminal to ask on it refuses at once (cron and CI never hang on a question nobody sees)."""
    if yes:
        return
    stdin = stdin or sys.stdin
    stderr = stderr or sys.stderr
    if not stdin.isatty():
        raise UsageError(f"{question} Not done: no terminal to ask on; add --yes to do it without asking")
    print(f"{question} [y/N] ", end="", file=stderr, flush=True)
    answer = stdin.readline().strip().lower()
    if answer not in ("y", "yes", "j", "ja"):
        raise UsageError("not done (answer y to go ahead)")


# The commands that may create a database where none is: the bot itself, the console, the first roster import
# and a restore. Every other command on a missing file is a mistyped KKRBOT_DATABASE.
CREATING_COMMANDS = frozenset({"run", "console", "roster import", "restore"})
# Commands that never open the database.
NO_DATABASE_COMMANDS = frozenset({"compile-locales", "health"})


def command_name(args: argparse.Namespace) -> str:
    """`roster import`, `meeting`, ...: the command and, for `roster`, its sub-command."""
    if args.command == "roster":
        return f"roster {args.roster_command}"
    return str(args.command)


def require_database(database: Path, command: str) -> None:
    """Refuses a missing (or empty, or non-SQLite) database file for a command that does not create one,
    instead of creating an empty database with the example roster."""
    if command in CREATING_COMMANDS or command in NO_DATABASE_COMMANDS:
        return
    hint = "check KKRBOT_DATABASE (kkrbot run, kkrbot console or kkrbot roster import FILE create a database)"
    if not database.is_file():
        raise UsageError(f"no database at {database}: {hint}")
    try:
        with database.open("rb") as file:
            header = file.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise UsageError(f"{database}: cannot read: {exc.strerror}") from None
    if header != SQLITE_HEADER:
        raise UsageError(f"{database} is not a kkrbot database: {hint}")
