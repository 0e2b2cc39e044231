"""The instructions a start of kkrbot executes, without the network, counted by valgrind's callgrind: importing the
bot, opening the database and the conversation, building the Telegram Application (no getMe, no polling). Issue
25's start goal, in a count that no busy host moves: what a change to the start saves shows here when the wall
time of `bench.bench_cost`'s starts varies more than the change.

The hash seed is fixed (PYTHONHASHSEED=0): with a random one the count of the same import moves by some 35 M. With
`--tree DIR` (another checkout: `git worktree add /tmp/old HEAD~1`) it counts that tree's start too, beside this
one's; `--import-only` counts `import bot.cli` alone, and prints `import telegram.ext` (the echo bot's) beside it.

Run from the project root: .venv/bin/python -m bench.start_instructions --tree /tmp/old   (about a minute)
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.processes import PROJECT_ROOT

START = """
import asyncio, sys
from pathlib import Path
from bot.app import open_conversation
from bot.channels.telegram import build_application
from bot.config import Settings

async def start() -> None:
    settings = Settings(_env_file=None, database=Path(sys.argv[1]))
    conversation = await open_conversation(settings)
    build_application("1:x", "http://127.0.0.1:9/bot", "http://127.0.0.1:9/file", conversation, conversation.db)
    await conversation.db.close()

asyncio.run(start())
"""


def environment(tree: Path) -> dict[str, str]:
    """`tree`'s bot and kkrcore first on the path, the hash seed fixed, no KKRBOT_ setting of this shell."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith("KKRBOT_")}
    return kept | {"PYTHONHASHSEED": "0", "PYTHONPATH": str(tree)}


def instructions(tree: Path, code: str, *args: str) -> int:
    """What `python -c code args` executes in user space."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "callgrind.out"
        result = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, "-c", code, *args],
            env=environment(tree), cwd=scratch, capture_output=True, text=True, check=True,
        )  # fmt: skip
    found = re.search(r"Collected : (\d+)", result.stderr)
    if found is None:
        raise RuntimeError(f"callgrind counted nothing: {result.stderr[-500:]}")
    return int(found.group(1))


def start_instructions(tree: Path) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        database = str(Path(scratch) / "kkrbot.sqlite3")
        # Made, migrated and seeded, and the bytecode compiled, first: the count is of a start on a warm database.
        subprocess.run([sys.executable, "-c", START, database], env=environment(tree), cwd=scratch, check=True)
        return instructions(tree, START, database)


def main(trees: list[Path], import_only: bool) -> None:
    counted = {}
    for tree in trees:
        counted[tree] = instructions(tree, "import bot.cli") if import_only else start_instructions(tree)
        what = "import bot.cli" if import_only else "start without the network"
        print(f"{tree}: {what}: {counted[tree]:,} instructions", flush=True)
    if import_only:
        echo = instructions(PROJECT_ROOT, "import telegram.ext")
        print(f"import telegram.ext (the echo bot's): {echo:,} instructions")
    if len(trees) == 2:
        print(f"{trees[0]} / {trees[1]}: {counted[trees[0]] / counted[trees[1]]:.3f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, help="another checkout, counted beside this one")
    parser.add_argument("--import-only", action="store_true", help="count `import bot.cli` alone")
    arguments = parser.parse_args()
    main([PROJECT_ROOT, *([arguments.tree] if arguments.tree else [])], arguments.import_only)
