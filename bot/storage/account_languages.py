"""Each chat account's language, fixed at its first message that says one (Telegram's language_code, a Teams
activity's locale), so that answers and notifications agree and do not follow each message's locale.

A person's own choice (/sprog) or the roster's language overrides it (bot/core/conversation.py, `language_of`)."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.storage.db import first_row, utc_text


async def remember_language(
    conn: aiosqlite.Connection, channel: str, address: str, language: str, now: datetime
) -> None:
    """Keeps the account's first language; later ones change nothing."""
    await conn.execute(
        "INSERT OR IGNORE INTO account_languages (channel, address, language, set_at) VALUES (?, ?, ?, ?)",
        (channel, address, language, utc_text(now)),
    )


async def account_language(conn: aiosqlite.Connection, channel: str, address: str) -> str | None:
    row = await first_row(
        conn, "SELECT language FROM account_languages WHERE channel = ? AND address = ?", (channel, address)
    )
    return str(row[0]) if row else None


async def person_account_language(conn: aiosqlite.Connection, person_id: str) -> str | None:
    """The language of the person's bound account that said one first."""
    row = await first_row(
        conn,
        "SELECT l.language FROM accounts a JOIN account_languages l ON l.channel = a.channel AND l.address = a.address "
        "WHERE a.person_id = ? ORDER BY l.set_at, a.channel LIMIT 1",
        (person_id,),
    )
    return str(row[0]) if row else None
