"""Retention: what people wrote and what they were sent is kept only as long as it is useful.

A processed update can no longer be replayed, and a delivered or given-up message is never sent again, so
after the retention period both lose their contents; the rows stay (ids, times, recipients), so the replay
check and the delivery record still work. What the minutes need (absences, answers) is in its own tables
and is not touched. Messages that carry a secret are forgotten at once, by migration 7's trigger.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import aiosqlite

from bot.storage.db import utc_text

# What migration 7's trigger writes into a sensitive message once it is delivered or given up; valid for
# `Message.from_payload`, so any reader of old rows still works.
FORGOTTEN = '{"text": "", "forgotten": true}'
FORGOTTEN_UPDATE = "{}"


async def forget_old_contents(conn: aiosqlite.Connection, now: datetime, days: int) -> int:
    """Empties processed inbox rows and finished outbox rows older than `days`; returns how many."""
    before = utc_text(now - timedelta(days=days))
    inbox = await conn.execute(
        "UPDATE inbox SET payload = ? WHERE processed_at IS NOT NULL AND processed_at < ? AND payload != ?",
        (FORGOTTEN_UPDATE, before, FORGOTTEN_UPDATE),
    )
    outbox = await conn.execute(
        "UPDATE outbox SET payload = ? WHERE (sent_at < ? OR failed_at < ?) AND payload != ?",
        (FORGOTTEN, before, before, FORGOTTEN),
    )
    return inbox.rowcount + outbox.rowcount
