"""Teams bindings made in emulator mode (KKRBOT_TEAMS_EMULATOR=1), kept apart from real ones.

In emulator mode any local process can post an activity as anyone, so what it binds must not outlive the mode:
a binding made then is marked by a trigger in the binding's own transaction (migration 14), and deleted with its
conversation when the bot starts without the mode. The other way round, the mode refuses to start on a database
holding a real Teams binding, which a local user could otherwise speak for."""

from __future__ import annotations

import logging

from bot.storage.db import Database, first_row

log = logging.getLogger(__name__)

_FLAG = "teams_emulator"


class EmulatorConflict(Exception):
    """Emulator mode was asked for on a database with real Teams bindings; the message says what to do."""


async def settle_emulator_accounts(db: Database, emulator: bool) -> int:
    """At start: in emulator mode, refuses a database with a Teams binding made outside it and marks the mode;
    otherwise deletes the bindings made in it. Returns how many were deleted."""
    async with db.transaction() as conn:
        if emulator:
            row = await first_row(
                conn,
                "SELECT count(*) FROM accounts WHERE channel = 'teams' "
                "AND address NOT IN (SELECT address FROM emulator_accounts)",
            )
            if row and row[0]:
                raise EmulatorConflict(
                    f"KKRBOT_TEAMS_EMULATOR=1 refuses this database: it holds {row[0]} Teams binding(s) made outside "
                    "emulator mode, and in emulator mode any local user could write as those people; use another "
                    "KKRBOT_DATABASE for trying the bot"
                )
            await conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, '1')", (_FLAG,))
            return 0
        marked = "SELECT address FROM emulator_accounts"
        cursor = await conn.execute(f"DELETE FROM accounts WHERE channel = 'teams' AND address IN ({marked})")
        deleted = cursor.rowcount
        await conn.execute(f"DELETE FROM teams_conversations WHERE conversation_id IN ({marked})")
        await conn.execute("DELETE FROM emulator_accounts")
        await conn.execute("DELETE FROM meta WHERE key = ?", (_FLAG,))
    if deleted:
        log.warning("deleted %d Teams binding(s) made in emulator mode", deleted)
    return deleted
