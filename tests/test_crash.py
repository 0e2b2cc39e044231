"""Crash test: the bot process is SIGKILLed at random points while members send afbud, and restarted.

At the end every afbud exists once, every alert went out, and no state change happened twice. Outgoing
messages may repeat only in the window between Telegram accepting a message and the outbox recording it;
the outbox has at most one message per recipient in flight (up to IN_FLIGHT recipients at once), so each
crash repeats at most one message per recipient: a chat receives its messages in order, each at most once
more right after itself, and at most one such repeat per restart.

Run alone with: .venv/bin/python -m pytest -m crash
"""

from __future__ import annotations

import asyncio
import bisect
import json
import random
import sqlite3
import time
from pathlib import Path

import pytest

from bot.channels.telegram import render
from bot.delivery.message import Message
from bot.storage.roster import Role, Roster
from tests.fake_telegram import FakeTelegram, SentMessage
from tests.processes import BotProcess, bind_everyone, wait_until_polling

pytestmark = pytest.mark.crash

KILLS = 32
IN_FLIGHT = 4
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
    # Pacing off: the fake has no flood limits here, and more messages in flight make a wider window.
    bot = BotProcess(
        tg, database, log, KKRBOT_TELEGRAM_MAX_MESSAGES_PER_SECOND="0", KKRBOT_TELEGRAM_IN_FLIGHT=str(IN_FLIGHT)
    )
    starts: list[float] = []

    for _kill in range(KILLS):
        calls = tg.get_updates_calls
        starts.append(time.perf_counter())
        await bot.start()
        await wait_until_polling(tg, calls)
        for _ in range(min(len(pending), rng.randint(1, 4))):
            tg.inject_message(*pending.pop())
        await asyncio.sleep(rng.uniform(0.0, 0.4))
        await bot.kill()
    while pending:
        tg.inject_message(*pending.pop())

    calls = tg.get_updates_calls
    starts.append(time.perf_counter())
    await bot.start()
    await wait_until_polling(tg, calls)
    async with asyncio.timeout(120):
        while not everything_done(database) or tg.pending_updates:  # noqa: ASYNC110 - state is in SQLite
            await asyncio.sleep(0.1)
    assert await bot.terminate() == 0

    with sqlite3.connect(database) as conn:
        absences = conn.execute("SELECT id, meeting_id, member_id, substitute_id FROM absences").fetchall()
        # In queue order: each recipient's messages go in that order (a read by an index would follow another).
        outbox = conn.execute(
            "SELECT id, address, payload FROM outbox WHERE channel = 'telegram' ORDER BY id"
        ).fetchall()
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
    # Repeats only in the unavoidable window: each chat got its messages in order, none lost, each repeat
    # right after its original, and at most one repeat per chat per crash (it arrives after the restart).
    expected: dict[int, list[str]] = {}
    for _id, address, payload in outbox:
        message = Message.from_payload(json.loads(payload))
        if message.document is None:
            expected.setdefault(int(address), []).append(render(message))
    repeats = 0
    for chat, texts in expected.items():
        epochs = repeats_by_restart(texts, [m for m in tg.sent_to(chat) if m.method == "sendMessage"], starts)
        assert len(epochs) == len(set(epochs)), f"chat {chat}: two repeats after one crash"
        repeats += len(epochs)
    print(f"crash test: {KILLS} kills, {len(outbox)} messages, {repeats} repeated (in flight: {IN_FLIGHT})")


def repeats_by_restart(expected: list[str], received: list[SentMessage], starts: list[float]) -> list[int]:
    """Checks that `received` is `expected` in order, each message perhaps repeated right after itself, and
    returns for each repeat the start of the bot (index into `starts`) after which it arrived."""
    position, epochs = -1, []
    for message in received:
        if position + 1 < len(expected) and message.text == expected[position + 1]:
            position += 1
            continue
        assert position >= 0, "a repeat before anything arrived"
        assert message.text == expected[position], "out of order or never queued"
        epochs.append(bisect.bisect_right(starts, message.received_at) - 1)
    assert position == len(expected) - 1, "a message never arrived"
    return epochs


def everything_done(database: Path) -> bool:
    with sqlite3.connect(database, timeout=5) as conn:
        unprocessed = conn.execute("SELECT count(*) FROM inbox WHERE processed_at IS NULL").fetchone()[0]
        unsent = conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL").fetchone()[0]
    return unprocessed == 0 and unsent == 0
