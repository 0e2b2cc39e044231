"""E-mail end to end: the real bot (Telegram against the fake Bot API) with its e-mail channel handing messages to a
real SMTP server (aiosmtpd) on 127.0.0.1; what arrived is parsed with the standard `email` package."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiohttp import web
from icalendar import Calendar

from bot.channels.email import EmailChannel, serve_email
from bot.core.conversation import undeliverable_reason
from bot.core.usecases.absence_notices import ANSWER_NOTICE_INTERVAL
from bot.core.usecases.broadcasts import make_draft, send
from bot.delivery.message import Button, Message
from bot.delivery.outbox import Delivery, DeliveryResult, enqueue
from bot.i18n import translator
from bot.invite_mail_cli import InviteMailError, ask, invites_by_email
from bot.storage.health import TICK, assess, beat, read_health
from bot.storage.meeting_changes import plan
from bot.storage.roster import Roster
from bot.web import serve_http
from tests.conftest import Clock, RunningBot, link_token, start_bot
from tests.fake_smtp import FakeSmtp, html_text, plain_text
from tests.fake_telegram import FakeTelegram, SentMessage

PUBLIC_URL = "https://kkrbot.example.dk"
MAIL_FROM = "kkr@kkrbot.example.dk"
MEMBER, SECRETARY = 3001, 3003
# a-medlem-1's personal substitute, who never pressed an invite link: the roster's address is their binding.
SUBSTITUTE_ID = "a-stedfortraeder-1"
SUBSTITUTE_MAIL = "ole.demoholm@example.dk"
WHEN = "fredag den 12. februar 2027 kl. 10.00–12.00"
PASSWORD = "relay-pa55word-never-logged"
OAUTH_SECRET = "entra-client-secret-never-logged"
OAUTH_TOKEN = "ey-fake-access-token-for-smtp"
OTHER_SECRETARY_MAIL = "bent.proevegaard@example.dk"


@dataclass
class Mailing:
    bot: RunningBot
    smtp: FakeSmtp
    email: EmailChannel
    endpoint: str

    def rows(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.bot.settings.database) as conn:
            return conn.execute(sql, params).fetchall()

    async def http(self, method: str, url: str) -> tuple[int, str]:
        local = url.replace(PUBLIC_URL, self.endpoint)
        async with aiohttp.ClientSession() as session, session.request(method, local) as response:
            return response.status, await response.text()


async def running(
    tg: FakeTelegram, database: Path, clock: Clock, smtp: FakeSmtp, **settings: object
) -> AsyncIterator[Mailing]:
    values: dict[str, object] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp.port,
        "smtp_security": "none",
        "mail_from": MAIL_FROM,
        "mail_per_second": 100,
        "retry_base_seconds": 0.05,
        "http_port": 0,
        "public_url": PUBLIC_URL,
    }
    values.update(settings)
    bot = await start_bot(tg, database, clock, **values)
    try:
        async with (
            serve_http(bot.settings, bot.conversation, tick=False) as endpoint,
            serve_email(bot.conversation) as channel,
        ):
            yield Mailing(bot, smtp, channel, f"http://127.0.0.1:{endpoint.port}")
    finally:
        await bot.stop()


@pytest.fixture
async def smtp() -> AsyncIterator[FakeSmtp]:
    async with FakeSmtp() as server:
        yield server


@pytest.fixture
async def mailing(tg: FakeTelegram, tmp_path: Path, clock: Clock, smtp: FakeSmtp) -> AsyncIterator[Mailing]:
    async for bot in running(tg, tmp_path / "kkrbot.sqlite3", clock, smtp):
        yield bot


def text(message: SentMessage) -> str:
    return message.plain_text or ""


async def report_absence(bot: RunningBot) -> None:
    choose = await bot.ask(MEMBER, "/afbud")
    confirm = await bot.press(MEMBER, choose, "fre. 12. feb. 2027")
    await bot.press(MEMBER, confirm, "Ja, meld afbud")


def links(body: str) -> dict[str, str]:
    """The answer links of an alert's plain text: label -> URL."""
    return {label: url for label, url in re.findall(r"^(Jeg deltager|Jeg kan ikke): (\S+)$", body, re.MULTILINE)}


