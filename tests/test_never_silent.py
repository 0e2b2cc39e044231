"""Never silent at the boundaries (issue 20, items 1-3): a start-up call that Telegram refuses for a while, a menu
that cannot be set during a binding, a message that always fails beside everyone else's, an outage. The bot keeps
polling and answering, tells nobody a success was a failure, sets a poison message aside and reports it once, and
waits an outage out without losing or setting aside anything."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram.error import InvalidToken

from bot.delivery.message import Message
from bot.delivery.outbox import MAX_ATTEMPTS, enqueue, pending_count
from bot.storage.db import rows
from tests.conftest import Clock, RunningBot, eventually, start_bot
from tests.fake_telegram import FakeTelegram

MEMBER = 2001
OTHER_MEMBER = 2002
SECRETARY = 2003
REPORT = "En besked kunne ikke leveres"
APOLOGY = "Beklager"


def texts(tg: FakeTelegram, chat: int) -> list[str]:
    return [m.plain_text or "" for m in tg.sent_to(chat)]


async def failed_rows(bot: RunningBot) -> list[tuple[str, str, int]]:
    async with bot.conversation.db.read() as conn:
        return [
            (str(r[0]), str(r[1]), int(r[2]))
            for r in await rows(conn, "SELECT address, error, attempts FROM outbox WHERE failed_at IS NOT NULL")
        ]


@pytest.mark.parametrize("kind", ["429", "500"])
@pytest.mark.parametrize(
    "method", ["getMe", "deleteWebhook", "setMyCommands", "setMyDescription", "setMyShortDescription"]
)
async def test_a_start_up_call_that_fails_for_a_while_neither_stops_nor_silences_the_bot(
    tg: FakeTelegram, tmp_path: Path, clock: Clock, method: str, kind: str
) -> None:
    tg.add_fault(method, kind, times=3, retry_after=1)  # type: ignore[arg-type]
    bot = await start_bot(tg, tmp_path / "kkrbot.sqlite3", clock)
    try:
        welcome = await bot.bind(MEMBER, "a-medlem-1")
        answer = await bot.ask(MEMBER, "/naeste")
        # What waited is done in the end, in the background.
        await eventually(lambda: "" in tg.short_descriptions and ("default", "") in tg.commands)
        assert not bot._task.done()
    finally:
        await bot.stop()
    assert tg.faults_served == 3
    assert "Velkommen" in (welcome.plain_text or "")
    assert "12. februar 2027" in (answer.plain_text or "")


async def test_a_refused_token_at_start_still_stops_the_bot(tg: FakeTelegram, tmp_path: Path, clock: Clock) -> None:
    bot = await start_bot(tg, tmp_path / "kkrbot.sqlite3", clock)
    tg.revoke_token()  # before the bot's task has run: its getMe is refused
    with pytest.raises(InvalidToken):  # `kkrbot run` says so in one line (tests/test_cli_errors.py)
        await asyncio.wait_for(bot._task, 30)
    await bot.conversation.db.close()


async def test_a_stop_while_the_start_waits_out_an_outage_ends_the_bot_at_once(
    tg: FakeTelegram, tmp_path: Path, clock: Clock
) -> None:
    """SIGTERM sets the stop; a getMe retried for ever must not outlast it (the service manager would kill the bot)."""
    tg.add_fault("getMe", "500", times=100_000)
    bot = await start_bot(tg, tmp_path / "kkrbot.sqlite3", clock)
    await eventually(lambda: tg.faults_served >= 2)
    bot._stop.set()
    done, _ = await asyncio.wait({bot._task}, timeout=5)  # getMe keeps failing: only the stop can end it
    if not done:  # leave nothing running behind a failure
        bot._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await bot._task
    await bot.conversation.db.close()
    assert done, "the bot went on retrying getMe after its stop"
    assert bot._task.result() is None


async def test_a_menu_that_cannot_be_set_during_a_binding_is_no_reason_to_apologise(kkrbot: RunningBot) -> None:
    tg = kkrbot.tg
    await eventually(lambda: ("default", "") in tg.commands)  # the start-up calls are done
    tg.add_fault("setMyCommands", "500", times=1000)

    welcome = await kkrbot.bind(MEMBER, "a-medlem-1")
    answer = await kkrbot.ask(MEMBER, "/naeste")
    await eventually(lambda: tg.faults_served >= 5)  # the menu was tried, and tried again

    assert "Velkommen" in (welcome.plain_text or "")
    assert "12. februar 2027" in (answer.plain_text or "")
    assert not any(APOLOGY in text for text in texts(tg, MEMBER))


@pytest.fixture
async def fast_retries(tg: FakeTelegram, tmp_path: Path, clock: Clock) -> AsyncIterator[RunningBot]:
    """Retries start at 20 ms, so a message uses its attempts in seconds, not minutes."""
    running = await start_bot(tg, tmp_path / "kkrbot.sqlite3", clock, retry_base_seconds=0.02)
    yield running
    await running.stop()


async def test_a_message_that_always_fails_is_set_aside_and_reported_once_while_others_are_answered(
    fast_retries: RunningBot,
) -> None:
    bot, tg = fast_retries, fast_retries.tg
    await bot.bind(SECRETARY, "sekretariat-1")
    await bot.bind(OTHER_MEMBER, "a-medlem-2")
    await bot.bind(MEMBER, "a-medlem-1")
    tg.fail_chat(MEMBER)
    tg.inject_message(MEMBER, "/naeste")

    slowest = 0.0
    async with asyncio.timeout(120):
        while not any(REPORT in text for text in texts(tg, SECRETARY)):
            asked = time.monotonic()
            await bot.ask(OTHER_MEMBER, "/naeste")
            slowest = max(slowest, time.monotonic() - asked)
    for _ in range(5):  # more questions after the report: no second report
        await bot.ask(OTHER_MEMBER, "/naeste")
    tg.heal_chat(MEMBER)
    after = await bot.ask(MEMBER, "/naeste")  # the recipient's next message goes on

    print(f"poison message: the other member's slowest answer took {slowest:.2f} s")
    [(address, error, attempts)] = await failed_rows(bot)
    assert (address, attempts) == (str(MEMBER), MAX_ATTEMPTS)
    assert "attempts" in error
    reports = [text for text in texts(tg, SECRETARY) if REPORT in text]
    assert len(reports) == 1
    assert "igen og igen" in reports[0]
    assert "12. februar 2027" in (after.plain_text or "")


async def test_a_row_that_cannot_be_sent_is_set_aside_at_once(fast_retries: RunningBot) -> None:
    """An address its channel cannot send to never enters the queue; a payload the channel cannot read is set aside
    at its first send and reported, and the recipient's next message goes on."""
    bot, tg = fast_retries, fast_retries.tg
    await bot.bind(SECRETARY, "sekretariat-1")
    await bot.bind(MEMBER, "a-medlem-1")
    async with bot.conversation.db.transaction() as conn:
        await enqueue(conn, "telegram", "None", "a-medlem-1", Message(text="to nowhere"), bot.clock())
        await conn.execute(
            "INSERT INTO outbox (channel, address, person_id, payload, created_at, not_before) "
            "VALUES ('telegram', ?, 'a-medlem-1', '{\"title\": 5}', '', '')",
            (str(MEMBER),),
        )
    bot.application.bot_data["services"].outbox.wake()

    answer = await bot.ask(MEMBER, "/naeste")
    await tg.wait_for(lambda m: m.chat_id == SECRETARY and REPORT in (m.plain_text or ""), timeout=30)

    failed = await failed_rows(bot)
    assert sorted(address for address, _, _ in failed) == sorted(["None", str(MEMBER)])
    assert "12. februar 2027" in (answer.plain_text or "")


