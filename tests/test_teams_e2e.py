"""Microsoft Teams end to end: the bot (Telegram and Teams on one core, one database, one outbox) against the
fake Bot API and a fake Bot Connector, both on 127.0.0.1."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from bot.channels.teams import TEAMS_LIMITS, adaptive_card
from bot.cli import invites
from bot.delivery.message import Document, Message
from bot.delivery.pacing import Pacer
from bot.web import serve_http
from tests.conftest import Clock, RunningBot, start_bot
from tests.fake_teams import APP_ID, APP_SECRET, TENANT_ID, FakeConnector, SentActivity, conversation_of, new_key
from tests.fake_telegram import FakeTelegram, SentMessage

PUBLIC_URL = "https://kkrbot.example.dk"
WHEN = "fredag den 12. februar 2027 kl. 10.00–12.00"


@dataclass
class Both:
    """The running bot, seen from Teams and from Telegram."""

    bot: RunningBot
    bc: FakeConnector
    endpoint: str

    @property
    def tg(self) -> FakeTelegram:
        return self.bot.tg

    async def say(
        self, user: str, text: str | None = None, *, value: dict[str, Any] | None = None, count: int = 1
    ) -> SentActivity:
        """The user writes (or presses a card's button) in Teams; returns the bot's last answer."""
        before = len(self.bc.sent_to(user))
        assert await self.bc.deliver(self.endpoint, self.bc.activity(user, text=text, value=value)) == 200
        return (await self.bc.wait_for_sent(user, before + count))[-1]

    async def press(self, user: str, card: SentActivity, title: str, *, count: int = 1) -> SentActivity:
        action = card.action(title)
        assert action["type"] == "Action.Submit"
        return await self.say(user, value=action["data"], count=count)

    async def bind(self, user: str, person_id: str) -> SentActivity:
        return await self.say(user, f"start {await self.bot.invite(person_id)}")

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.bot.settings.database) as conn:
            return conn.execute(sql).fetchall()

    async def get(self, url: str) -> tuple[int, bytes, str]:
        local = url.replace(PUBLIC_URL, self.endpoint)
        async with aiohttp.ClientSession() as session, session.get(local) as response:
            return response.status, await response.read(), response.content_type


@pytest.fixture
async def both(tg: FakeTelegram, tmp_path: Path, clock: Clock) -> AsyncIterator[Both]:
    async with FakeConnector() as bc:
        bot = await start_bot(
            tg,
            tmp_path / "kkrbot.sqlite3",
            clock,
            teams_client_id=APP_ID,
            teams_client_secret=APP_SECRET,
            teams_tenant_id=TENANT_ID,
            teams_openid_url=bc.openid_url,
            teams_login_url=bc.base_url,
            http_port=0,
            public_url=PUBLIC_URL,
        )
        try:
            async with serve_http(bot.settings, bot.conversation, tick=False) as endpoint:
                yield Both(bot, bc, f"http://127.0.0.1:{endpoint.port}")
        finally:
            await bot.stop()


async def test_an_invite_binds_a_teams_account_and_works_once(both: Both) -> None:
    refused = await both.say("pia", "naeste")
    assert "personligt invitationslink" in refused.text

    # `kkrbot invite a-medlem-1 --channel teams`: the deep link opens the chat with "start TOKEN" typed in.
    [line] = (await invites(both.bot.settings, "a-medlem-1", False, "teams")).splitlines()
    person_id, link = line.split("\t")
    url = urlsplit(link)
    assert (person_id, url.netloc, url.path) == ("a-medlem-1", "teams.microsoft.com", "/l/chat/0/0")
    assert parse_qs(url.query)["users"] == [f"28:{APP_ID}"]
    [typed] = parse_qs(url.query)["message"]
    assert typed.startswith("start ")
    token = typed.split()[1]
    welcome = await both.say("pia", typed)

    assert "Velkommen" in welcome.text
    assert both.rows("SELECT channel, address, person_id FROM accounts") == [
        ("teams", conversation_of("pia"), "a-medlem-1")
    ]
    again = await both.say("mallory", f"start {token}")
    assert "allerede brugt" in again.text
    assert len(both.rows("SELECT * FROM accounts")) == 1


async def test_every_question_is_answered_as_an_adaptive_card(both: Both) -> None:
    await both.bind("pia", "a-medlem-1")
    questions = ["naeste", "/moeder", "stedfortraeder", "sammensaetning", "medlemmer", "hjaelp", "sprog", "afbud"]
    for question in questions:
        card = await both.say("pia", question)
        assert card.activity["type"] == "message"
        assert card.card["type"] == "AdaptiveCard"
        assert card.text.strip(), question
        for action in card.actions:
            assert action["type"] == "Action.Submit", question
            assert action["data"]["action"], question

    next_meeting = await both.say("pia", "naeste")
    assert next_meeting.texts[0] == "Næste møde: Møde i KKR Nordjylland"
    assert WHEN in next_meeting.text
    assert {"title": "Meld afbud", "data": {"action": "absent 2027-02-12"}}.items() <= next_meeting.action(
        "Meld afbud"
    ).items()
    composition = await both.say("pia", "sammensaetning")
    assert any(e["type"] == "CodeBlock" for e in composition.card["body"])
    english = await both.say("pia", "sprog en")
    assert "English" in english.text or "language" in english.text.lower()
    assert "The next meeting" in (await both.say("pia", "help")).text


async def test_afbud_on_teams_alerts_the_substitute_on_telegram(both: Both) -> None:
    """R-MEET-5: the personal substitute is alerted, on whichever channel they are bound."""
    await both.bind("pia", "a-medlem-1")
    await both.bot.bind(3002, "a-stedfortraeder-1")

    choose = await both.say("pia", "afbud")
    confirm = await both.press("pia", choose, "fre. 12. feb. 2027")
    recorded = await both.press("pia", confirm, "Ja, meld afbud")

    assert f"Dit afbud til {WHEN} er registreret" in recorded.text
    alerts = await both.tg.wait_for(lambda m: m.chat_id == 3002 and "har meldt afbud" in (m.plain_text or ""))
    assert [b["text"] for b in alerts[0].buttons[0]] == ["Jeg deltager", "Jeg kan ikke"]


async def test_afbud_on_telegram_alerts_the_substitute_on_teams_who_answers_with_the_cards_button(both: Both) -> None:
    """R-MEET-5 the other way round; the substitute's Action.Submit press is the answer."""
    await both.bot.bind(3001, "a-medlem-2")
    await both.bind("rasmus", "a-stedfortraeder-2")

    choose = await both.bot.ask(3001, "/afbud")
    confirm = await both.bot.press(3001, choose, "fre. 12. feb. 2027")
    await both.bot.press(3001, confirm, "Ja, meld afbud")

    await both.bc.wait_for(lambda: any("har meldt afbud" in s.text for s in both.bc.sent_to("rasmus")))
    alert = next(s for s in both.bc.sent_to("rasmus") if "har meldt afbud" in s.text)
    assert WHEN in alert.text
    answered = await both.press("rasmus", alert, "Jeg deltager")

    assert "Tak" in answered.text or "deltager" in answered.text
    member_told: list[SentMessage] = await both.tg.wait_for(
        lambda m: m.chat_id == 3001 and "deltager" in (m.plain_text or "") and "i dit sted" in (m.plain_text or "")
    )
    assert member_told
    assert both.rows("SELECT answer FROM absences") == [("accepted",)]


async def test_a_forged_or_expired_token_gets_401_and_nothing_is_stored(both: Both) -> None:
    bc = both.bc
    activity = bc.activity("eve", text="naeste")
    forged = {
        "another key": bc.sign(key=new_key()),
        "expired": bc.sign(expires_in=-600),
        "another bot": bc.sign(audience="someone-elses-app-id"),
        "another issuer": bc.sign(issuer="https://evil.example"),
        "another service URL": bc.sign(service_url="https://evil.example/teams"),
        "not a JWT": "abc.def.ghi",
        "empty": "",
    }
    for reason, token in forged.items():
        assert await bc.deliver(both.endpoint, activity, token=token) == 401, reason
    async with aiohttp.ClientSession() as session, session.post(f"{both.endpoint}/api/messages", json=activity) as r:
        assert r.status == 401, "no Authorization header"

    assert both.rows("SELECT * FROM inbox WHERE channel = 'teams'") == []
    assert both.rows("SELECT * FROM teams_conversations") == []
    # The genuine token for the same activity is accepted: the refusals were about the tokens.
    assert await bc.deliver(both.endpoint, activity) == 200


async def test_the_same_activity_delivered_twice_is_processed_once(both: Both) -> None:
    await both.bind("pia", "a-medlem-1")
    activity = both.bc.activity("pia", text="afbud 12.02.2027 ok")
    before = len(both.bc.sent_to("pia"))

    assert await both.bc.deliver(both.endpoint, activity) == 200
    await both.bc.wait_for_sent("pia", before + 1)
    assert await both.bc.deliver(both.endpoint, activity) == 200
    await both.say("pia", "naeste")  # a later question's answer: the repeat would have come before it

    assert len(both.bc.sent_to("pia")) == before + 2
    assert both.rows("SELECT meeting_id, member_id FROM absences") == [("2027-02-12", "a-medlem-1")]
    assert both.rows(f"SELECT count(*) FROM inbox WHERE external_id LIKE '%|{activity['id']}'") == [(1,)]


async def test_a_429_from_teams_is_honoured_and_the_answer_arrives_once(both: Both) -> None:
    await both.bind("pia", "a-medlem-1")
    both.bc.next_statuses = [429, 503]

    card = await both.say("pia", "naeste")

    assert WHEN in card.text
    await both.say("pia", "moeder")
    assert len([s for s in both.bc.sent_to("pia") if s.texts[0].startswith("Næste møde")]) == 1


async def test_the_calendar_feed_serves_the_persons_meetings_until_the_link_is_stopped(both: Both) -> None:
    await both.bind("pia", "a-medlem-1")

    answers = await both.say("pia", "kalender", count=2)
    link_card = answers
    feed = next(word for word in link_card.text.split() if word.endswith(".ics"))
    assert feed.startswith(f"{PUBLIC_URL}/calendar/")
    status, body, content_type = await both.get(feed)

    assert status == 200
    assert content_type == "text/calendar"
    calendar = body.decode()
    assert "BEGIN:VCALENDAR" in calendar
    assert "BEGIN:VTIMEZONE" in calendar
    assert "TZID:Europe/Copenhagen" in calendar
    assert "UID:kkr-nordjylland-2027-02-12@kkrbot" in calendar
    assert "SUMMARY:Møde i KKR Nordjylland" in calendar
    # The file itself reaches Teams as a link on the card before.
    file_card = both.bc.sent_to("pia")[-2]
    download = next(a for a in file_card.actions if a["type"] == "Action.OpenUrl")
    status, body, _ = await both.get(download["url"])
    assert status == 200
    assert b"BEGIN:VCALENDAR" in body

    stopped = await both.press("pia", link_card, "Stop linket")
    assert "stoppet" in stopped.text
    assert (await both.get(feed))[0] == 404
    renewed = await both.press("pia", stopped, "Nyt kalenderlink")
    new_feed = next(word for word in renewed.text.split() if word.endswith(".ics"))
    assert new_feed != feed
    assert (await both.get(new_feed))[0] == 200


async def test_healthz_answers(both: Both) -> None:
    async with aiohttp.ClientSession() as session, session.get(f"{both.endpoint}/healthz") as response:
        assert response.status == 200
        assert (await response.json())["status"] == "ok"


async def test_notifications_go_to_every_bound_channel_or_the_one_chosen_with_kanal(both: Both) -> None:
    """R-MEET-5's alert reaches a substitute bound on Telegram and Teams on both, until they choose one."""
    await both.bot.bind(3001, "a-medlem-1")
    await both.bot.bind(3002, "a-stedfortraeder-1")
    await both.bind("rasmus", "a-stedfortraeder-1")

    def alerts_on_telegram() -> int:
        return len([m for m in both.tg.sent_to(3002) if "har meldt afbud" in (m.plain_text or "")])

    def alerts_on_teams() -> int:
        return len([s for s in both.bc.sent_to("rasmus") if "har meldt afbud" in s.text])

    await both.bot.ask(3001, "/afbud 12.02.2027 ok")
    await both.tg.wait_for(lambda m: m.chat_id == 3002 and "har meldt afbud" in (m.plain_text or ""))
    await both.bc.wait_for(lambda: alerts_on_teams() == 1)

    menu = await both.say("rasmus", "kanal")
    assert [a["title"] for a in menu.actions] == ["Microsoft Teams", "Telegram", "Alle steder"]
    chosen = await both.press("rasmus", menu, "Microsoft Teams")
    assert "Microsoft Teams" in chosen.text

    await both.bot.ask(3001, "/afbud 23.04.2027 ok")
    await both.bc.wait_for(lambda: alerts_on_teams() == 2)
    await both.bot.ask(3002, "/naeste")  # anything queued for Telegram before it would have arrived by now
    assert alerts_on_telegram() == 1


async def test_installing_the_bot_in_teams_gets_the_welcome(both: Both) -> None:
    installed = both.bc.activity("pia")
    installed.update(type="conversationUpdate", membersAdded=[{"id": installed["recipient"]["id"]}])
    assert await both.bc.deliver(both.endpoint, installed) == 200

    [welcome] = await both.bc.wait_for_sent("pia", 1)
    assert welcome.texts[0] == "Velkommen"
    assert "personligt invitationslink" in welcome.text


async def test_the_secretariat_invites_from_teams_with_teams_links(both: Both) -> None:
    await both.bind("sofie", "sekretariat-1")

    links = await both.say("sofie", "inviter a-medlem-3", count=2)

    sent = both.bc.sent_to("sofie")[-2]
    assert f"https://teams.microsoft.com/l/chat/0/0?users=28:{APP_ID}&message=start%20" in sent.text
    assert "a-medlem-3" in sent.text
    assert "1 invitationslink" in links.text


def test_the_pacer_keeps_under_teams_limits_per_conversation() -> None:
    """Teams allows a bot 7 messages a second, 60 in 30 s and 1,800 an hour in one conversation."""
    now = [100.0]
    pacer = Pacer(TEAMS_LIMITS, clock=lambda: now[0])
    sent: list[float] = []
    while now[0] < 100 + 3600:
        now[0] = max(now[0], pacer.ready_at("a:conversation"))
        pacer.answered(pacer.take("a:conversation"))
        sent.append(now[0])
        now[0] += 0.001

    def most_in(window: float) -> int:
        return max(len([t for t in sent if start <= t < start + window]) for start in sent)

    assert most_in(1) <= 7
    assert most_in(30) <= 60
    assert len([t for t in sent if t < 100 + 3600]) <= 1800


def test_a_document_becomes_a_link_or_at_least_its_name_on_the_card() -> None:
    message = Message(text="Kalenderen", document=Document(filename="kkr.ics", content=b"BEGIN:VCALENDAR"))

    linked = adaptive_card(message, "https://kkrbot.example.dk/files/abc/kkr.ics")["content"]["body"]
    named = adaptive_card(message, None)["content"]["body"]

    assert linked[-1]["actions"] == [
        {"type": "Action.OpenUrl", "title": "kkr.ics", "url": "https://kkrbot.example.dk/files/abc/kkr.ics"}
    ]
    assert named[-1]["text"] == "📎 kkr.ics"


async def test_an_agenda_written_in_teams_keeps_its_lines(both: Both) -> None:
    await both.bind("sofie", "sekretariat-1")

    await both.say("sofie", "dagsorden 12.02.2027\n1. Velkommen\n2. Regional trafik")
    shown = await both.say("sofie", "naeste")

    assert "1. Velkommen\n2. Regional trafik" in shown.text
