"""Crash test: the bot process is SIGKILLed at random points while members send afbud, and restarted.

At the end every afbud exists once, every alert went out, and no state change happened twice. Outgoing
messages may repeat only in the window between Telegram accepting a message and the outbox recording it;
the outbox sends one message at a time, so each crash repeats at most one message.

Run alone with: .venv/bin/python -m pytest -m crash
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
from pathlib import Path

import pytest

from bot.storage.roster import Role, Roster
from tests.fake_telegram import FakeTelegram
from tests.processes import BotProcess, bind_everyone, wait_until_polling

pytestmark = pytest.mark.crash

KILLS = 32
MEETINGS = ("2027-02-12", "2027-04-23")


def afbud_messages(roster: Roster, users: dict[str, int], rng: random.Random) -> list[tuple[int, str]]:
    """Every member reports absence for two meetings; some send the same notice twice."""
    messages = [(users[m.id], f"/afbud {meeting} ok") for m in roster.members for meeting in MEETINGS]
    messages += [(users[m.id], f"/afbud {MEETINGS[0]} ok") for m in rng.sample(roster.members, 8)]
    rng.shuffle(messages)
    return messages


async def test_sigkill_at_random_points_loses_nothing_and_doubles_nothing(tg: FakeTelegram, tmp_path: Path) -> None:
    rng = random.Random(20261123)
    database, log = tmp_path / "kkrbot.sqlite3", tmp_path / "bot.log"
    roster, users = await bind_everyone(database)
    # Everyone has written to the bot once, as bound users have (Telegram refuses chats that never did).
    for user in users.values():
        tg.inject_message(user, "/hjaelp")
    pending = afbud_messages(roster, users, rng)
    total_sent_by_members = len(pending) + len(users)
    bot = BotProcess(tg, database, log)

    for _kill in range(KILLS):
        calls = tg.get_updates_calls
        await bot.start()
        await wait_until_polling(tg, calls)
        for _ in range(min(len(pending), rng.randint(1, 4))):
            tg.inject_message(*pending.pop())
        await asyncio.sleep(rng.uniform(0.0, 0.4))
        await bot.kill()
    while pending:
        tg.inject_message(*pending.pop())

    calls = tg.get_updates_calls
    await bot.start()
    await wait_until_polling(tg, calls)
    async with asyncio.timeout(120):
        while not everything_done(database) or tg.pending_updates:  # noqa: ASYNC110 - state is in SQLite
            await asyncio.sleep(0.1)
    assert await bot.terminate() == 0

    with sqlite3.connect(database) as conn:
        absences = conn.execute("SELECT id, meeting_id, member_id, substitute_id FROM absences").fetchall()
        outbox = conn.execute("SELECT id, address, payload FROM outbox WHERE channel = 'telegram'").fetchall()
        processed = conn.execute("SELECT count(*) FROM inbox WHERE processed_at IS NOT NULL").fetchone()[0]
        failed = conn.execute("SELECT count(*) FROM outbox WHERE failed_at IS NOT NULL").fetchone()[0]

    # Every update was processed, once, and nothing needed giving up.
    assert failed == 0
    assert processed == total_sent_by_members
    # Every afbud exists, once.
    members = [m for m in roster.people if m.role is Role.MEMBER]
    assert sorted((a[1], a[2]) for a in absences) == sorted((meeting, m.id) for m in members for meeting in MEETINGS)
    # Every afbud a member saw confirmed exists (all of them, here), and no confirmation is for a lost one.
    for member in members:
        confirmations = [m for m in tg.sent_to(users[member.id]) if "er registreret" in (m.plain_text or "")]
        assert len(confirmations) >= len(MEETINGS), member.id
    # Every alert went out: one alert row per absence, and the substitute received it.
    alert_rows = [row for row in outbox if '"cover ' in row[2]]
    assert sorted(json.loads(row[2])["buttons"][0][0]["action"] for row in alert_rows) == sorted(
        f"cover {a[0]} yes" for a in absences
    )
    for absence_id, _meeting, _member, substitute_id in absences:
        chat = users[substitute_id]
        assert any(f"cover {absence_id} yes" in json.dumps(m.reply_markup or {}) for m in tg.sent_to(chat)), absence_id
    # Repeats only in the unavoidable window: at most one message per crash, and none lost.
    expected_per_chat: dict[int, int] = {}
    for _id, address, _payload in outbox:
        expected_per_chat[int(address)] = expected_per_chat.get(int(address), 0) + 1
    received = {chat: len([m for m in tg.sent_to(chat) if m.method == "sendMessage"]) for chat in expected_per_chat}
    assert all(received[chat] >= expected for chat, expected in expected_per_chat.items())
    repeats = sum(received.values()) - sum(expected_per_chat.values())
    print(f"crash test: {KILLS} kills, {len(outbox)} messages, {repeats} repeated")
    assert repeats <= KILLS


def everything_done(database: Path) -> bool:
    with sqlite3.connect(database, timeout=5) as conn:
        unprocessed = conn.execute("SELECT count(*) FROM inbox WHERE processed_at IS NULL").fetchone()[0]
        unsent = conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL").fetchone()[0]
    return unprocessed == 0 and unsent == 0