def answer_of(m: Mailing) -> str | None:
    [(answer,)] = m.rows("SELECT answer FROM absences WHERE member_id = 'a-medlem-1'")
    return answer  # type: ignore[no-any-return]


async def test_an_unbound_substitute_is_alerted_by_email_and_answers_with_its_links(mailing: Mailing) -> None:
    bot = mailing.bot
    await bot.bind(MEMBER, "a-medlem-1")
    await bot.bind(SECRETARY, "sekretariat-1")

    await report_absence(bot)

    [alert] = await mailing.smtp.wait_for(SUBSTITUTE_MAIL)
    body = plain_text(alert)
    assert alert["Subject"].startswith("Kan du deltage i stedet for")
    assert alert["From"].addresses[0].addr_spec == MAIL_FROM
    assert f"{WHEN}, Aalborg" in body
    assert "Svar på denne e-mail bliver ikke læst" in body
    assert "Jeg deltager" in html_text(alert)
    assert re.fullmatch(r"<kkrbot\.\d+\.[0-9a-f]{16}@kkrbot\.example\.dk>", alert["Message-ID"])
    notice = await bot.tg.wait_for(lambda m: m.chat_id == SECRETARY and "har meldt afbud" in text(m))
    assert "Ole Demoholm (eksempel), får besked pr. e-mail." in text(notice[0])
    # No other person's phone or address: the chat's alert has none.
    assert "+45" not in body
    assert "@example.dk" not in body
    answer = links(body)
    assert set(answer) == {"Jeg deltager", "Jeg kan ikke"}

    # A mail scanner opening the link changes nothing: GET shows the question and one button.
    status, page = await mailing.http("GET", answer["Jeg deltager"])
    assert status == 200
    assert '<form method="post">' in page
    assert "Jeg deltager" in page
    assert answer_of(mailing) is None

    # The button (POST) records the acceptance, and the member is told on Telegram as after the chat's button.
    status, page = await mailing.http("POST", answer["Jeg deltager"])
    assert status == 200
    assert "Tak" in page
    assert answer_of(mailing) == "accepted"
    told = await bot.tg.wait_for(lambda m: m.chat_id == MEMBER and "Stedfortræderen deltager" in text(m))
    assert "deltager i mødet fredag den 12. februar 2027" in text(told[0])

    # A later "Jeg kan ikke" changes it.
    status, _page = await mailing.http("POST", answer["Jeg kan ikke"])
    assert status == 200
    assert answer_of(mailing) == "declined"
    # Told with the latest answer once the ten minutes since the last notice have passed (the flood limit).
    bot.clock.advance(seconds=ANSWER_NOTICE_INTERVAL.total_seconds())
    await bot.conversation.tick()
    await bot.tg.wait_for(lambda m: m.chat_id == MEMBER and "kan ikke deltage" in text(m))

    # A forged signature is refused, and changes nothing.
    forged = answer["Jeg deltager"][:-4] + "0000"
    assert (await mailing.http("POST", forged))[0] == 404
    assert answer_of(mailing) == "declined"


