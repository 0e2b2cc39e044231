"""Pacing within Telegram's flood limits (30 messages a second in all, about one a second per chat with short
bursts, 20 a minute per group), without being told by 429s; a 429 still pauses everything."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.channels.telegram import Services
from bot.delivery.message import Message
from bot.delivery.outbox import Lane, enqueue
from bot.delivery.pacing import Limits, Pacer
from tests.conftest import Clock, RunningBot, start_bot
from tests.fake_telegram import FakeTelegram
from tests.processes import wait_until_polling

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def wake_outbox(kkrbot: RunningBot) -> None:
    """As a commit through the conversation does; these tests write to the outbox directly."""
    await wait_until_polling(kkrbot.tg, 0)
    services: Services = kkrbot.application.bot_data["services"]
    assert services.outbox is not None
    services.outbox.wake()


def send_as_fast_as_allowed(pacer: Pacer, clock: FakeClock, addresses: list[str]) -> list[float]:
    """Sends to each address in turn, each as soon as the pacer allows; returns when each left."""
    times = []
    for address in addresses:
        clock.now = max(clock.now, pacer.ready_at(address))
        pacer.take(address)
        times.append(clock.now)
    return times


def most_in_any_window(times: list[float], seconds: float) -> int:
    return max(sum(1 for t in times if start <= t < start + seconds) for start in times)


def test_never_more_than_30_messages_in_any_second() -> None:
    clock = FakeClock()
    pacer = Pacer(Limits.telegram(30), clock)
    times = send_as_fast_as_allowed(pacer, clock, [str(chat) for chat in range(300)])
    assert most_in_any_window(times, 1.0) <= 30
    # ...and not much fewer: the budget is used.
    assert times[-1] - times[0] < 300 / 28


def test_sends_that_leave_late_are_caught_up_without_passing_the_limit() -> None:
    """A busy event loop wakes the outbox a little late for every send; the budget is still used, because the
    limit is counted over the second rather than from the send before."""
    clock = FakeClock()
    pacer = Pacer(Limits.telegram(30), clock)
    times = []
    for chat in range(300):
        clock.now = max(clock.now, pacer.ready_at(str(chat))) + 0.006  # every send leaves 6 ms late
        pacer.take(str(chat))
        times.append(clock.now)
    assert most_in_any_window(times, 1.0) <= 30
    assert (len(times) - 1) / (times[-1] - times[0]) >= 28


def test_one_chat_gets_a_short_burst_then_about_one_a_second() -> None:
    clock = FakeClock()
    pacer = Pacer(Limits.telegram(30), clock)
    times = send_as_fast_as_allowed(pacer, clock, ["42"] * 13)
    assert times[2] - times[0] < 0.1  # the burst
    assert times[12] - times[0] >= 9.5  # then one a second


def test_a_group_chat_gets_at_most_20_messages_a_minute() -> None:
    clock = FakeClock()
    pacer = Pacer(Limits.telegram(30), clock)
    times = send_as_fast_as_allowed(pacer, clock, ["-1001"] * 45)
    assert most_in_any_window(times, 60.0) <= 20


def test_a_429_pauses_every_chat_for_its_retry_after() -> None:
    clock = FakeClock()
    pacer = Pacer(Limits.telegram(30), clock)
    pacer.pause(5)
    assert pacer.ready_at("1") >= clock.now + 5
    assert pacer.ready_at("2") >= clock.now + 5


def test_the_fake_counts_arrivals_in_a_sliding_second() -> None:
    """Not in calendar seconds: 20 sends at the end of one second and 20 at the start of the next are 40 in one."""
    arrivals = [0.5 + n * 0.02 for n in range(20)] + [1.01 + n * 0.02 for n in range(20)]
    assert FakeTelegram.most_in_one_second(arrivals) == 40
    assert FakeTelegram.most_in_one_second([n * 0.125 for n in range(50)]) == 8
    assert FakeTelegram.most_in_one_second([]) == 0


def test_no_limits_for_a_server_without_them() -> None:
    clock = FakeClock()
    pacer = Pacer(Limits.telegram(0), clock)
    assert send_as_fast_as_allowed(pacer, clock, ["1"] * 100)[-1] == clock.now == 1000.0


async def test_the_bot_stays_within_telegrams_limits_and_answers_before_the_bulk(tmp_path: Path) -> None:
    """120 bulk messages to 40 chats and a question, against a fake that answers 429 above Telegram's
    limits: none is refused, each chat gets its messages in order, and the answer does not wait for the bulk."""
    async with FakeTelegram(flood_limits=True) as tg:
        kkrbot = await start_bot(
            tg, tmp_path / "kkrbot.sqlite3", Clock(NOW), telegram_max_messages_per_second=30, telegram_in_flight=4
        )
        try:
            chats = [90_000 + n for n in range(40)]
            for chat in chats:
                tg.open_chat(chat)
            async with kkrbot.conversation.db.transaction() as conn:
                for n in range(120):
                    chat = chats[n % len(chats)]
                    await enqueue(conn, "telegram", str(chat), None, Message(text=f"bulk {n}"), NOW, Lane.BULK)
            await wake_outbox(kkrbot)
            await tg.wait_for(lambda m: (m.text or "").startswith("bulk"), count=10, timeout=30)
            answer = await kkrbot.ask(5000, "/hjaelp")
            bulk_before_answer = len([m for m in tg.sent if (m.text or "").startswith("bulk")])
            await tg.wait_for(lambda m: (m.text or "").startswith("bulk"), count=120, timeout=30)
        finally:
            await kkrbot.stop()
    assert answer.chat_id == 5000
    assert bulk_before_answer < 60
    assert tg.flood_refusals == 0
    assert tg.busiest_second() <= 30
    assert tg.flood_chat_refusals == 0
    for index, chat in enumerate(chats):
        assert [m.text for m in tg.sent_to(chat)] == [f"bulk {n}" for n in range(index, 120, len(chats))]


async def test_a_429_is_honoured_and_nothing_is_lost_or_doubled(tmp_path: Path) -> None:
    async with FakeTelegram() as tg:
        kkrbot = await start_bot(tg, tmp_path / "kkrbot.sqlite3", Clock(NOW), telegram_in_flight=4)
        try:
            chats = [91_000 + n for n in range(8)]
            for chat in chats:
                tg.open_chat(chat)
            tg.add_fault("sendMessage", "429", times=2, retry_after=1)
            async with kkrbot.conversation.db.transaction() as conn:
                for n in range(24):
                    await enqueue(conn, "telegram", str(chats[n % 8]), None, Message(text=f"m {n}"), NOW, Lane.BULK)
            await wake_outbox(kkrbot)
            await tg.wait_for(lambda m: (m.text or "").startswith("m "), count=24, timeout=30)
        finally:
            await kkrbot.stop()
    assert tg.faults_served == 2
    for index, chat in enumerate(chats):
        assert [m.text for m in tg.sent_to(chat)] == [f"m {n}" for n in range(index, 24, 8)]


def test_no_run_of_early_sends_squeezes_31_into_a_guarded_second() -> None:
    """The catch-up lets a send leave early after a late one; a run of such sends must still leave any 31 at least
    a guarded second apart, first to last (Telegram counts arrivals over a sliding second, and they come closer
    than they left)."""
    clock = FakeClock()
    pacer = Pacer(Limits.telegram(30), clock)
    times = []
    for chat in range(300):
        # Every send wakes half a millisecond late, so the next may leave early by the catch-up.
        clock.now = max(clock.now, pacer.ready_at(str(chat))) + 0.0005
        pacer.take(str(chat))
        times.append(clock.now)
    assert min(later - first for first, later in zip(times, times[30:], strict=False)) >= 1.06 - 1e-9
