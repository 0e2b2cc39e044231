"""Health per channel: a channel whose server does not answer is `degraded: <channel>` (exit 0, a line naming it),
only a processor or outbox worker of our own with work waiting and no attempt for the limit is unhealthy (exit 1),
and a Teams-only run ticks the clock like any other."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import bot.cli
from bot.app import http_services, open_conversation
from bot.config import Settings
from bot.delivery.message import Message
from bot.delivery.outbox import enqueue
from bot.storage.db import Database, utc_text
from bot.storage.health import TICK, assess, beat, read_health
from tests.conftest import RunningBot
from tests.test_teams_e2e import Both, both  # noqa: F401 - the fixture


def kkrbot_health(
    database: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    """`kkrbot health` as a supervisor runs it, with a bot process holding the database."""
    monkeypatch.setenv("KKRBOT_DATABASE", str(database))
    monkeypatch.delenv("KKRBOT_TELEGRAM_TOKEN", raising=False)
    monkeypatch.setattr(bot.cli, "holder", lambda _database: 4242)
    capsys.readouterr()
    code = bot.cli.main(["health"])
    captured = capsys.readouterr()
    return code, (captured.out + captured.err).strip()


def rows(database: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(database) as conn:
        return conn.execute(sql).fetchall()


async def eventually(condition: Callable[[], bool], seconds: float = 60) -> None:
    for _ in range(int(seconds * 10)):
        if condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {seconds} s")


async def ticked_now(database: Path) -> None:
    db = await Database.open(database)
    try:
        async with db.transaction() as conn:
            await beat(conn, TICK, datetime.now(UTC))
    finally:
        await db.close()


async def test_teams_unreachable_is_degraded_and_names_teams_with_exit_0(
    both: Both,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await both.bind("pia", "a-medlem-1")
    both.bc.next_statuses = [503] * 10_000
    assert await both.bc.deliver(both.endpoint, both.bc.activity("pia", text="naeste")) == 200
    await eventually(lambda: bool(both.rows("SELECT 1 FROM meta WHERE key = 'peer:teams'")))
    await ticked_now(both.bot.settings.database)

    code, line = kkrbot_health(both.bot.settings.database, monkeypatch, capsys)

    assert code == 0, line
    assert line.startswith("degraded: teams (its server has not answered for "), line
    assert ": 503;" in line


async def test_a_stuck_teams_processor_or_outbox_worker_is_unhealthy_with_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "kkrbot.sqlite3"
    long_ago = datetime.now(UTC) - timedelta(minutes=10)
    db = await Database.open(database)
    try:
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO inbox (channel, update_id, external_id, payload, received_at) "
                "VALUES ('teams', 1, 'a:pia|1', '{}', ?)",
                (utc_text(long_ago),),
            )
    finally:
        await db.close()
    await ticked_now(database)

    code, line = kkrbot_health(database, monkeypatch, capsys)
    assert code == 1, line
    assert line.startswith("unhealthy: the teams processor is stuck: 1 received and not processed, the oldest "), line

    db = await Database.open(database)
    try:
        async with db.transaction() as conn:
            await conn.execute("UPDATE inbox SET processed_at = ?", (utc_text(long_ago),))
            await enqueue(conn, "teams", "a:pia", None, Message(text="hello"), long_ago)
    finally:
        await db.close()
    code, line = kkrbot_health(database, monkeypatch, capsys)
    assert code == 1, line
    assert line.startswith("unhealthy: the teams outbox is stuck: 1 messages waiting"), line


async def test_a_teams_only_run_ticks_the_clock(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, database=tmp_path / "kkrbot.sqlite3", teams_emulator=True, http_port=0)
    conversation = await open_conversation(settings)
    try:
        async with http_services(settings, conversation, tick=True):

            def ticked() -> bool:
                with sqlite3.connect(settings.database) as conn:
                    return conn.execute("SELECT 1 FROM meta WHERE key = 'heartbeat:tick'").fetchone() is not None

            await eventually(ticked)
    finally:
        await conversation.db.close()


async def test_telegram_not_answering_getupdates_is_degraded_telegram_not_stale_polling(
    kkrbot: RunningBot, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Telegram's own outage is no fault of ours: while the poller keeps asking, `kkrbot health` says
    `degraded: telegram` and exits 0, so a supervisor does not restart the bot for it; once Telegram answers
    again the outage is gone from the record."""
    database = kkrbot.settings.database
    await eventually(lambda: bool(rows(database, "SELECT 1 FROM meta WHERE key = 'heartbeat:poll'")))
    outage = kkrbot.tg.add_fault("getUpdates", "500", times=10**9)
    await eventually(lambda: bool(rows(database, "SELECT 1 FROM meta WHERE key = 'peer:telegram'")))
    await ticked_now(database)
    now = datetime.now(UTC)
    with sqlite3.connect(database) as conn:  # the last answered getUpdates, two minutes ago
        conn.execute("UPDATE meta SET value = ? WHERE key = 'heartbeat:poll'", (utc_text(now - timedelta(minutes=2)),))

    healthy, line = assess(read_health(database, now), now, max_age=60, tick_every=60, polling=True, running=True)

    assert healthy, line
    assert line.startswith("degraded: telegram (getUpdates has not been answered for 120 s: "), line
    assert "the poller keeps trying" in line

    outage.times = 0
    await eventually(lambda: not rows(database, "SELECT 1 FROM meta WHERE key = 'peer:telegram'"), 60)
