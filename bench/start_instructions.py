"""The instructions a start of kkrbot executes, without the network, counted by valgrind's callgrind: importing the
bot, opening the database and the conversation, building the Telegram Application (no getMe, no polling). Issue
25's start goal, in a count that no busy host moves: what a change to the start saves shows here when the wall
time of `bench.bench_cost`'s starts varies more than the change.

The hash seed is fixed (PYTHONHASHSEED=0): with a random one the count of the same import moves by some 35 M. With
`--tree DIR` (another checkout: `git worktree add /tmp/old HEAD~1`) it counts that tree's start too, beside this
one's; `--import-only` counts `import bot.cli` alone, and prints `import telegram.ext` (the echo bot's) beside it.
Each tree's bytecode and catalogs are compiled first, as in an installed kkrbot.

Run from the project root: .venv/bin/python -m bench.start_instructions --tree /tmp/old   (about a minute)
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from functools import partial
from pathlib import Path

from tests.process_clock import kkrbot_environment
from tests.processes import PROJECT_ROOT

START = """
import asyncio
from bot.app import open_conversation
from bot.channels.telegram import build_application
from bot.config import Settings

async def start() -> None:
    settings = Settings(_env_file=None)  # KKRBOT_DATABASE
    conversation = await open_conversation(settings)
    build_application("1:x", "http://127.0.0.1:9/bot", "http://127.0.0.1:9/file", conversation, conversation.db)
    await conversation.db.close()

asyncio.run(start())
"""


def environment(tree: Path, database: Path) -> dict[str, str]:
    """A bench process's (the real clock, no KKRBOT_ setting of this shell) with `tree`'s bot and kkrcore first on
    the path and the hash seed fixed."""
    return kkrbot_environment(database, real_clock=True, PYTHONHASHSEED="0", PYTHONPATH=str(tree))


def instructions(tree: Path, code: str, database: Path) -> int:
    """What `python -c code` executes in user space."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "callgrind.out"
        result = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, "-c", code],
            env=environment(tree, database), cwd=scratch, capture_output=True, text=True, check=True,
        )  # fmt: skip
    found = re.search(r"Collected : (\d+)", result.stderr)
    if found is None:
        raise RuntimeError(f"callgrind counted nothing: {result.stderr[-500:]}")
    return int(found.group(1))


def prepare(tree: Path, database: Path, scratch: str) -> None:
    """As in an installed kkrbot (bench.bench_cost's `prepare`, for any tree): the bytecode and the catalogs compiled,
    which a start otherwise compiles every time; and the database made, migrated and seeded: a warm start."""
    run = partial(subprocess.run, env=environment(tree, database), cwd=scratch, check=True, capture_output=True)
    run([sys.executable, "-m", "compileall", "-q", str(tree / "bot"), str(tree / "kkrcore")])
    run([sys.executable, "-m", "bot", "compile-locales"])
    run([sys.executable, "-c", START])


def main(trees: list[Path], import_only: bool) -> None:
    counted: dict[Path, int] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for tree in trees:
            database = Path(scratch) / f"kkrbot-{len(counted)}.sqlite3"
            prepare(tree, database, scratch)
            counted[tree] = instructions(tree, "import bot.cli" if import_only else START, database)
            what = "import bot.cli" if import_only else "start without the network"
            print(f"{tree}: {what}: {counted[tree]:,} instructions", flush=True)
        if import_only:
            echo = instructions(PROJECT_ROOT, "import telegram.ext", database)
            print(f"import telegram.ext (the echo bot's): {echo:,} instructions")
    if len(trees) == 2:
        print(f"{trees[0]} / {trees[1]}: {counted[trees[0]] / counted[trees[1]]:.3f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, help="another checkout, counted beside this one")
    parser.add_argument("--import-only", action="store_true", help="count `import bot.cli` alone")
    arguments = parser.parse_args()
    main([PROJECT_ROOT, *([arguments.tree] if arguments.tree else [])], arguments.import_only)
