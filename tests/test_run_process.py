"""`kkrbot run` with a token, as a process: it answers, over TLS too, stops cleanly on SIGTERM, and never logs the
token."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path

import trustme

from bot.storage.accounts import hash_token
from tests.conftest import served_over_tls
from tests.fake_telegram import FakeTelegram, SentMessage
from tests.process_clock import process_now
from tests.processes import BotProcess

USER = 4242


def add_invite(database: Path, person_id: str, token: str) -> None:
    now = process_now()
    with sqlite3.connect(database) as conn:
        conn.execute(
            "INSERT INTO invites (token_hash, person_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
            (hash_token(token), person_id, now.isoformat(), (now + timedelta(days=1)).isoformat()),
        )


async def test_a_token_telegram_refuses_stops_the_start_with_one_line(tg: FakeTelegram, tmp_path: Path) -> None:
    wrong = FakeTelegram(token="654321:WRONG-token")
    wrong.port = tg.port  # the same server, asked with a token it does not know
    log = tmp_path / "bot.log"
    bot = BotProcess(wrong, tmp_path / "kkrbot.sqlite3", log)
    await bot.start()
    assert bot.process is not None

    status = await asyncio.wait_for(bot.process.wait(), 60)

    assert status == 2
    last = log.read_text().strip().splitlines()[-1]
    assert last.startswith("kkrbot: Telegram refused KKRBOT_TELEGRAM_TOKEN")
    assert "Traceback" not in log.read_text()
    assert "WRONG-token" not in log.read_text()


async def a_member_binds_and_asks(bot: BotProcess) -> tuple[list[SentMessage], int]:
    """Starts the process; a member says /start, binds with an invite and asks /naeste. Returns the three answers
    and the exit status after SIGTERM."""
    await bot.start()
    bot.tg.inject_message(USER, "/start")
    await bot.tg.wait_for_messages(USER, 1, timeout=30)
    add_invite(bot.database, "a-medlem-1", "process-test-token")
    bot.tg.inject_message(USER, "/start process-test-token")
    bot.tg.inject_message(USER, "/naeste")
    answers = await bot.tg.wait_for_messages(USER, 3, timeout=30)
    return answers, await bot.terminate()


async def test_the_bot_process_answers_and_never_logs_its_token(tg: FakeTelegram, tmp_path: Path) -> None:
    database, log = tmp_path / "kkrbot.sqlite3", tmp_path / "bot.log"
    answers, status = await a_member_binds_and_asks(BotProcess(tg, database, log))

    assert "Velkommen" in (answers[1].plain_text or "")
    assert "fredag den" in (answers[2].plain_text or "")
    assert status == 0
    output = log.read_text()
    assert "polling Telegram" in output
    assert tg.token not in output
    assert tg.token.split(":")[1] not in output


async def test_over_tls_as_api_telegram_org_speaks_the_bot_process_answers(
    tmp_path: Path, authority: trustme.CA
) -> None:
    """The Bot API over HTTPS with a certificate from an authority the process trusts through SSL_CERT_FILE (as a
    council's own authority would be trusted): the polls and the answers go over checked TLS connections."""
    authority.cert_pem.write_to_path(str(tmp_path / "authority.pem"))
    async with FakeTelegram(tls=served_over_tls(authority)) as tg:
        assert tg.base_url.startswith("https://")
        database, log = tmp_path / "kkrbot.sqlite3", tmp_path / "bot.log"
        bot = BotProcess(tg, database, log, SSL_CERT_FILE=str(tmp_path / "authority.pem"))
        answers, status = await a_member_binds_and_asks(bot)
    assert "Velkommen" in (answers[1].plain_text or "")
    assert "fredag den" in (answers[2].plain_text or "")
    assert status == 0
    assert "Traceback" not in log.read_text()


async def test_a_certificate_the_bot_does_not_trust_is_named_in_the_log_and_nothing_is_sent(
    tmp_path: Path, authority: trustme.CA
) -> None:
    """A proxy that intercepts TLS, or a wrong SSL_CERT_FILE: no retry heals it, so the log says what to fix, not
    "network error" for ever; and the bot goes on trying without a traceback, as for any outage."""
    async with FakeTelegram(tls=served_over_tls(authority)) as tg:
        log = tmp_path / "bot.log"
        bot = BotProcess(tg, tmp_path / "kkrbot.sqlite3", log)
        await bot.start()
        tg.inject_message(USER, "/start")
        for _ in range(300):
            if "CERTIFICATE_VERIFY_FAILED" in (log.read_text() if log.exists() else ""):
                break
            await asyncio.sleep(0.1)
        status = await bot.terminate()
        assert tg.sent_to(USER) == []
    output = log.read_text()
    assert "getMe: the Bot API's TLS certificate is not trusted (CERTIFICATE_VERIFY_FAILED)" in output
    assert "name its authority's certificate in SSL_CERT_FILE" in output
    assert "Traceback" not in output
    assert status == 0
