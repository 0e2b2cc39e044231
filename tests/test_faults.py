"""The outbox under Telegram's bad days: 429 with retry_after, 500s and dropped connections. Afterwards
every message has arrived exactly once, in order per recipient."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.channels.telegram import render
from bot.delivery.message import Message
from bot.delivery.outbox import pending_count
from bot.storage.roster import Roster
from tests.conftest import Clock, RunningBot, start_bot
from tests.fake_telegram import FakeTelegram

SECRETARY = 5000


async def outbox_by_chat(kkrbot: RunningBot) -> dict[int, list[str]]:
    async with (
        kkrbot.conversation.db.read() as conn,
        conn.execute("SELECT address, payload FROM outbox WHERE channel = 'telegram' ORDER BY id") as cursor,
    ):
        rows = await cursor.fetchall()
    expected: dict[int, list[str]] = {}
    for address, payload in rows:
        message = Message.from_payload(json.loads(payload))
        if message.document is None:
            expected.setdefault(int(address), []).append(render(message))
    return expected


async def drained(kkrbot: RunningBot) -> None:
    async with asyncio.timeout(60):
        while True:
            async with kkrbot.conversation.db.read() as conn:
                if await pending_count(conn) == 0:
                    return
            await asyncio.sleep(0.05)


@pytest.fixture
async def kkrbot(tg: FakeTelegram, tmp_path: Path, clock: Clock) -> AsyncIterator[RunningBot]:
    """Retries start at 10 ms here, so a stack of nine failures takes a second, not a minute."""
    running = await start_bot(tg, tmp_path / "kkrbot.sqlite3", clock, retry_base_seconds=0.01)
    yield running
    await running.stop()


async def test_every_alert_arrives_once_and_in_order_through_429_500_and_drops(kkrbot: RunningBot) -> None:
    async with kkrbot.conversation.db.read() as conn:
        roster = await Roster.load(conn)
    elected = [m for m in roster.members if not m.mayor]
    await kkrbot.bind(SECRETARY, "sekretariat-1")
    users = {}
    for index, member in enumerate(elected):
        users[member.id] = 5100 + index
        await kkrbot.bind(users[member.id], member.id)
        await kkrbot.bind(5200 + index, roster.substitute_of[member.id] or "")

    kkrbot.tg.add_fault("sendMessage", "429", times=3, retry_after=1)
    kkrbot.tg.add_fault("sendMessage", "500", times=3)
    kkrbot.tg.add_fault("sendMessage", "drop", times=3)
    kkrbot.tg.add_fault("getUpdates", "500", times=2)
    for member in elected:
        kkrbot.tg.inject_message(users[member.id], "/afbud 2027-02-12 ok")
    await kkrbot.tg.wait_for(
        lambda m: "har meldt afbud til KKR-mødet" in (m.plain_text or ""), count=len(elected), timeout=30
    )
    await drained(kkrbot)

    assert kkrbot.tg.faults_served == 11
    expected = await outbox_by_chat(kkrbot)
    for chat_id, texts in expected.items():
        received = [m.text for m in kkrbot.tg.sent_to(chat_id) if m.method == "sendMessage"]
        assert received == texts, chat_id
    alerts = [m for m in kkrbot.tg.sent if "har meldt afbud til KKR-mødet" in (m.plain_text or "")]
    assert len(alerts) == len(elected)


async def test_a_message_repeats_only_when_telegram_accepted_it_and_its_answer_was_lost(kkrbot: RunningBot) -> None:
    """The duplicate window, measured. A send whose answer is lost after Telegram accepted it (here: a 500
    after delivery) cannot be told from one that failed, so the outbox sends it again: one repeat each. An
    answer that is merely slow (6 s: past python-telegram-bot's default 5 s read timeout, within the bot's
    30 s) is waited for, and repeats nothing."""
    async with kkrbot.conversation.db.read() as conn:
        roster = await Roster.load(conn)
    elected = [m for m in roster.members if not m.mayor]
    await kkrbot.bind(SECRETARY, "sekretariat-1")
    users = {}
    for index, member in enumerate(elected):
        users[member.id] = 5100 + index
        await kkrbot.bind(users[member.id], member.id)
        await kkrbot.bind(5200 + index, roster.substitute_of[member.id] or "")
    lost_answers, slow_answers = 3, 1

    kkrbot.tg.add_fault("sendMessage", "accepted-500", times=lost_answers)
    kkrbot.tg.add_fault("sendMessage", "slow", times=slow_answers, delay=6)
    for member in elected:
        kkrbot.tg.inject_message(users[member.id], "/afbud 2027-02-12 ok")
    await kkrbot.tg.wait_for(
        lambda m: "har meldt afbud til KKR-mødet" in (m.plain_text or ""), count=len(elected), timeout=60
    )
    await drained(kkrbot)

    expected = await outbox_by_chat(kkrbot)
    received = {chat: [m.text for m in kkrbot.tg.sent_to(chat) if m.method == "sendMessage"] for chat in expected}
    messages = sum(len(texts) for texts in expected.values())
    repeats = sum(len(received[chat]) for chat in expected) - messages
    print(
        f"fault test: {messages} messages, {lost_answers} answers lost after Telegram accepted the message, "
        f"{slow_answers} answer 6 s late: {repeats} repeated"
    )
    assert kkrbot.tg.faults_served == lost_answers + slow_answers
    assert repeats == lost_answers
    for chat, texts in expected.items():  # nothing lost, and each repeat right after its original
        assert list(dict.fromkeys(received[chat])) == list(dict.fromkeys(texts)), chat
