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


# The account's language, as an SQL expression (NULL: none yet) of the parameters :channel and :address, so that
# `find_asker` reads it in its own round trip.
ACCOUNT_LANGUAGE = "(SELECT language FROM account_languages WHERE channel = :channel AND address = :address)"


def person_account_language_sql(person_id: str) -> str:
    """The language of the person's bound account that said one first, as an SQL expression (NULL: none) of
    `person_id`, an SQL expression too (a parameter, a column)."""
    return (
        "(SELECT l.language FROM accounts a "
        "JOIN account_languages l ON l.channel = a.channel AND l.address = a.address "
        f"WHERE a.person_id = {person_id} ORDER BY l.set_at, a.channel LIMIT 1)"
    )


async def account_language(conn: aiosqlite.Connection, channel: str, address: str) -> str | None:
    row = await first_row(conn, f"SELECT {ACCOUNT_LANGUAGE}", {"channel": channel, "address": address})
    return str(row[0]) if row and row[0] is not None else None


async def person_account_language(conn: aiosqlite.Connection, person_id: str) -> str | None:
    """The language of the person's bound account that said one first."""
    row = await first_row(conn, f"SELECT {person_account_language_sql('?')}", (person_id,))
    return str(row[0]) if row and row[0] is not None else None
