"""What the outbox's indexes cost as it grows (migration 28; issue 25): the read behind a typed "ja" (the yes/no
questions recently sent to one chat, bot/core/usecases/typed_answers.py) and a sent mark with its commit (as the
outbox commits it: WAL, synchronous=NORMAL, secure_delete), with today's indexes and with the schema before 28
(outbox_pending, a full index holding sent_at, instead of outbox_recipient), on copies of one database.

The outbox is never emptied (retention scrubs a row's text, keeps the row): --rows sent messages, one a minute, to
--people chats. CPU of this process (time.process_time), which runs alone; put it on one core with taskset.

Run from the project root: taskset -c 0 .venv/bin/python -m bench.outbox_reads --rows 20000 --people 46
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.usecases.typed_answers import SENT_TO_CHAT_SINCE
from bot.storage.db import Database, utc_text

BEFORE_28 = "DROP INDEX outbox_recipient; CREATE INDEX outbox_pending ON outbox (channel, sent_at, failed_at, id);"
QUERIES = 200
MARKS = 2000


async def build(path: Path, sent: int, people: int) -> None:
    database = await Database.open(path)  # today's schema
    await database.close()
    conn = sqlite3.connect(path, isolation_level=None)
    start = datetime(2027, 1, 1, tzinfo=UTC)
    payload = json.dumps({"text": "x" * 300})
    conn.execute("BEGIN")
    for n in range(sent):
        at = utc_text(start + timedelta(minutes=n))
        conn.execute(
            "INSERT INTO outbox (channel, address, payload, created_at, not_before, sent_at, lane) "
            "VALUES ('telegram', ?, ?, ?, '', ?, 'interactive')",
            (str(n % people), payload, at, at),
        )
    conn.execute("COMMIT")
    conn.close()


def measure(path: Path, people: int) -> tuple[float, float]:
    """CPU µs per read of one chat's last 24 hours, and per sent mark with its commit."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA secure_delete=ON")
    last = conn.execute("SELECT max(created_at) FROM outbox").fetchone()[0]
    since = utc_text(datetime.fromisoformat(last) - timedelta(hours=24))
    began = time.process_time()
    for n in range(QUERIES):
        conn.execute(SENT_TO_CHAT_SINCE, ("telegram", str(n % people), since)).fetchall()
    read = (time.process_time() - began) / QUERIES * 1e6
    ids = [row[0] for row in conn.execute("SELECT id FROM outbox ORDER BY id DESC LIMIT ?", (MARKS,))]
    conn.execute("UPDATE outbox SET sent_at = NULL WHERE id >= ?", (min(ids),))
    began = time.process_time()
    for outbox_id in ids:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE outbox SET sent_at = ? WHERE id IN (?)", (last, outbox_id))
        conn.execute("COMMIT")
    mark = (time.process_time() - began) / len(ids) * 1e6
    conn.close()
    return read, mark


@contextlib.contextmanager
def copy_of(built: Path, script: str) -> Iterator[Path]:
    """A copy of the database `built`, with `script` run on it (an older schema), removed afterwards."""
    path = built.with_name("copy.sqlite3")
    shutil.copyfile(built, path)
    try:
        if script:
            with sqlite3.connect(path) as conn:
                conn.executescript(script)
        yield path
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def main(arguments: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(dir=".") as folder:
        built = Path(folder) / "built.sqlite3"
        asyncio.run(build(built, arguments.rows, arguments.people))
        print(f"{arguments.rows:,} sent messages to {arguments.people} chats; CPU µs each, {arguments.rounds} rounds")
        print("| indexes | typed answer's read | sent mark + commit |\n|---|---|---|")
        for _ in range(arguments.rounds):
            for name, script in (("outbox_recipient (28)", ""), ("outbox_pending (before 28)", BEFORE_28)):
                with copy_of(built, script) as path:
                    read, mark = measure(path, arguments.people)
                print(f"| {name} | {read:.0f} | {mark:.1f} |", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--people", type=int, default=46)
    parser.add_argument("--rounds", type=int, default=3)
    main(parser.parse_args())
