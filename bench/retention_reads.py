"""What retention (every tick) and the health counts (every /healthz, every `kkrbot health`) cost as the inbox and the
outbox grow, with migration 29's partial indexes and with the schema and retention statements before it, on copies of
one database (issue 25). The rows are never deleted (retention scrubs a row's text, keeps the row): --rows processed
updates and sent messages, one a minute, all but the last 30 days' already forgotten. CPU of this process
(time.process_time), which runs alone; put it on one core with taskset.

Run from the project root: taskset -c 0 .venv/bin/python -m bench.retention_reads --rows 20000
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.outbox_reads import copy_of
from bot.delivery.retention import FORGET_MESSAGES, FORGET_UPDATES, FORGOTTEN, FORGOTTEN_UPDATE
from bot.storage.db import Database, utc_text

BEFORE_29 = """
DROP INDEX inbox_unprocessed; DROP INDEX inbox_malformed; DROP INDEX inbox_to_forget; DROP INDEX outbox_to_forget;
CREATE INDEX inbox_pending ON inbox (channel, processed_at, update_id);
"""
# Retention's statements before migration 29.
OLD_FORGET_UPDATES = "UPDATE inbox SET payload = ? WHERE processed_at IS NOT NULL AND processed_at < ? AND payload != ?"
OLD_FORGET_MESSAGES = "UPDATE outbox SET payload = ? WHERE (sent_at < ? OR failed_at < ?) AND payload != ?"
COUNTS = (
    "SELECT count(*) FROM inbox WHERE processed_at IS NULL",  # /healthz
    "SELECT count(*) FROM inbox WHERE malformed IS NOT NULL",  # kkrbot health
)
RECENT_UPDATE, RECENT_MESSAGE = '{"text": "/naeste"}', '{"text": "' + "x" * 300 + '"}'
DAYS = 30


async def build(path: Path, count: int) -> datetime:
    database = await Database.open(path)  # today's schema
    await database.close()
    conn = sqlite3.connect(path, isolation_level=None)
    start = datetime(2027, 1, 1, tzinfo=UTC)
    last = start + timedelta(minutes=count - 1)
    conn.execute("BEGIN")
    for n in range(count):
        at = start + timedelta(minutes=n)
        recent = at > last - timedelta(days=DAYS)
        update, message = (RECENT_UPDATE, RECENT_MESSAGE) if recent else (FORGOTTEN_UPDATE, FORGOTTEN)
        conn.execute(
            "INSERT INTO inbox (channel, update_id, payload, received_at, processed_at) "
            "VALUES ('telegram', ?, ?, ?, ?)",
            (n, update, utc_text(at), utc_text(at)),
        )
        conn.execute(
            "INSERT INTO outbox (channel, address, payload, created_at, not_before, sent_at, lane) "
            "VALUES ('telegram', ?, ?, ?, '', ?, 'interactive')",
            (str(n % 46), message, utc_text(at), utc_text(at)),
        )
    conn.execute("COMMIT")
    conn.close()
    return last


def measure(path: Path, now: datetime, before_29: bool, tick: int) -> tuple[float, float]:
    """CPU ms of one tick's retention (nothing old enough to forget yet), and of the health counts."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    before = utc_text(now + timedelta(minutes=tick) - timedelta(days=DAYS))
    began = time.process_time()
    conn.execute("BEGIN IMMEDIATE")
    if before_29:
        conn.execute(OLD_FORGET_UPDATES, (FORGOTTEN_UPDATE, before, FORGOTTEN_UPDATE))
        conn.execute(OLD_FORGET_MESSAGES, (FORGOTTEN, before, before, FORGOTTEN))
    else:
        conn.execute(FORGET_UPDATES, (before,))
        conn.execute(FORGET_MESSAGES, (before,))
    conn.execute("COMMIT")
    retention = (time.process_time() - began) * 1000
    began = time.process_time()
    for sql in COUNTS:
        conn.execute(sql).fetchone()
    counts = (time.process_time() - began) * 1000
    conn.close()
    return retention, counts


def main(arguments: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(dir=".") as folder:
        built = Path(folder) / "built.sqlite3"
        now = asyncio.run(build(built, arguments.rows))
        print(f"{arguments.rows:,} updates and as many messages, the last {DAYS} days' not yet forgotten; CPU ms")
        print("| schema | a tick's retention | the health counts |\n|---|---|---|")
        for tick in range(arguments.rounds):
            for name, script in (("29", ""), ("before 29", BEFORE_29)):
                with copy_of(built, script) as path:
                    retention, counts = measure(path, now, bool(script), tick + 1)
                print(f"| {name} | {retention:.2f} | {counts:.2f} |", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    main(parser.parse_args())