async def test_a_moved_meeting_invalidates_the_links_and_a_cancelled_one_too(mailing: Mailing) -> None:
    bot = mailing.bot
    await bot.bind(MEMBER, "a-medlem-1")
    await report_absence(bot)
    [alert] = await mailing.smtp.wait_for(SUBSTITUTE_MAIL)
    old = links(plain_text(alert))

    out = await bot.conversation.act(
        "sekretariat-1", "meeting", ("flyt", "12.02.2027", "13:00-15:00"), _meeting_change_case()
    )
    assert out.replies
    sent = await bot.conversation.act(
        "sekretariat-1", "meeting", ("send", _last_draft(mailing)), _meeting_change_case()
    )
    assert sent.replies
    assert (await mailing.http("GET", old["Jeg deltager"]))[0] == 404
    assert (await mailing.http("POST", old["Jeg deltager"]))[0] == 404
    assert answer_of(mailing) is None

    # The move's notice asks again, with new links for the new time, which work.
    alerts = await mailing.smtp.wait_for(SUBSTITUTE_MAIL, 2)
    [again] = [m for m in alerts[1:] if "Jeg deltager" in links(plain_text(m))]
    assert "kl. 13.00–15.00" in plain_text(again)
    new = links(plain_text(again))
    assert (await mailing.http("POST", new["Jeg deltager"]))[0] == 200
    assert answer_of(mailing) == "accepted"

    # A cancellation invalidates them too.
    await bot.conversation.act("sekretariat-1", "meeting", ("aflys", "12.02.2027"), _meeting_change_case())
    await bot.conversation.act("sekretariat-1", "meeting", ("send", _last_draft(mailing)), _meeting_change_case())
    assert (await mailing.http("GET", new["Jeg kan ikke"]))[0] == 404
    assert (await mailing.http("POST", new["Jeg kan ikke"]))[0] == 404
    assert answer_of(mailing) == "accepted"


def _meeting_change_case() -> Any:
    from bot.core.usecases.meeting_changes import meeting_change_case

    return meeting_change_case


def _last_draft(m: Mailing) -> str:
    [(draft,)] = m.rows("SELECT max(id) FROM meeting_change_drafts")
    return str(draft)


async def _queue(m: Mailing, person_id: str, address: str, text: str) -> int:
    async with m.bot.conversation.db.transaction() as conn:
        await enqueue(conn, "email", address, person_id, Message(title="Test", text=text), m.bot.clock())
    m.email.worker.wake()
    [(row,)] = m.rows("SELECT max(id) FROM outbox WHERE channel = 'email'")
    return int(row)


async def _settled(m: Mailing, row: int, timeout: float = 30) -> tuple[Any, ...]:  # noqa: ASYNC109
    async with asyncio.timeout(timeout):
        while True:
            [state] = m.rows("SELECT sent_at, failed_at, attempts, error FROM outbox WHERE id = ?", (row,))
            if state[0] or state[1]:
                return state
            await asyncio.sleep(0.05)


async def test_a_4xx_is_retried_and_the_message_delivered_once(mailing: Mailing) -> None:
    mailing.smtp.data_answers = ["451 4.3.0 Try again later"]

    row = await _queue(mailing, "a-medlem-3", "sofie@example.dk", "Once, please.")
    sent_at, failed_at, attempts, _error = await _settled(mailing, row)

    assert sent_at
    assert not failed_at
    # The one 4xx was waited out, not counted: with no send succeeding in between it is the server's trouble,
    # not the message's (bot.delivery.outbox); what counts is that the message arrived once.
    assert attempts == 0
    assert mailing.smtp.data_attempts.count("sofie@example.dk") == 2
    assert len(mailing.smtp.to("sofie@example.dk")) == 1


