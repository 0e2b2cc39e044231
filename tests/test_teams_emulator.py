"""KKRBOT_TEAMS_EMULATOR=1: the bot tried in Microsoft 365 Agents Playground, with no Azure registration.

Through a fake that behaves like the Playground (tests/fake_playground.py: no token either way, serviceUrl
http://localhost:PORT/_connector, user-id-0, locale en-US), and the mode's refusals: credentials, a host that
is not loopback, a peer or a service URL that is not loopback, a database with real Teams bindings."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import http_services
from bot.cli import invites
from bot.config import ConfigError, load_settings
from bot.delivery.message import Message
from bot.delivery.outbox import Delivery, OutboxItem
from bot.storage.db import Database
from tests.conftest import Clock, RunningBot, start_bot
from tests.fake_playground import FakePlayground, conversation_of
from tests.fake_teams import SentActivity
from tests.fake_telegram import FakeTelegram

WHEN = "Friday 12 February 2027"


@dataclass
class Emulated:
    bot: RunningBot
    pg: FakePlayground
    endpoint: str
    http: Any  # the HttpEndpoint, for its TeamsChannel

    async def say(
        self, user: str = "user-id-0", text: str | None = None, *, value: dict[str, Any] | None = None, count: int = 1
    ) -> SentActivity:
        before = len(self.pg.sent_to(user))
        assert await self.pg.deliver(self.endpoint, self.pg.message(user, text, value)) == 200
        return (await self.pg.wait_for_sent(user, before + count))[-1]

    async def press(self, user: str, card: SentActivity, title: str, *, count: int = 1) -> SentActivity:
        action = card.action(title)
        assert action["type"] == "Action.Submit"
        return await self.say(user, value=action["data"], count=count)

    async def invite(self, person_id: str) -> str:
        [line] = (await invites(self.bot.settings, person_id, False, "teams")).splitlines()
        return line.split("\t")[1]

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.bot.settings.database) as conn:
            return conn.execute(sql).fetchall()


@pytest.fixture
async def emulated(tg: FakeTelegram, tmp_path: Path, clock: Clock) -> AsyncIterator[Emulated]:
    async with FakePlayground() as pg:
        bot = await start_bot(tg, tmp_path / "kkrbot.sqlite3", clock, teams_emulator=True, http_port=0)
        try:
            async with http_services(bot.settings, bot.conversation, tick=False) as endpoint:
                yield Emulated(bot, pg, f"http://127.0.0.1:{endpoint.port}", endpoint)
        finally:
            await bot.stop()


async def test_the_playground_binds_asks_presses_a_button_and_an_absence_alerts_a_second_person(
    emulated: Emulated,
) -> None:
    pg = emulated.pg
    # The Playground adds the bot to the personal chat first (no locale), then the person types.
    assert await pg.deliver(emulated.endpoint, pg.installed("user-id-0")) == 200
    welcome = (await pg.wait_for_sent("user-id-0", 1))[-1]
    assert "invitationslink" in welcome.text

    # `KKRBOT_TEAMS_EMULATOR=1 kkrbot invite a-medlem-1 --channel teams`: what to type in the Playground.
    typed = await emulated.invite("a-medlem-1")
    assert typed.startswith("start ")
    bound = await emulated.say("user-id-0", typed)
    assert "Welcome" in bound.text
    assert emulated.rows("SELECT channel, address, person_id FROM accounts") == [
        ("teams", conversation_of("user-id-0"), "a-medlem-1")
    ]
    # Marked as the emulator's, so a start without the mode deletes it.
    assert emulated.rows("SELECT address FROM emulator_accounts") == [(conversation_of("user-id-0"),)]

    question = await emulated.say("user-id-0", "next")
    assert question.texts[0] == "Next meeting: Meeting of KKR Nordjylland"

    # The substitute, a second person in a chat of their own.
    await emulated.say("user-id-1", await emulated.invite("a-stedfortraeder-1"))
    choose = await emulated.press("user-id-0", question, "Report absence")
    recorded = await emulated.press("user-id-0", choose, "Yes, report absence")
    assert "is recorded" in recorded.text
    await pg.wait_for(lambda: any("reported absence" in s.text for s in pg.sent_to("user-id-1")))
    alert = next(s for s in pg.sent_to("user-id-1") if "reported absence" in s.text)
    answered = await emulated.press("user-id-1", alert, "I will attend")
    assert "attend" in answered.text
    assert emulated.rows("SELECT answer FROM absences") == [("accepted",)]
    # The secretariat hands out invites in the Playground too: the text to type there.
    await emulated.say("user-id-2", await emulated.invite("sekretariat-2"))
    invited = await emulated.say("user-id-2", "invite a-medlem-3", count=2)
    assert "start " in emulated.pg.sent_to("user-id-2")[-2].text
    assert "teams.microsoft.com" not in emulated.pg.sent_to("user-id-2")[-2].text
    assert "1 invite link created" in invited.text
    # No token either way: the Playground sent none, and the bot asked for none and sent none.
    assert pg.tokens_seen == 0


async def test_the_mode_refuses_to_start_with_a_teams_credential_or_a_host_that_is_not_loopback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KKRBOT_TEAMS_EMULATOR", "1")
    assert load_settings(_env_file=None).teams_enabled
    for variable in ("KKRBOT_TEAMS_CLIENT_ID", "KKRBOT_TEAMS_CLIENT_SECRET", "KKRBOT_TEAMS_TENANT_ID"):
        with monkeypatch.context() as patched:
            patched.setenv(variable, "something")
            # A single credential already fails on "all three or none"; the mode names it either way.
            with pytest.raises(ConfigError, match="KKRBOT_TEAMS_"):
                load_settings(_env_file=None)
    monkeypatch.setenv("KKRBOT_TEAMS_CLIENT_ID", "app")
    monkeypatch.setenv("KKRBOT_TEAMS_CLIENT_SECRET", "secret")
    monkeypatch.setenv("KKRBOT_TEAMS_TENANT_ID", "tenant")
    with pytest.raises(ConfigError, match="KKRBOT_TEAMS_EMULATOR=1 runs Teams without credentials"):
        load_settings(_env_file=None)
    for variable in ("KKRBOT_TEAMS_CLIENT_ID", "KKRBOT_TEAMS_CLIENT_SECRET", "KKRBOT_TEAMS_TENANT_ID"):
        monkeypatch.delenv(variable)
    for host in ("0.0.0.0", "192.168.1.20", "kkrbot.example.dk", "::"):
        monkeypatch.setenv("KKRBOT_HTTP_HOST", host)
        with pytest.raises(ConfigError, match="KKRBOT_HTTP_HOST must be a loopback address"):
            load_settings(_env_file=None)
    for host in ("127.0.0.1", "::1", "localhost"):
        monkeypatch.setenv("KKRBOT_HTTP_HOST", host)
        assert load_settings(_env_file=None).http_host == host


async def test_a_peer_or_a_service_url_that_is_not_loopback_is_refused(
    emulated: Emulated, caplog: pytest.LogCaptureFixture
) -> None:
    pg = emulated.pg
    teams = emulated.http.teams
    assert teams is not None
    remote = pg.message("user-id-0", "next")
    remote["serviceUrl"] = "https://smba.trafficmanager.net/emea/"
    assert await pg.deliver(emulated.endpoint, remote) == 401
    # The same activity from another machine (aiohttp's request.remote) is refused before anything is stored.
    assert await teams.receive("", pg.message("user-id-0", "next"), "192.0.2.7") == 401
    webchat = pg.message("user-id-0", "next")
    webchat["channelId"] = "webchat"
    assert await pg.deliver(emulated.endpoint, webchat) == 401
    assert emulated.rows("SELECT count(*) FROM inbox WHERE channel = 'teams'") == [(0,)]

    # Replies go to loopback service URLs only: a conversation stored with another one is not sent to.
    async with emulated.bot.conversation.db.transaction() as conn:
        await conn.execute(
            "INSERT INTO teams_conversations (conversation_id, service_url, updated_at) VALUES (?, ?, ?)",
            ("a:remote", "https://smba.trafficmanager.net/emea/", datetime.now(UTC).isoformat()),
        )
    item = OutboxItem(
        id=1,
        channel="teams",
        address="a:remote",
        person_id=None,
        payload=Message(text="hi").model_dump_json(),
        attempts=0,
    )
    with caplog.at_level(logging.ERROR):
        result = await teams.deliver(item)
    assert result.status is Delivery.GIVE_UP
    assert "loopback" in (result.error or "")


async def test_healthz_and_the_log_warn_loudly_in_emulator_mode(emulated: Emulated) -> None:
    async with aiohttp.ClientSession() as session, session.get(f"{emulated.endpoint}/healthz") as response:
        answer = await response.json()
    assert "TEAMS EMULATOR MODE" in answer["warning"]
    assert "WITHOUT a token" in answer["warning"]


async def test_bindings_made_in_the_mode_are_deleted_when_the_bot_starts_without_it_and_the_mode_refuses_real_ones(
    tg: FakeTelegram, tmp_path: Path, clock: Clock
) -> None:
    database = tmp_path / "kkrbot.sqlite3"
    async with FakePlayground() as pg:
        bot = await start_bot(tg, database, clock, teams_emulator=True, http_port=0)
        try:
            async with http_services(bot.settings, bot.conversation, tick=False) as endpoint:
                emulated = Emulated(bot, pg, f"http://127.0.0.1:{endpoint.port}", endpoint)
                await emulated.say("user-id-0", await emulated.invite("a-medlem-1"))
            await bot.bind(3001, "a-medlem-2")  # a Telegram binding, which no mode touches
        finally:
            await bot.stop()

    plain = await start_bot(tg, database, clock, http_port=0)
    try:
        async with http_services(plain.settings, plain.conversation, tick=False):
            pass
    finally:
        await plain.stop()
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT channel, person_id FROM accounts").fetchall() == [("telegram", "a-medlem-2")]
        assert conn.execute("SELECT count(*) FROM teams_conversations").fetchone() == (0,)
        # A real Teams binding (made without the mode) ...
        conn.execute(
            "INSERT INTO accounts (channel, address, person_id, bound_at) VALUES ('teams', 'a:real', 'a-medlem-1', '')"
        )

    # ... makes the mode refuse the database, and leaves it as it was.
    again = await start_bot(tg, database, clock, teams_emulator=True, http_port=0)
    try:
        with pytest.raises(ConfigError, match="1 Teams binding"):
            async with http_services(again.settings, again.conversation, tick=False):
                pass
    finally:
        await again.stop()
    db = await Database.open(database)
    try:
        async with db.read() as conn:
            found = list(await conn.execute_fetchall("SELECT address FROM accounts WHERE channel = 'teams'"))
    finally:
        await db.close()
    assert [tuple(row) for row in found] == [("a:real",)]
