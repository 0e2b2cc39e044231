"""Crash test for Teams: the bot process (Telegram and Teams in one) is SIGKILLed while members send afbud from
Teams, some while the Bot Connector's POST is still in flight; the fake Bot Connector delivers again what got
no 200, as the real one does. At the end every activity was processed once, every afbud exists once, every
alert went out, and repeats stay within one per crash.

Run alone with: .venv/bin/python -m pytest -m crash tests/test_teams_crash.py
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import sqlite3
from collections import Counter
from datetime import UTC
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import open_conversation
from bot.channels.teams import TEAMS_IN_FLIGHT
from bot.config import Settings
from bot.storage.roster import Role, Roster
from tests.fake_teams import APP_ID, APP_SECRET, TENANT_ID, FakeConnector, conversation_of
from tests.fake_telegram import FakeTelegram
from tests.process_clock import process_now
from tests.processes import BotProcess

pytestmark = pytest.mark.crash

KILLS = 10
MEETINGS = ("2027-02-12", "2027-04-23")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def bind_everyone_on_teams(database: Path, service_url: str) -> Roster:
    """Everyone has used an invite in Teams and written once, so the bot knows their conversation."""
    conversation = await open_conversation(Settings(_env_file=None, database=database))
    now = process_now().astimezone(UTC).isoformat()
    async with conversation.db.transaction() as conn:
        roster = await Roster.load(conn)
        for person in roster.people:
            await conn.execute(
                "INSERT INTO accounts (channel, address, person_id, bound_at) VALUES ('teams', ?, ?, ?)",
                (conversation_of(person.id), person.id, now),
            )
            await conn.execute(
                "INSERT INTO teams_conversations (conversation_id, service_url, updated_at) VALUES (?, ?, ?)",
                (conversation_of(person.id), service_url, now),
            )
    await conversation.db.close()
    return roster


async def wait_until_up(endpoint: str) -> None:
    async with asyncio.timeout(30), aiohttp.ClientSession() as session:
        while True:
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"{endpoint}/healthz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.05)


def everything_done(database: Path) -> bool:
    with sqlite3.connect(database, timeout=5) as conn:
        unprocessed = conn.execute("SELECT count(*) FROM inbox WHERE processed_at IS NULL").fetchone()[0]
        unsent = conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL").fetchone()[0]
    return unprocessed == 0 and unsent == 0


async def test_sigkill_while_teams_activities_are_stored_and_answered_loses_nothing(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    rng = random.Random(20261123)
    database, log = tmp_path / "kkrbot.sqlite3", tmp_path / "bot.log"
    async with FakeConnector(clock=lambda: process_now().timestamp()) as bc:
        roster = await bind_everyone_on_teams(database, bc.base_url)
        # Twelve members, two afbud each: the secretariat's notices then take Teams' pace for one conversation
        # (a burst of 7, then about one every two seconds), which keeps the test short.
        members = rng.sample([p for p in roster.people if p.role is Role.MEMBER], 12)
        pending: list[dict[str, Any]] = [
            bc.activity(m.id, text=f"afbud {meeting} ok") for m in members for meeting in MEETINGS
        ]
        rng.shuffle(pending)
        activities = {a["id"] for a in pending}
        port = free_port()
        endpoint = f"http://127.0.0.1:{port}"
        bot = BotProcess(
            tg,
            database,
            log,
            KKRBOT_TEAMS_CLIENT_ID=APP_ID,
            KKRBOT_TEAMS_CLIENT_SECRET=APP_SECRET,
            KKRBOT_TEAMS_TENANT_ID=TENANT_ID,
            KKRBOT_TEAMS_OPENID_URL=bc.openid_url,
            KKRBOT_TEAMS_LOGIN_URL=bc.base_url,
            KKRBOT_HTTP_PORT=str(port),
        )

        async def deliver(activity: dict[str, Any]) -> None:
            """The Bot Connector keeps what got no 200 and delivers it again later."""
            try:
                status = await bc.deliver(endpoint, activity)
            except aiohttp.ClientError:
                status = 0
            if status != 200:
                pending.append(activity)

        for _kill in range(KILLS):
            await bot.start()
            await wait_until_up(endpoint)
            batch = [pending.pop() for _ in range(min(len(pending), rng.randint(1, 4)))]
            in_flight = [asyncio.create_task(deliver(a)) for a in batch]
            await asyncio.sleep(rng.uniform(0.0, 0.4))
            await bot.kill()
            await asyncio.gather(*in_flight)

        await bot.start()
        await wait_until_up(endpoint)
        while pending:
            await deliver(pending.pop())
        async with asyncio.timeout(120):
            while not everything_done(database):  # noqa: ASYNC110 - state is in SQLite
                await asyncio.sleep(0.1)
        assert await bot.terminate() == 0

    with sqlite3.connect(database) as conn:
        stored = conn.execute("SELECT external_id, processed_at FROM inbox WHERE channel = 'teams'").fetchall()
        absences = conn.execute("SELECT id, meeting_id, member_id, substitute_id FROM absences").fetchall()
        outbox = conn.execute("SELECT address FROM outbox WHERE channel = 'teams'").fetchall()
        failed = conn.execute("SELECT count(*) FROM outbox WHERE failed_at IS NOT NULL").fetchone()[0]

    # Every activity was stored once (a redelivery found its key) and processed.
    assert sorted(key.split("|")[1] for key, _processed in stored) == sorted(activities)
    assert all(processed for _key, processed in stored)
    assert failed == 0
    # Every afbud exists, once.
    assert sorted((a[1], a[2]) for a in absences) == sorted((meeting, m.id) for m in members for meeting in MEETINGS)
    # Every member saw each afbud confirmed, and every substitute got the alert with the card's buttons.
    for member in members:
        confirmations = [s for s in bc.sent_to(member.id) if "er registreret" in s.text]
        assert len(confirmations) >= len(MEETINGS), member.id
    for absence_id, _meeting, _member, substitute_id in absences:
        cards = bc.sent_to(substitute_id)
        assert any({"action": f"cover {absence_id} yes"} in [a["data"] for a in c.actions] for c in cards), absence_id
    # Repeats only in the unavoidable window: at most one per conversation sent to at once, per crash.
    expected = Counter(address for (address,) in outbox)
    received = Counter(sent.conversation_id for sent in bc.sent)
    assert all(received[address] >= count for address, count in expected.items())
    assert all(received[address] - count <= KILLS for address, count in expected.items())
    repeats = sum(received.values()) - sum(expected.values())
    print(f"teams crash test: {KILLS} kills, {len(outbox)} messages, {repeats} repeated")
    assert repeats <= KILLS * TEAMS_IN_FLIGHT
    # The client secret never reaches the log, whatever was logged on the way.
    assert APP_SECRET not in log.read_text()
