"""Crash test for e-mail (issue 22): a broadcast queued with `kkrbot broadcast` to everyone in the roster who is
reached by e-mail (the example roster's substitutes and a crowd of the test's own, none bound to a chat), while
the `kkrbot run` process is SIGKILLed three times as its e-mail worker drains and restarted each time.

Afterwards every address has the broadcast; the e-mail worker has one message in flight, so each kill repeats at
most one, and a repeat carries its original Message-ID (it is rendered from the same outbox row).

Run alone with: .venv/bin/python -m pytest -m crash tests/test_email_crash.py -s
"""

from __future__ import annotations

import asyncio
import collections
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import open_conversation
from bot.config import Settings
from tests.fake_smtp import FakeSmtp, plain_text
from tests.fake_telegram import FakeTelegram
from tests.process_clock import kkrbot_environment
from tests.processes import BotProcess, drained, wait_until_polling

pytestmark = pytest.mark.crash

CROWD = 60
KILL_WHEN_RECEIVED = (15, 35, 55)
TEXT = "Husk gruppemøderne fredag fra kl. 8.30"
MAIL_FROM = "kkr@kkrbot.example.dk"


def mail_settings(smtp: FakeSmtp) -> dict[str, str]:
    return {
        "KKRBOT_SMTP_HOST": "127.0.0.1",
        "KKRBOT_SMTP_PORT": str(smtp.port),
        "KKRBOT_SMTP_SECURITY": "none",
        "KKRBOT_MAIL_FROM": MAIL_FROM,
        "KKRBOT_MAIL_PER_SECOND": "1000",
    }


def the_broadcasts(smtp: FakeSmtp) -> list[tuple[str, str]]:
    """(address, Message-ID) of every copy of the broadcast the server accepted, in order."""
    return [(str(m["To"]), str(m["Message-ID"])) for m in smtp.received if TEXT in plain_text(m)]


async def test_sigkill_during_an_email_broadcast_reaches_everyone_with_repeats_under_their_own_message_id(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    database, log = tmp_path / "kkrbot.sqlite3", tmp_path / "bot.log"
    conversation = await open_conversation(Settings(_env_file=None, database=database))
    async with conversation.db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO persons (id, name, role, municipality, party, email) "
            "VALUES (?, ?, 'substitute', 'Aalborg', 'A', ?)",
            [(f"crowd-{n}", f"Crowd {n}", f"crowd-{n}@example.dk") for n in range(CROWD)],
        )
    await conversation.db.close()
    async with FakeSmtp() as smtp:
        environment = kkrbot_environment(database, **mail_settings(smtp))
        queued = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "bot", "broadcast", "--audience", "substitutes", "--text", TEXT, "--yes"],
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert queued.returncode == 0, queued.stderr
        recipients = int(queued.stdout.split()[-2])
        assert recipients > CROWD

        bot = BotProcess(tg, database, log, KKRBOT_TELEGRAM_MAX_MESSAGES_PER_SECOND="0", **mail_settings(smtp))
        for received in KILL_WHEN_RECEIVED:
            calls = tg.get_updates_calls
            await bot.start()
            await wait_until_polling(tg, calls)
            async with asyncio.timeout(120):
                while len(the_broadcasts(smtp)) < received:  # noqa: ASYNC110 - the sender is another process
                    await asyncio.sleep(0.005)
            await bot.kill()
        reached_before_the_last_restart = len({to for to, _id in the_broadcasts(smtp)})
        calls = tg.get_updates_calls
        await bot.start()
        await wait_until_polling(tg, calls)
        await drained(database, timeout=120)
        assert await bot.terminate() == 0

    copies = the_broadcasts(smtp)
    assert reached_before_the_last_restart < recipients
    by_address = collections.Counter(to for to, _id in copies)
    assert len(by_address) == recipients
    # The e-mail worker has one message in flight: at most one repeat per kill, each under its first Message-ID.
    repeats = len(copies) - len(by_address)
    assert repeats <= len(KILL_WHEN_RECEIVED)
    assert max(by_address.values()) <= 2
    ids: dict[str, set[str]] = collections.defaultdict(set)
    for to, message_id in copies:
        ids[to].add(message_id)
    assert all(len(found) == 1 for found in ids.values())
    assert len({message_id for _to, message_id in copies}) == recipients
    print(f"e-mail crash test: {len(KILL_WHEN_RECEIVED)} kills, {recipients} recipients, {repeats} repeated")