async def test_a_5xx_is_given_up_and_not_retried(mailing: Mailing) -> None:
    await mailing.bot.bind(SECRETARY, "sekretariat-1")
    mailing.smtp.data_answers = ["554 5.7.1 Message rejected"]

    row = await _queue(mailing, "a-medlem-3", "sofie@example.dk", "Rejected.")
    sent_at, failed_at, attempts, error = await _settled(mailing, row)
    # The secretariat's one report of a given-up message is the outbox's, for every channel (issue 20), in words.
    [report] = await mailing.bot.tg.wait_for(
        lambda m: m.chat_id == SECRETARY and "kunne ikke leveres" in text(m), timeout=30
    )
    [mailed] = await mailing.smtp.wait_for(OTHER_SECRETARY_MAIL)  # sekretariat-2 has no chat account: e-mail
    await mailing.bot.conversation.tick()
    await asyncio.sleep(0.5)

    assert failed_at
    assert not sent_at
    assert attempts == 1
    assert "554" in error
    assert mailing.smtp.data_attempts.count("sofie@example.dk") == 1
    assert [m for m in mailing.bot.tg.sent_to(SECRETARY) if "kunne ikke leveres" in text(m)] == [report]
    assert "Min besked til Sofie" in text(report)
    assert "mailserveren afviste e-mailen" in text(report)
    assert "554" not in text(report)
    assert mailing.smtp.to(OTHER_SECRETARY_MAIL) == [mailed]
    assert "the mail server refused the e-mail" in plain_text(mailed)  # sekretariat-2 reads English
    assert "554" not in plain_text(mailed)


async def test_a_refused_recipient_is_given_up(mailing: Mailing) -> None:
    mailing.smtp.refused.add("gone@example.dk")

    row = await _queue(mailing, "a-medlem-3", "gone@example.dk", "Nobody home.")
    _sent_at, failed_at, attempts, error = await _settled(mailing, row)

    assert failed_at
    assert attempts == 1
    assert "550" in error


async def test_a_mail_server_that_is_down_is_degraded_and_the_chat_goes_on(mailing: Mailing) -> None:
    port = mailing.smtp.port
    await mailing.smtp.stop()
    row = await _queue(mailing, "a-medlem-3", "sofie@example.dk", "Waits for the server.")
    async with asyncio.timeout(30):
        while not mailing.rows("SELECT 1 FROM meta WHERE key = 'peer:email'"):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    # `kkrbot health`: the mail server's trouble is a degraded channel, not an unhealthy bot (exit 0), and its
    # waiting messages do not count as a stuck outbox.
    async with mailing.bot.conversation.db.transaction() as conn:
        await beat(conn, TICK, datetime.now(UTC))
    now = datetime.now(UTC)
    healthy, line = assess(
        read_health(mailing.bot.settings.database, now), now, max_age=60, tick_every=60, polling=False, running=True
    )
    assert healthy, line
    assert "degraded: email" in line

    # Telegram answers meanwhile.
    welcome = await mailing.bot.bind(MEMBER, "a-medlem-1")
    assert "Velkommen" in text(welcome)

    await mailing.smtp.start(port)
    sent_at, _failed, _attempts, _error = await _settled(mailing, row)
    assert sent_at
    assert not mailing.rows("SELECT 1 FROM meta WHERE key = 'peer:email'")


@pytest.fixture
async def token_endpoint() -> AsyncIterator[tuple[str, list[dict[str, str]]]]:
    """A fake Entra token endpoint: client credentials in, an access token out."""
    asked: list[dict[str, str]] = []

    async def token(request: web.Request) -> web.Response:
        form = dict(await request.post())
        asked.append({k: str(v) for k, v in form.items()})
        if form.get("client_secret") != OAUTH_SECRET:
            return web.json_response({"error": "invalid_client"}, status=401)
        return web.json_response({"access_token": OAUTH_TOKEN, "expires_in": 3599, "token_type": "Bearer"})

    app = web.Application()
    app.router.add_post("/tenant/oauth2/v2.0/token", token)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/tenant/oauth2/v2.0/token", asked
    await runner.cleanup()


def _secrets_nowhere(m: Mailing, caplog: pytest.LogCaptureFixture, *secrets: str) -> None:
    database = m.bot.settings.database
    stored = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*") if p.is_file())
    for secret in secrets:
        assert secret not in caplog.text
        assert secret.encode() not in stored


