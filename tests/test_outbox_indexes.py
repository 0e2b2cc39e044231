"""The outbox is never emptied (retention scrubs a row's text and keeps the row), so what runs for one message must
not read the whole channel's rows (bench.outbox_reads), and a sent mark, which runs for every message, must not
move index entries that nothing reads (migration 28; issue 25)."""

from __future__ import annotations

from pathlib import Path

from bot.core.usecases.typed_answers import SENT_TO_CHAT_SINCE
from bot.storage.db import Database, rows


async def test_a_typed_answer_reads_only_the_recent_rows_of_its_own_chat(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "kkrbot.sqlite3")
    try:
        async with db.read() as conn:
            plan = await rows(conn, f"EXPLAIN QUERY PLAN {SENT_TO_CHAT_SINCE}", ("telegram", "7", "2027-01-01"))
    finally:
        await db.close()
    steps = [str(step[3]) for step in plan]
    assert "SEARCH outbox USING INDEX outbox_recipient (channel=? AND address=? AND created_at>?)" in steps


OUTBOX_INDEXES = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox'"


async def test_only_indexes_of_unsent_rows_hold_sent_at(tmp_path: Path) -> None:
    """A sent mark takes its row out of those (outbox_due, outbox_queue); a full index holding sent_at would have
    its entry moved by every mark."""
    db = await Database.open(tmp_path / "kkrbot.sqlite3")
    try:
        async with db.read() as conn:
            indexes = await rows(conn, OUTBOX_INDEXES)
    finally:
        await db.close()
    holding_sent_at = {str(name): str(sql) for name, sql in indexes if sql is not None and "sent_at" in str(sql)}
    assert holding_sent_at, "the due and queue indexes hold it"
    for name, sql in holding_sent_at.items():
        assert "WHERE sent_at IS NULL" in sql, f"{name} holds sent_at for every row"
