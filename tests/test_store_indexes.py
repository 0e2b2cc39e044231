"""The inbox and the outbox are never emptied (retention scrubs a row's text and keeps the row), so what runs for one
message, at every tick or at every health probe must not read every row ever stored (bench.outbox_reads,
bench.retention_reads), and what runs for every message (a sent mark, a processed mark) must not move index entries
that nothing reads (migrations 28 and 29; issue 25)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.usecases.typed_answers import SENT_TO_CHAT_SINCE
from bot.delivery.retention import FORGET_MESSAGES, FORGET_UPDATES
from bot.storage.db import Database, rows


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "kkrbot.sqlite3")
    yield database
    await database.close()


async def plan(db: Database, sql: str, params: tuple[object, ...] = ()) -> list[str]:
    async with db.read() as conn:
        return [str(step[3]) for step in await rows(conn, f"EXPLAIN QUERY PLAN {sql}", params)]


async def test_a_typed_answer_reads_only_the_recent_rows_of_its_own_chat(db: Database) -> None:
    steps = await plan(db, SENT_TO_CHAT_SINCE, ("telegram", "7", "2027-01-01"))
    assert "SEARCH outbox USING INDEX outbox_recipient (channel=? AND address=? AND created_at>?)" in steps


async def test_retention_reads_only_the_rows_it_has_not_forgotten_yet(db: Database) -> None:
    updates, messages = await plan(db, FORGET_UPDATES, ("2027",)), await plan(db, FORGET_MESSAGES, ("2027",))
    assert updates == ["SEARCH inbox USING INDEX inbox_to_forget (received_at<?)"]
    assert messages == ["SEARCH outbox USING INDEX outbox_to_forget (created_at<?)"]


async def test_the_health_counts_read_only_the_rows_they_count(db: Database) -> None:
    assert await plan(db, "SELECT count(*) FROM inbox WHERE processed_at IS NULL") == [
        "SCAN inbox USING INDEX inbox_unprocessed"
    ]
    assert await plan(db, "SELECT count(*) FROM inbox WHERE malformed IS NOT NULL") == [
        "SCAN inbox USING INDEX inbox_malformed"
    ]


INDEXES = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"


@pytest.mark.parametrize(("table", "mark"), [("outbox", "sent_at"), ("inbox", "processed_at")])
async def test_only_indexes_of_unmarked_rows_hold_the_mark(db: Database, table: str, mark: str) -> None:
    """A sent or processed mark takes its row out of those (outbox_queue); a full index holding the mark
    (outbox_pending and inbox_pending did) has its entry moved by every mark."""
    async with db.read() as conn:
        indexes = {str(name): str(sql) for name, sql in await rows(conn, INDEXES, (table,)) if sql is not None}
    for name, sql in indexes.items():
        columns, _, where = sql.partition(" WHERE ")
        if mark in columns:
            assert f"{mark} IS NULL" in where, f"{name} holds {mark} for every row"
