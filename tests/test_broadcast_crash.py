"""Crash test for broadcasts (issue #9): a broadcast to 500 recipients, queued with `kkrbot broadcast` as the
secretariat's scripts do, while the bot process is SIGKILLed three times as it drains (when the fake Bot API
has received 100, 250 and 400 of the messages) and restarted each time.

Afterwards every recipient has the broadcast, and repeats stay within the outbox's documented window: a
message Telegram accepted whose sent mark was not yet written goes out again after the restart, and the
outbox has at most one message per recipient in flight, `KKRBOT_TELEGRAM_IN_FLIGHT` in all. So each kill
repeats at most IN_FLIGHT messages, nobody gets it more than twice, and every repeat arrives after a restart.
The report (`kkrbot broadcast show ID --json`) agrees with what the fake server received.

Pacing is off (the fake enforces no flood limits here), as in tests/test_crash.py: the drain runs at loopback
speed, which keeps the test short and keeps every slot busy, the widest window there is.

Run alone with: .venv/bin/python -m pytest -m crash tests/test_broadcast_crash.py
"""

from __future__ import annotations

import asyncio
import bisect
import collections
import json
import random
import time
from pathlib import Path

import pytest

from bot.app import open_conversation
from bot.config import Settings
from tests.fake_telegram import FakeTelegram, SentMessage
from tests.processes import BotProcess, add_crowd, drained, kkrbot_cli, wait_until_polling

pytestmark = pytest.mark.crash

RECIPIENTS = 500
KILL_WHEN_RECEIVED = (100, 250, 400)
IN_FLIGHT = 4
TEXT = "Husk gruppemøderne fredag fra kl. 8.30"


def is_the_broadcast(message: SentMessage) -> bool:
    return message.method == "sendMessage" and TEXT in (message.plain_text or "")


async def test_sigkill_during_a_500_recipient_broadcast_reaches_everyone_and_repeats_only_what_was_in_flight(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    database, log = tmp_path / "kkrbot.sqlite3", tmp_path / "bot.log"
    conversation = await open_conversation(Settings(_env_file=None, database=database))
    async with conversation.db.transaction() as conn:
        crowd = await add_crowd(conn, tg, RECIPIENTS)
    await conversation.db.close()
    queued = await asyncio.to_thread(kkrbot_cli, database, "broadcast", "--audience", "substitutes", "--text", TEXT)
    assert queued.returncode == 0, queued.stderr
    assert queued.stdout.strip().endswith(f"{RECIPIENTS} reachable"), queued.stdout
    broadcast_id = queued.stdout.split()[1]

    bot = BotProcess(
        tg, database, log, KKRBOT_TELEGRAM_MAX_MESSAGES_PER_SECOND="0", KKRBOT_TELEGRAM_IN_FLIGHT=str(IN_FLIGHT)
    )
    starts: list[float] = []
    for received in KILL_WHEN_RECEIVED:
        calls = tg.get_updates_calls
        starts.append(time.perf_counter())
        await bot.start()
        await wait_until_polling(tg, calls)
        await tg.wait_for(is_the_broadcast, count=received, timeout=120)
        await bot.kill()
    reached_before_the_last_restart = len({m.chat_id for m in tg.sent if is_the_broadcast(m)})
    calls = tg.get_updates_calls
    starts.append(time.perf_counter())
    await bot.start()
    await wait_until_polling(tg, calls)
    await drained(database, timeout=120)
    assert await bot.terminate() == 0
    shown = await asyncio.to_thread(kkrbot_cli, database, "broadcast", "show", broadcast_id, "--json")

    # Each kill came while the broadcast was draining, not after it.
    assert reached_before_the_last_restart < RECIPIENTS
    # Every recipient has it, and nobody else.
    broadcasts = [m for m in tg.sent if is_the_broadcast(m)]
    received_by = collections.Counter(m.chat_id for m in broadcasts)
    assert sorted(received_by) == crowd
    # Repeats only in the window: at most one per recipient (the one in flight), at most IN_FLIGHT per kill,
    # and each arrived after a restart, i.e. it was sent again, not twice by one process.
    assert max(received_by.values()) <= 2
    repeats, reached = [], set()
    for message in broadcasts:
        if message.chat_id in reached:
            repeats.append(message)
        reached.add(message.chat_id)
    assert len(repeats) <= len(KILL_WHEN_RECEIVED) * IN_FLIGHT
    restarts = collections.Counter(bisect.bisect_right(starts, m.received_at) - 1 for m in repeats)
    assert 0 not in restarts, "repeated before any crash"
    assert all(count <= IN_FLIGHT for count in restarts.values()), restarts
    # The report agrees with what the fake server received; the roster's own substitutes are not bound.
    assert shown.returncode == 0, shown.stderr
    report = json.loads(shown.stdout)
    delivered = {s["person_id"] for s in report["recipient_states"] if s["state"] == "delivered"}
    assert delivered == {f"crowd-{chat}" for chat in received_by}
    assert (report["delivered"], report["pending"]) == (len(received_by), 0)
    assert report["failed"] == report["recipients"] - RECIPIENTS
    assert {s["reason"] for s in report["recipient_states"] if s["state"] == "failed"} == {"not bound"}
    print(
        f"broadcast crash test: {len(KILL_WHEN_RECEIVED)} kills, {RECIPIENTS} recipients, "
        f"{len(repeats)} repeated (in flight: {IN_FLIGHT})"
    )


async def test_sigkill_as_telegram_receives_a_pdf_broadcast_s_first_upload_loses_nobody(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    """`kkrbot broadcast --document` stores the PDF once and Telegram gets it once (the rest go by file_id). The
    process dies as the first upload arrives, perhaps before it kept the file_id: after the restart everyone has
    the PDF, uploaded once more at most, and repeats stay within the in-flight window."""
    database, log = tmp_path / "kkrbot.sqlite3", tmp_path / "bot.log"
    conversation = await open_conversation(Settings(_env_file=None, database=database))
    async with conversation.db.transaction() as conn:
        crowd = await add_crowd(conn, tg, 30)
    await conversation.db.close()
    pdf = tmp_path / "dagsorden.pdf"
    pdf.write_bytes(b"%PDF-1.4\n" + random.Random(30).randbytes(100_000))
    queued = await asyncio.to_thread(
        kkrbot_cli, database, "broadcast", "--audience", "substitutes", "--text", TEXT, "--document", str(pdf)
    )
    assert queued.returncode == 0, queued.stderr

    bot = BotProcess(
        tg, database, log, KKRBOT_TELEGRAM_MAX_MESSAGES_PER_SECOND="0", KKRBOT_TELEGRAM_IN_FLIGHT=str(IN_FLIGHT)
    )
    await bot.start()
    await tg.wait_for(lambda m: m.uploaded, timeout=60)
    await bot.kill()
    calls = tg.get_updates_calls
    await bot.start()
    await wait_until_polling(tg, calls)
    await drained(database, timeout=120)
    assert await bot.terminate() == 0

    documents = [m for m in tg.sent if m.method == "sendDocument"]
    assert sorted({m.chat_id for m in documents}) == crowd
    assert all(m.document == ("dagsorden.pdf", pdf.read_bytes()) for m in documents)
    assert 1 <= len([m for m in documents if m.uploaded]) <= 2
    assert len(documents) - len(crowd) <= IN_FLIGHT
