"""Single-use invites that bind a chat account to a roster person.

Only a token's SHA-256 is stored, so a copy of the database cannot be used to bind an account. Failed
attempts are counted per account, and past a limit the account is slowed down before any token is checked.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import quote

import aiosqlite

from bot.storage.db import first_row, rows, utc_text

FAILED_ATTEMPTS_ALLOWED = 5
FAILED_ATTEMPTS_WINDOW = timedelta(minutes=15)


class Redemption(StrEnum):
    BOUND = "bound"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    SLOWED_DOWN = "slowed_down"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={token}"


def teams_invite_link(app_id: str, token: str) -> str:
    """A Teams deep link that opens a chat with the bot (its app id) with "start TOKEN" typed in; sending it
    binds the Teams account as /start TOKEN does on Telegram."""
    return f"https://teams.microsoft.com/l/chat/0/0?users=28:{quote(app_id)}&message={quote('start ' + token)}"


def emulator_invite(token: str) -> str:
    """In emulator mode there is no app to link to: what to type in Agents Playground's chat instead."""
    return f"start {token}"


async def create_invite(conn: aiosqlite.Connection, person_id: str, now: datetime, ttl: timedelta) -> str:
    # 24 random bytes: 32 URL-safe characters, inside Telegram's 64-character start parameter.
    token = secrets.token_urlsafe(24)
    await conn.execute(
        "INSERT INTO invites (token_hash, person_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        (hash_token(token), person_id, utc_text(now), utc_text(now + ttl)),
    )
    return token


async def issue_invites(
    conn: aiosqlite.Connection,
    person_ids: list[str],
    bot_username: str,
    now: datetime,
    ttl: timedelta,
    *,
    link: Callable[[str], str] | None = None,
) -> list[tuple[str, str]]:
    """A fresh single-use link for each person: (person id, deep link). The CLI and the chat both hand them out;
    `link` makes another channel's deep link from the token (Teams), Telegram's by default."""
    make_link = link or (lambda token: invite_link(bot_username, token))
    return [(person_id, make_link(await create_invite(conn, person_id, now, ttl))) for person_id in person_ids]


async def redeem_invite(
    conn: aiosqlite.Connection, token: str, channel: str, address: str, now: datetime
) -> tuple[Redemption, str | None]:
    """Binds the account if the token is good; returns what happened and, when bound, to whom."""
    row = await first_row(
        conn,
        "SELECT count(*) FROM failed_starts WHERE channel = ? AND address = ? AND at > ?",
        (channel, address, utc_text(now - FAILED_ATTEMPTS_WINDOW)),
    )
    if row and row[0] >= FAILED_ATTEMPTS_ALLOWED:
        return Redemption.SLOWED_DOWN, None
    invite = await first_row(
        conn, "SELECT person_id, expires_at, used_at FROM invites WHERE token_hash = ?", (hash_token(token),)
    )
    if invite is None or invite["used_at"] is not None or invite["expires_at"] <= utc_text(now):
        await conn.execute(
            "INSERT INTO failed_starts (channel, address, at) VALUES (?, ?, ?)",
            (channel, address, utc_text(now)),
        )
        if invite is None:
            return Redemption.UNKNOWN, None
        return (Redemption.USED if invite["used_at"] is not None else Redemption.EXPIRED), None
    person_id: str = invite["person_id"]
    await conn.execute("UPDATE invites SET used_at = ? WHERE token_hash = ?", (utc_text(now), hash_token(token)))
    # One account per person and channel: a new invite (a new phone) replaces the old binding (and, by migration
    # 24's trigger, its language); the same account bound again keeps its row, and its language.
    await conn.execute(
        "DELETE FROM accounts WHERE channel = ? AND person_id = ? AND address <> ?", (channel, person_id, address)
    )
    await conn.execute(
        "INSERT INTO accounts (channel, address, person_id, bound_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (channel, address) DO UPDATE SET person_id = excluded.person_id, bound_at = excluded.bound_at",
        (channel, address, person_id, utc_text(now)),
    )
    await conn.execute("DELETE FROM failed_starts WHERE channel = ? AND address = ?", (channel, address))
    return Redemption.BOUND, person_id


async def person_for_account(conn: aiosqlite.Connection, channel: str, address: str) -> str | None:
    row = await first_row(conn, "SELECT person_id FROM accounts WHERE channel = ? AND address = ?", (channel, address))
    return row[0] if row else None


async def accounts_of(conn: aiosqlite.Connection, person_id: str) -> list[tuple[str, str]]:
    return [
        (row[0], row[1])
        for row in await rows(
            conn, "SELECT channel, address FROM accounts WHERE person_id = ? ORDER BY channel", (person_id,)
        )
    ]


EMAIL = "email"


async def email_address(conn: aiosqlite.Connection, person_id: str) -> str | None:
    """The address the secretariat's roster holds for a current person: for e-mail, the roster is the binding."""
    row = await first_row(conn, "SELECT email FROM persons WHERE id = ? AND archived_at IS NULL", (person_id,))
    return str(row[0]) if row and row[0] else None


async def notification_routes(
    conn: aiosqlite.Connection, person_id: str, *, email: bool = False
) -> list[tuple[str, str]]:
    """Where notifications for a person go: every bound account, or only the channel they chose with /kanal
    (while they are still bound there). With e-mail on, a person with an address in the roster and no bound
    chat account, or who chose e-mail, gets them by e-mail."""
    accounts = await accounts_of(conn, person_id)
    row = await first_row(conn, "SELECT channel FROM channel_choices WHERE person_id = ?", (person_id,))
    if email and (not accounts or (row is not None and row[0] == EMAIL)):
        address = await email_address(conn, person_id)
        if address is not None:
            return [(EMAIL, address)]
    chosen = [account for account in accounts if row is not None and account[0] == row[0]]
    return chosen or accounts
