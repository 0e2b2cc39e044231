"""No secret lingers (issue 20, item 8): seconds after an invite link is delivered, no database file (the
database, its -wal and its -shm) holds its token, and a processed `/start TOKEN` keeps no token in the inbox,
without waiting for the minute's tick that checkpoints the WAL anyway."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from bot.delivery.inbox import MARK_PROCESSED, store_keyed
from bot.storage.accounts import hash_token
from bot.storage.db import Database, rows, utc_text
from tests.conftest import REFERENCE_NOW as NOW
from tests.conftest import Clock, RunningBot, link_token, start_bot
from tests.fake_telegram import FakeTelegram

SECRETARY = 8101
MEMBER = 8102
# What the test waits: the mark that a message was sent, its scrubbing and the checkpoint come well within.
SECONDS_AFTER = 3
FIRST_TICK = 1


def database_files(database: Path) -> dict[str, bytes]:
    """Every file of the database as a stranger with a copy of the folder would read it."""
    names = (database.name, database.name + "-wal", database.name + "-shm")
    return {name: (database.parent / name).read_bytes() for name in names if (database.parent / name).exists()}


def holding(token: str, database: Path) -> list[str]:
    return [name for name, content in database_files(database).items() if token.encode() in content]


async def bound_secretary(tg: FakeTelegram, tmp_path: Path, clock: Clock) -> tuple[RunningBot, Path]:
    database = tmp_path / "kkrbot.sqlite3"
    kkrbot = await start_bot(tg, database, clock)
    await kkrbot.bind(SECRETARY, "sekretariat-1")
    # The bot's first tick (one second after the start, then every minute) has come and gone: the next
    # checkpoint of the tick's own is a minute away.
    await asyncio.sleep(FIRST_TICK + 1)
    return kkrbot, database


async def test_no_database_file_holds_a_delivered_invite_token_three_seconds_later(
    tg: FakeTelegram, tmp_path: Path, clock: Clock
) -> None:
    kkrbot, database = await bound_secretary(tg, tmp_path, clock)
    try:
        await kkrbot.ask(SECRETARY, "/inviter a-medlem-2", count=2)
        token = link_token(tg.sent_to(SECRETARY)[-2].plain_text or "")

        await asyncio.sleep(SECONDS_AFTER)

        assert holding(token, database) == []
        assert holding(hash_token(token), database)  # only its hash is kept, for the link to work
    finally:
        await kkrbot.stop()


async def test_a_processed_start_keeps_no_token_in_the_inbox_or_any_database_file(
    tg: FakeTelegram, tmp_path: Path, clock: Clock
) -> None:
    kkrbot, database = await bound_secretary(tg, tmp_path, clock)
    try:
        token = await kkrbot.invite("a-medlem-2")

        welcome = await kkrbot.ask(MEMBER, f"/start {token}")
        await asyncio.sleep(SECONDS_AFTER)

        assert "Velkommen" in (welcome.plain_text or "")
        async with kkrbot.conversation.db.read() as conn:
            starts = [
                json.loads(row[0])["message"]["text"]
                for row in await rows(conn, "SELECT payload FROM inbox WHERE payload LIKE '%start%'")
            ]
        assert starts == ["/start", "/start"]  # the secretary's binding and the member's
        assert holding(token, database) == []
    finally:
        await kkrbot.stop()


async def test_a_refused_start_keeps_no_token_either(tg: FakeTelegram, tmp_path: Path, clock: Clock) -> None:
    kkrbot, database = await bound_secretary(tg, tmp_path, clock)
    try:
        guessed = "A" * 32

        refused = await kkrbot.ask(MEMBER, f"/start {guessed}")
        await asyncio.sleep(SECONDS_AFTER)

        assert "ikke gyldigt" in (refused.plain_text or "")
        assert holding(guessed, database) == []
    finally:
        await kkrbot.stop()


async def test_other_messages_keep_their_text_until_retention(tg: FakeTelegram, tmp_path: Path, clock: Clock) -> None:
    kkrbot, _database = await bound_secretary(tg, tmp_path, clock)
    try:
        await kkrbot.ask(SECRETARY, "/naeste")
        await kkrbot.ask(SECRETARY, "startende møder")  # free text that starts with "start" but is not /start

        async with kkrbot.conversation.db.read() as conn:
            texts = {
                json.loads(row[0]).get("message", {}).get("text")
                for row in await rows(conn, "SELECT payload FROM inbox WHERE processed_at IS NOT NULL")
            }
        assert {"/naeste", "startende møder"} <= texts
    finally:
        await kkrbot.stop()


async def test_a_processed_teams_start_keeps_no_token(tmp_path: Path) -> None:
    """Teams' deep link types `start TOKEN` (no slash) into the chat; the same statement forgets it."""
    db = await Database.open(tmp_path / "kkrbot.sqlite3")
    try:
        activity = {"type": "message", "text": "start SECRETTOKEN123", "from": {"id": "29:pia"}}
        async with db.transaction() as conn:
            number = await store_keyed(conn, "teams", "activity-1", activity, NOW)
        assert number is not None
        await db.write(MARK_PROCESSED, ("teams", number, utc_text(NOW)))

        async with db.read() as conn:
            [row] = await rows(conn, "SELECT payload FROM inbox WHERE channel = 'teams'")
        assert json.loads(row[0]) == {**activity, "text": "start"}
        assert holding("SECRETTOKEN123", tmp_path / "kkrbot.sqlite3") == []
    finally:
        await db.close()


async def test_a_start_with_no_valid_invite_keeps_no_token_in_the_inbox(
    tg: FakeTelegram, tmp_path: Path, clock: Clock
) -> None:
    """A `/start TOKEN` whose token is no invite (mistyped, expired), and one in an update the bot cannot parse
    (kept aside as malformed, never processed), are scrubbed as a processed one is: the inbox keeps its 30 days
    of updates, not what the token might be."""
    kkrbot, database = await bound_secretary(tg, tmp_path, clock)
    try:
        unknown = "notAnInvite0123456789abcdefXYZ"
        malformed = "malformedInvite9876543210zyxwvU"
        refused = await kkrbot.ask(MEMBER, f"/start {unknown}")
        tg.inject_message(MEMBER + 1, f"/start {malformed}", first_name="x" * 300)  # a name no Telegram client sends
        await kkrbot.ask(MEMBER, "/naeste")  # after the malformed update, in the same order

        await asyncio.sleep(SECONDS_AFTER)

        assert "invitation" in (refused.plain_text or "").lower()
        assert (holding(unknown, database), holding(malformed, database)) == ([], [])
    finally:
        await kkrbot.stop()
