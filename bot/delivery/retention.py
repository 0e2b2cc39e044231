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


# The rows whose text is not yet forgotten, through migration 29's partial indexes (inbox_to_forget, outbox_to_forget),
# whose WHERE these repeat word for word, as SQLite needs to use them. An update arrives before it is processed and a
# message is queued before it is sent, by the same clock: the time it arrived bounds the search.
FORGET_UPDATES = (
    f"UPDATE inbox SET payload = '{FORGOTTEN_UPDATE}' WHERE payload != '{FORGOTTEN_UPDATE}' AND received_at < ?1 "
    "AND processed_at IS NOT NULL AND processed_at < ?1"
)
FORGET_MESSAGES = (
    f"UPDATE outbox SET payload = '{FORGOTTEN}' WHERE payload != '{FORGOTTEN}' AND created_at < ?1 "
    "AND (sent_at < ?1 OR failed_at < ?1)"
)


async def forget_old_contents(conn: aiosqlite.Connection, now: datetime, days: int) -> int:
    """Empties processed inbox rows and finished outbox rows older than `days`; returns how many."""
    before = (utc_text(now - timedelta(days=days)),)
    inbox = await conn.execute(FORGET_UPDATES, before)
    outbox = await conn.execute(FORGET_MESSAGES, before)
    return inbox.rowcount + outbox.rowcount
