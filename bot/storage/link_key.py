"""One random secret per database, for signing links the bot hands out (Teams file links, e-mail answer links).

It lives in the database it protects, not in a setting: a link signed by one installation is worthless to another,
changing a channel's credentials does not break links already sent, and a channel that runs without credentials
(the Teams emulator mode) still signs its links. Created on first use; a restored backup brings its own.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import aiosqlite

_KEY = "link_key"


async def link_key(conn: aiosqlite.Connection) -> bytes:
    """The database's link key; creates it inside the caller's transaction when there is none yet."""
    found = list(await conn.execute_fetchall("SELECT value FROM meta WHERE key = ?", (_KEY,)))
    if found:
        return bytes.fromhex(str(found[0][0]))
    key = secrets.token_bytes(32)
    await conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (_KEY, key.hex()))
    found = list(await conn.execute_fetchall("SELECT value FROM meta WHERE key = ?", (_KEY,)))
    return bytes.fromhex(str(found[0][0]))


def sign(key: bytes, text: str) -> str:
    """A URL-safe signature of `text` (hex, 32 characters: 128 bits are plenty for a link)."""
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:32]


def verify(key: bytes, text: str, signature: str) -> bool:
    return hmac.compare_digest(sign(key, text), signature)