async def test_an_outage_loses_nothing_and_sets_nothing_aside(fast_retries: RunningBot) -> None:
    """Every send fails for a while, far longer than a message's attempts last when other sends succeed; afterwards
    every message arrives, once, and nothing was set aside."""
    bot, tg = fast_retries, fast_retries.tg
    await bot.bind(SECRETARY, "sekretariat-1")
    chats = [MEMBER, OTHER_MEMBER]
    await bot.bind(MEMBER, "a-medlem-1")
    await bot.bind(OTHER_MEMBER, "a-medlem-2")
    before = {chat: len(tg.sent_to(chat)) for chat in chats}
    outage = tg.add_fault(None, "500", times=10**9)
    for _round in range(3):
        for chat in chats:
            tg.inject_message(chat, "/naeste")
    await eventually(lambda: tg.faults_served >= 4 * MAX_ATTEMPTS, within=120)
    outage.times = 0

    for chat in chats:
        await tg.wait_for_messages(chat, before[chat] + 3, timeout=120)
    async with asyncio.timeout(60):  # the last sent marks
        while True:
            async with bot.conversation.db.read() as conn:
                if await pending_count(conn) == 0:
                    break
            await asyncio.sleep(0.05)
    assert await failed_rows(bot) == []
    for chat in chats:
        assert sum("12. februar 2027" in text for text in texts(tg, chat)) == 3


async def test_the_poller_does_not_spin_on_a_server_that_answers_at_once(
    tg: FakeTelegram, tmp_path: Path, clock: Clock
) -> None:
    bot = await start_bot(tg, tmp_path / "kkrbot.sqlite3", clock, poll_timeout=0)
    try:
        await bot.ask(MEMBER, "/hjaelp")
        before = tg.get_updates_calls
        await asyncio.sleep(3)
        polls = tg.get_updates_calls - before
    finally:
        await bot.stop()
    print(f"empty polls answered at once: {polls} in 3 s")
    assert polls <= 10


async def test_an_acknowledgement_that_hangs_or_fails_holds_up_no_answer(kkrbot: RunningBot) -> None:
    tg = kkrbot.tg
    await kkrbot.bind(MEMBER, "a-medlem-1")
    following = await kkrbot.ask(MEMBER, "/naeste")
    tg.add_fault("answerCallbackQuery", "slow", delay=20)  # acts, then answers 20 s late
    tg.add_fault("answerCallbackQuery", "500")

    async with asyncio.timeout(10):  # generous: the press is answered within a second when nothing holds it up
        meetings = await kkrbot.press(MEMBER, following, "Alle møder")
        again = await kkrbot.press(MEMBER, following, "Alle møder")

    assert "Møder i KKR Nordjylland 2026-2030" in (meetings.plain_text or "")
    assert "Møder i KKR Nordjylland 2026-2030" in (again.plain_text or "")
    assert not any(APOLOGY in text for text in texts(tg, MEMBER))