async def test_microsoft_365_oauth_xoauth2_and_no_secret_in_log_or_database(
    tg: FakeTelegram,
    tmp_path: Path,
    clock: Clock,
    token_endpoint: tuple[str, list[dict[str, str]]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    url, asked = token_endpoint
    async with FakeSmtp(xoauth2=(MAIL_FROM, OAUTH_TOKEN)) as smtp:
        async for m in running(
            tg,
            tmp_path / "kkrbot.sqlite3",
            clock,
            smtp,
            smtp_oauth_tenant_id="tenant",
            smtp_oauth_client_id="client-id",
            smtp_oauth_client_secret=OAUTH_SECRET,
            smtp_oauth_token_url=url,
        ):
            row = await _queue(m, "a-medlem-3", "sofie@example.dk", "Through Microsoft 365.")
            sent_at, *_ = await _settled(m, row)
            assert sent_at
            assert smtp.logins == [f"user={MAIL_FROM}"]
            assert asked[0]["grant_type"] == "client_credentials"
            assert asked[0]["scope"] == "https://outlook.office365.com/.default"
            _secrets_nowhere(m, caplog, OAUTH_SECRET, OAUTH_TOKEN)


async def test_a_relays_password_login_and_no_password_in_log_or_database(
    tg: FakeTelegram, tmp_path: Path, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with FakeSmtp(password=("kkrbot", PASSWORD)) as smtp:
        async for m in running(
            tg, tmp_path / "kkrbot.sqlite3", clock, smtp, smtp_username="kkrbot", smtp_password=PASSWORD
        ):
            row = await _queue(m, "a-medlem-3", "sofie@example.dk", "Through the relay.")
            sent_at, *_ = await _settled(m, row)
            assert sent_at
            assert smtp.logins == ["kkrbot"]
            _secrets_nowhere(m, caplog, PASSWORD)


async def test_a_repeat_of_a_row_carries_its_message_id(mailing: Mailing) -> None:
    """What a crash repeats (a row accepted by the server, its sent mark not written) is rendered from the same
    row, so it carries the same Message-ID."""
    row = await _queue(mailing, "a-medlem-3", "sofie@example.dk", "Same id.")
    await _settled(mailing, row)
    [first] = mailing.smtp.to("sofie@example.dk")
    mailing.rows("SELECT 1")
    with sqlite3.connect(mailing.bot.settings.database) as conn:
        conn.execute("UPDATE outbox SET sent_at = NULL WHERE id = ?", (row,))
    mailing.email.worker.wake()
    [_, again] = await mailing.smtp.wait_for("sofie@example.dk", 2)
    assert again["Message-ID"] == first["Message-ID"]


async def test_without_a_public_url_the_alert_says_how_to_answer(
    tg: FakeTelegram, tmp_path: Path, clock: Clock, smtp: FakeSmtp
) -> None:
    async for m in running(tg, tmp_path / "kkrbot.sqlite3", clock, smtp, public_url=None):
        alert = Message(
            title="Kan du deltage?",
            text="Svar venligst.",
            buttons=(
                (Button(label="Jeg deltager", action="cover 1 yes"), Button(label="Jeg kan ikke", action="cover 1 no")),
            ),
        )
        async with m.bot.conversation.db.transaction() as conn:
            await enqueue(conn, "email", SUBSTITUTE_MAIL, SUBSTITUTE_ID, alert, m.bot.clock())
        m.email.worker.wake()
        [mail] = await smtp.wait_for(SUBSTITUTE_MAIL)
        body = plain_text(mail)
        assert "For at svare" in body
        assert "+45 20 00 01 03" in body  # the secretariat's phone
        assert "http" not in body


async def test_a_bound_person_may_choose_email_with_kanal(mailing: Mailing) -> None:
    bot = mailing.bot
    await bot.bind(MEMBER, "a-medlem-1")
    await bot.bind(SECRETARY, "sekretariat-1")
    offer = await bot.ask(SECRETARY, "/kanal")
    assert [b["text"] for b in offer.buttons[0]] == ["Telegram", "e-mail", "Alle steder"]
    chosen = await bot.press(SECRETARY, offer, "e-mail")
    assert "e-mail" in text(chosen)
    before = len(bot.tg.sent_to(SECRETARY))

    await report_absence(bot)

    [notice] = await mailing.smtp.wait_for("anne.eksempelsen@example.dk")
    assert "har meldt afbud" in plain_text(notice)
    assert len(bot.tg.sent_to(SECRETARY)) == before


def invitation(message: EmailMessage) -> tuple[str, Calendar]:
    """The iTIP part of an e-mail: its method parameter and the calendar it carries."""
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return str(part.get_param("method")), Calendar.from_ical(part.get_content())


def invitations_for(smtp: FakeSmtp, address: str, uid: str) -> list[tuple[str, Calendar]]:
    found = [invitation(m) for m in smtp.to(address) if any(p.get_content_type() == "text/calendar" for p in m.walk())]
    return [(method, cal) for method, cal in found if str(cal.walk("VEVENT")[0]["uid"]) == uid]


async def _invitations(smtp: FakeSmtp, address: str, uid: str, count: int) -> list[tuple[str, Calendar]]:
    async with asyncio.timeout(60):
        while len(found := invitations_for(smtp, address, uid)) < count:
            await smtp.wait_for(address, len(smtp.to(address)) + 1)
    return found


async def test_calendar_invitations_request_then_update_then_cancel(
    tg: FakeTelegram, tmp_path: Path, clock: Clock, smtp: FakeSmtp
) -> None:
    member = "nina.proevegaard@example.dk"  # a-medlem-1
    uid = "kkr-nordjylland-2027-02-12@kkrbot"
    async for m in running(tg, tmp_path / "kkrbot.sqlite3", clock, smtp, mail_invitations=True, mail_per_second=1000):
        conversation = m.bot.conversation
        # Only this member has an address, so the test waits for a dozen e-mails, not three hundred.
        await conversation.db.write("UPDATE persons SET email = NULL WHERE id != 'a-medlem-1'")
        await conversation.tick()
        [(method, first)] = await _invitations(smtp, member, uid, 1)
        assert method == "REQUEST"
        assert str(first["method"]) == "REQUEST"
        event = first.walk("VEVENT")[0]
        assert str(event["organizer"]) == f"mailto:{MAIL_FROM}"
        assert str(event["attendee"]) == f"mailto:{member}"
        assert event["attendee"].params["RSVP"] == "FALSE"
        assert first.walk("VTIMEZONE")
        assert event.decoded("dtstart").hour == 10
        await conversation.tick()  # nothing changed: nothing more

        await conversation.act(
            "sekretariat-1", "meeting", ("flyt", "12.02.2027", "13:00-15:00"), _meeting_change_case()
        )
        await conversation.act("sekretariat-1", "meeting", ("send", _last_draft(m)), _meeting_change_case())
        await conversation.tick()
        [_, (method, moved)] = await _invitations(smtp, member, uid, 2)
        assert method == "REQUEST"
        assert moved.walk("VEVENT")[0]["sequence"] == event["sequence"] + 1
        assert moved.walk("VEVENT")[0].decoded("dtstart").hour == 13

        await conversation.act("sekretariat-1", "meeting", ("aflys", "12.02.2027"), _meeting_change_case())
        await conversation.act("sekretariat-1", "meeting", ("send", _last_draft(m)), _meeting_change_case())
        await conversation.tick()
        [_, _, (method, cancelled)] = await _invitations(smtp, member, uid, 3)
        assert method == "CANCEL"
        assert str(cancelled["method"]) == "CANCEL"
        assert cancelled.walk("VEVENT")[0]["sequence"] > moved.walk("VEVENT")[0]["sequence"]
        await conversation.tick()
        await asyncio.sleep(1)
        assert len(invitations_for(smtp, member, uid)) == 3


async def test_invites_by_email_carry_each_persons_link_and_are_scrubbed_once_sent(mailing: Mailing) -> None:
    bot = mailing.bot
    with pytest.raises(InviteMailError, match="--yes"):
        await invites_by_email(bot.settings, "a-stedfortraeder-1", False, yes=False, confirm=ask)
    asked: list[int] = []
    assert await invites_by_email(bot.settings, None, True, yes=False, confirm=lambda n: asked.append(n) or False) == (
        "nothing sent"
    )
    assert asked == [46]
    assert not mailing.rows("SELECT 1 FROM outbox WHERE channel = 'email'")

    out = await invites_by_email(bot.settings, "a-stedfortraeder-1", False, yes=True)
    assert out.splitlines()[0] == f"a-stedfortraeder-1\t{SUBSTITUTE_MAIL}"
    mailing.email.worker.wake()
    [mail] = await mailing.smtp.wait_for(SUBSTITUTE_MAIL)
    body = plain_text(mail)
    assert "Ole Demoholm (eksempel)" in body
    link = re.search(r"^Telegram: (https://t\.me/\S+)$", body, re.MULTILINE)
    assert link is not None
    token = link_token(link[1])

    # Scrubbed once handed to the mail server: the database no longer holds the link.
    async with asyncio.timeout(30):
        while token in "".join(r[0] for r in mailing.rows("SELECT payload FROM outbox")):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    # The link binds the substitute's Telegram account, once.
    welcome = await bot.ask(4004, f"/start {token}")
    assert "Velkommen, Ole Demoholm" in text(welcome)


async def test_a_broadcasts_report_says_email_was_handed_to_the_mail_server(mailing: Mailing) -> None:
    bot = mailing.bot
    await bot.bind(SECRETARY, "sekretariat-1")
    conversation = bot.conversation
    async with conversation.db.transaction() as conn:
        people = [p for p in (await Roster.load(conn)).people if p.id in ("a-stedfortraeder-1", "a-stedfortraeder-2")]
        broadcast_id = await make_draft(
            conn, conversation, people, sender_id="sekretariat-1", now=bot.clock(), audience="test", text="Husk mødet"
        )
        await send(conn, conversation, broadcast_id, bot.clock(), await plan(conn, conversation.dataset))
    mailing.email.worker.wake()
    await mailing.smtp.wait_for(SUBSTITUTE_MAIL)
    await mailing.smtp.wait_for("rasmus.opdigtsen@example.dk")
    async with asyncio.timeout(30):
        while not mailing.rows("SELECT 1 FROM broadcasts WHERE reported_at IS NOT NULL"):
            await conversation.tick()
            await asyncio.sleep(0.1)
    [report] = await bot.tg.wait_for(lambda m: m.chat_id == SECRETARY and "Udsendelse" in text(m))
    assert "2 af dem pr. e-mail: afleveret til mailserveren" in text(report)


def test_the_secretariat_is_told_why_an_email_was_given_up_in_words() -> None:
    _ = translator("da", ZoneInfo("Europe/Copenhagen"))
    refused = DeliveryResult(Delivery.GIVE_UP, error="recipient refused (550)")
    rejected = DeliveryResult(Delivery.GIVE_UP, error="mail server refused it (554)")
    assert undeliverable_reason(refused, _) == "mailserveren afviste deres e-mailadresse"
    assert undeliverable_reason(rejected, _) == "mailserveren afviste e-mailen"


async def test_a_reminder_by_email_says_how_to_report_absence(mailing: Mailing) -> None:
    mailing.bot.clock.now = datetime(2027, 2, 10, 9, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))
    await mailing.bot.conversation.db.write("UPDATE persons SET email = NULL WHERE id != 'a-medlem-1'")

    await mailing.bot.conversation.tick()

    [reminder] = await mailing.smtp.wait_for("nina.proevegaard@example.dk")
    body = plain_text(reminder)
    assert reminder["Subject"].startswith("Påmindelse")
    assert "For at melde afbud skal du give sekretariatet besked: Anne Eksempelsen (eksempel), telefon" in body
