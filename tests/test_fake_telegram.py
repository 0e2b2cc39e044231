"""The fake Telegram server, exercised through the real python-telegram-bot client.

Every other end-to-end test trusts the fake to behave like Telegram; these tests are where that
trust is earned, so they go through PTB's own request/response handling rather than raw HTTP
wherever PTB can express the call.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import ssl
from collections.abc import AsyncIterator
from typing import Literal

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.request import HTTPXRequest

from bench.echo_bot import echo_bot_running
from bench.loadgen import format_result, run_load
from tests.fake_telegram import CONFLICT_DESCRIPTION, FakeTelegram, parse_telegram_html

TOKEN = "123456:TEST-token"
USER = 4242
# httpx builds a CA-loaded SSL context per client (~35 ms, two clients per Bot) although the fake
# speaks plain HTTP; sharing one keeps this file fast.  Everything else is PTB's default setup.
_SSL = ssl.create_default_context()


def make_bot(tg: FakeTelegram, token: str | None = None) -> Bot:
    return Bot(
        token or tg.token,
        base_url=tg.base_url,
        base_file_url=tg.base_file_url,
        request=HTTPXRequest(httpx_kwargs={"verify": _SSL}),
        get_updates_request=HTTPXRequest(connection_pool_size=1, httpx_kwargs={"verify": _SSL}),
    )


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN, first_update_id=10_000) as fake:
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with make_bot(tg) as client:
        yield client


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d or "empty", callback_data=d) for d in data]])


async def test_get_me_describes_the_bot_from_the_token(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, "kkr_test_bot", True)


async def test_send_message_round_trip(tg: FakeTelegram, bot: Bot) -> None:
    tg.inject_message(USER, "hej", first_name="Mette", username="mette")

    message = await bot.send_message(USER, "Hej <b>Mette</b>", parse_mode=ParseMode.HTML)

    assert message.text == "Hej Mette"  # Telegram returns the parsed text, not the markup.
    assert message.chat.id == USER
    assert message.from_user is not None
    assert message.from_user.id == 123456
    assert message.message_id == 2  # The user's message took id 1 in the shared private-chat sequence.
    assert [(e.type, e.offset, e.length) for e in message.entities] == [("bold", 4, 5)]
    [record] = await tg.wait_for_messages(USER)
    assert (record.method, record.text, record.plain_text, record.parse_mode) == (
        "sendMessage",
        "Hej <b>Mette</b>",
        "Hej Mette",
        "HTML",
    )
    assert record.message_id == message.message_id
    assert tg.sent_to(USER) == [record]
    assert tg.sent_to(USER + 1) == []


async def test_many_concurrent_requests_are_all_recorded(tg: FakeTelegram, bot: Bot) -> None:
    chats = [USER + n for n in range(4)]
    for chat in chats:
        tg.inject_message(chat, "hi")
    sends = [bot.send_message(chats[n % 4], f"msg {n}") for n in range(64)]
    messages = await asyncio.gather(*sends)
    assert len(tg.sent) == 64
    for chat in chats:
        ids = [m.message_id for m in tg.sent_to(chat)]
        assert sorted(ids) == list(range(2, 18))  # Unique per chat, after the user's message 1.
    assert {m.text for m in messages} == {f"msg {n}" for n in range(64)}


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("/start", "/start"),
        ("/help@kkr_test_bot please", "/help@kkr_test_bot"),
        ("/vikar_liste 3", "/vikar_liste"),
        ("hej /start", None),
        ("/ hej", None),
    ],
)
async def test_injected_commands_carry_a_bot_command_entity(
    tg: FakeTelegram, bot: Bot, text: str, command: str | None
) -> None:
    tg.inject_message(USER, text)
    [update] = await bot.get_updates()
    assert update.message is not None
    commands = [v for k, v in update.message.parse_entities().items() if k.type == "bot_command"]
    assert commands == ([command] if command else [])


async def test_get_updates_offset_confirms_updates_forever(tg: FakeTelegram, bot: Bot) -> None:
    first = tg.inject_message(USER, "one", language_code="en")
    second = tg.inject_message(USER + 1, "two")
    assert (first, second) == (10_000, 10_001)

    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [first, second]
    assert updates[0].effective_user is not None
    assert updates[0].effective_user.language_code == "en"
    # Unconfirmed updates are delivered again.
    assert [u.update_id for u in await bot.get_updates(limit=1)] == [first]

    assert [u.update_id for u in await bot.get_updates(offset=second)] == [second]
    assert tg.confirmed_offset == second
    assert await bot.get_updates(offset=second + 1) == ()
    # A lower offset later does not resurrect anything.
    assert await bot.get_updates(offset=first) == ()
    assert tg.confirmed_offset == second + 1
    assert tg.get_updates_calls == 5
    assert tg.pending_updates == 0


async def test_negative_offset_keeps_only_the_newest_updates(tg: FakeTelegram, bot: Bot) -> None:
    ids = [tg.inject_message(USER, str(n)) for n in range(4)]
    assert [u.update_id for u in await bot.get_updates(offset=-2)] == ids[2:]
    assert [u.update_id for u in await bot.get_updates()] == ids[2:]


async def test_long_poll_wakes_when_an_update_is_injected(tg: FakeTelegram, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await asyncio.sleep(0.05)
    assert not poll.done()

    update_id = tg.inject_message(USER, "wake up")

    # A poll that did not wake would sit out its 30 s and trip this guard.
    updates = await asyncio.wait_for(poll, 5)
    assert [u.update_id for u in updates] == [update_id]
    assert tg.delivered_at[update_id] >= tg.injected_at[update_id]


async def test_long_poll_returns_nothing_when_its_timeout_passes(bot: Bot) -> None:
    assert await bot.get_updates(timeout=dtm.timedelta(milliseconds=100)) == ()


async def test_second_get_updates_terminates_the_older_one(tg: FakeTelegram, bot: Bot) -> None:
    # PTB's getUpdates pool has one connection, so the rival must be a second bot instance - which is
    # exactly the "two deployments running" situation the 409 exists for.
    async with make_bot(tg) as rival:
        older = asyncio.create_task(bot.get_updates(timeout=30))
        await asyncio.sleep(0.05)
        newer = asyncio.create_task(rival.get_updates(timeout=30))
        with pytest.raises(Conflict, match=r"^Conflict: terminated by other getUpdates request"):
            await asyncio.wait_for(older, 5)

        update_id = tg.inject_message(USER, "for the newer poll")
        assert [u.update_id for u in await asyncio.wait_for(newer, 5)] == [update_id]
    assert tg.conflicts == 1
    assert CONFLICT_DESCRIPTION.startswith("Conflict: ")


async def test_stopping_releases_a_pending_long_poll(tg: FakeTelegram, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await asyncio.sleep(0.05)
    await asyncio.wait_for(tg.stop(), 5)
    assert await asyncio.wait_for(poll, 5) == ()


async def test_allowed_updates_filters_and_persists(tg: FakeTelegram, bot: Bot) -> None:
    tg.inject_message(USER, "hi")
    sent = await bot.send_message(USER, "pick", reply_markup=keyboard("x"))
    callback = tg.inject_callback(USER, sent.message_id, "x")
    assert [u.update_id for u in await bot.get_updates(allowed_updates=["callback_query"])] == [callback]
    # Telegram remembers allowed_updates until it is given again.
    assert [u.update_id for u in await bot.get_updates()] == [callback]
    assert len(await bot.get_updates(allowed_updates=[])) == 2


async def test_callback_query_carries_the_current_message(tg: FakeTelegram, bot: Bot) -> None:
    tg.inject_message(USER, "/start")
    sent = await bot.send_message(USER, "Kommer du?", reply_markup=keyboard("yes", "no"))
    await bot.edit_message_text("Kommer du på mandag?", USER, sent.message_id, reply_markup=keyboard("yes"))

    update_id = tg.inject_button_press(USER, sent.message_id, "yes")
    updates = await bot.get_updates(offset=update_id)
    query = updates[0].callback_query
    assert query is not None
    assert (query.data, query.from_user.id, query.chat_instance != "") == ("yes", USER, True)
    assert isinstance(query.message, Message)
    assert query.message.message_id == sent.message_id
    assert query.message.text == "Kommer du på mandag?"  # The edited text, as Telegram would send.
    assert query.message.reply_markup == keyboard("yes")

    assert await query.answer("Tak!")
    assert [(a.text, a.user_id, a.data) for a in tg.callback_answers] == [("Tak!", USER, "yes")]
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await query.answer()
    with pytest.raises(ValueError, match=r"no button with data 'no'"):
        tg.inject_callback(USER, sent.message_id, "no")
    with pytest.raises(KeyError):
        tg.inject_callback(USER, 1, "yes")  # Message 1 is the user's own /start.


async def test_edit_errors_match_telegram(tg: FakeTelegram, bot: Bot) -> None:
    tg.inject_message(USER, "hi")
    sent = await bot.send_message(USER, "<b>v1</b>", parse_mode="HTML", reply_markup=keyboard("a"))

    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("<b>v1</b>", USER, sent.message_id, parse_mode="HTML", reply_markup=keyboard("a"))
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("v2", USER, 999)
    with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
        await bot.edit_message_text("v2", USER, 1)
    # Same text without formatting is a different message; dropping the keyboard is a change too.
    await bot.edit_message_text("v1", USER, sent.message_id)
    await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=keyboard("b"))
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=keyboard("b"))

    assert [(e.method, e.text) for e in tg.edits] == [
        ("editMessageText", "v1"),
        ("editMessageReplyMarkup", None),
    ]
    stored = tg.get_message(USER, sent.message_id)
    assert stored is not None
    assert (stored["text"], stored["reply_markup"], "entities" in stored) == (
        "v1",
        keyboard("b").to_dict(),
        False,
    )
    await tg.wait_for_edits(lambda e: e.method == "editMessageReplyMarkup")


@pytest.mark.parametrize(
    ("text", "parse_mode", "error"),
    [
        ("x" * 4096, None, None),
        ("x" * 4097, None, "message is too long"),
        ("😀" * 2048, None, None),  # 4096 UTF-16 code units.
        ("😀" * 2049, None, "message is too long"),
        ("<b>" + "x" * 4096 + "</b>", "HTML", None),  # Markup does not count.
        ("\n  x" + " " * 5000, None, None),  # Surrounding whitespace is trimmed first.
        ("   \n ", None, "message text is empty"),
        ("<b> </b>", "HTML", "message text is empty"),
        ("hej", "Klingon", "unsupported parse_mode"),
    ],
)
async def test_message_text_limits(
    tg: FakeTelegram, bot: Bot, text: str, parse_mode: str | None, error: str | None
) -> None:
    tg.inject_message(USER, "hi")
    if error is None:
        await bot.send_message(USER, text, parse_mode=parse_mode)
        assert len(tg.sent) == 1
    else:
        with pytest.raises(BadRequest, match=f"(?i)^{error}$"):
            await bot.send_message(USER, text, parse_mode=parse_mode)
        assert tg.sent == []


@pytest.mark.parametrize(
    ("data", "ok"),
    [("x" * 64, True), ("x" * 65, False), ("ø" * 32, True), ("ø" * 33, False), ("", False)],
)
async def test_callback_data_is_limited_to_64_utf8_bytes(tg: FakeTelegram, bot: Bot, data: str, ok: bool) -> None:
    tg.inject_message(USER, "hi")
    if ok:
        await bot.send_message(USER, "pick", reply_markup=keyboard(data))
    else:
        with pytest.raises(BadRequest, match=r"(?i)^button_data_invalid$"):
            await bot.send_message(USER, "pick", reply_markup=keyboard(data))


@pytest.mark.parametrize(
    ("markup", "error"),
    [
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<b>fed", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>fed</i>", 'Unmatched end tag at byte offset 6, expected "</b>", found "</i>"'),
        ("</b>", "Unexpected end tag at byte offset 0"),
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("æ & ø", 'Unescaped "&" at byte offset 3'),
        ("a > b", 'Unescaped ">" at byte offset 2'),
        ('<a title="x">link</a>', 'Tag "a" must have a non-empty attribute "href"'),
        ("<b", "Unclosed start tag at byte offset 0"),
    ],
)
async def test_invalid_html_is_rejected_like_telegram(tg: FakeTelegram, bot: Bot, markup: str, error: str) -> None:
    tg.inject_message(USER, "hi")
    with pytest.raises(BadRequest, match=r"(?i)^can't parse entities: ") as raised:
        await bot.send_message(USER, markup, parse_mode=ParseMode.HTML)
    assert error.lower() in raised.value.message.lower()
    assert tg.sent == []


def test_valid_html_yields_telegram_entities() -> None:
    text, entities = parse_telegram_html(
        '<b>fed</b> <I>kursiv</I> <a href="https://kkr.dk/?a=1&amp;b=2">link</a> '
        '<span class="tg-spoiler">s</span> <tg-spoiler>t</tg-spoiler> '
        '<pre><code class="language-python">x = 1</code></pre> <blockquote expandable>q</blockquote> '
        "&lt;&gt;&amp;&quot;&#128512;!"
    )
    assert text == 'fed kursiv link s t x = 1 q <>&"😀!'
    assert [(e["type"], e["offset"], e["length"]) for e in entities] == [
        ("bold", 0, 3),
        ("italic", 4, 6),
        ("text_link", 11, 4),
        ("spoiler", 16, 1),
        ("spoiler", 18, 1),
        ("pre", 20, 5),
        ("expandable_blockquote", 26, 1),
    ]
    assert entities[2]["url"] == "https://kkr.dk/?a=1&b=2"
    assert entities[5]["language"] == "python"
    assert [e["type"] for e in parse_telegram_html("<b><i>x</i></b> <pre><code>y</code></pre>")[1]] == [
        "bold",
        "italic",
        "pre",
        "code",
    ]


async def test_lenient_html_mode_accepts_what_telegram_accepts() -> None:
    async with (
        FakeTelegram(token=TOKEN, strict_html=False) as tg,
        make_bot(tg) as bot,
    ):
        tg.inject_message(USER, "hi")
        message = await bot.send_message(USER, "R&D > <b>salg</b>", parse_mode="HTML")
        assert message.text == "R&D > salg"


async def test_caption_is_limited_to_1024(tg: FakeTelegram, bot: Bot) -> None:
    tg.inject_message(USER, "hi")
    await bot.send_document(USER, b"x", filename="a.txt", caption="c" * 1024)
    with pytest.raises(BadRequest, match=r"(?i)^message caption is too long$"):
        await bot.send_document(USER, b"x", filename="a.txt", caption="c" * 1025)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_document(USER, b"x", filename="a.txt", caption="<b>x", parse_mode="HTML")
    assert len(tg.sent) == 1


async def test_unknown_and_blocked_chats(tg: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)^chat not found$"):
        await bot.send_message(USER, "hej")
    tg.inject_message(USER, "hi")
    tg.block(USER)
    with pytest.raises(Forbidden, match=r"^Forbidden: bot was blocked by the user$"):
        await bot.send_message(USER, "hej")
    tg.unblock(USER)
    await bot.send_message(USER, "hej igen")
    assert [m.text for m in tg.sent] == ["hej igen"]


async def test_429_fault_raises_retry_after_and_delivers_nothing(
    tg: FakeTelegram, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # retry_after as timedelta, without PTB's deprecation warning.
    tg.inject_message(USER, "hi")
    tg.add_fault("sendMessage", "429", times=2, retry_after=3)
    for _ in range(2):
        with pytest.raises(RetryAfter) as raised:
            await bot.send_message(USER, "hej")
        assert raised.value.retry_after == dtm.timedelta(seconds=3)
    assert tg.sent == []
    await bot.send_message(USER, "hej")
    assert len(tg.sent) == 1
    assert tg.faults_served == 2


@pytest.mark.parametrize(
    ("kind", "message"),
    [("500", r"^Internal Server Error$"), ("drop", r"RemoteProtocolError: Server disconnected")],
)
async def test_500_and_dropped_connections_are_network_errors(
    tg: FakeTelegram, bot: Bot, kind: Literal["500", "drop"], message: str
) -> None:
    tg.inject_message(USER, "hi")
    tg.add_fault(None, kind, times=1)
    update_id = tg.inject_message(USER, "still pollable")
    # A catch-all fault leaves getUpdates alone.
    assert [u.update_id for u in await bot.get_updates(offset=update_id)] == [update_id]
    with pytest.raises(NetworkError, match=message) as raised:
        await bot.send_message(USER, "lost")
    assert type(raised.value) is NetworkError
    await bot.send_message(USER, "delivered")
    assert [m.text for m in tg.sent] == ["delivered"]
    assert tg.faults_served == 1


async def test_wrong_token_is_invalid_token(tg: FakeTelegram) -> None:
    # PTB's initialize() turns the 401 "Unauthorized" into its own wording.
    with pytest.raises(InvalidToken, match=r"654321:WRONG` was rejected by the server"):
        async with make_bot(tg, token="654321:WRONG"):
            pass


async def test_raw_http_methods_are_case_insensitive_and_unknown_ones_404(tg: FakeTelegram) -> None:
    tg.inject_message(USER, "hi")
    async with httpx.AsyncClient(base_url=f"{tg.base_url}{tg.token}/") as client:
        got = (await client.get("GETME")).json()
        assert got["ok"]
        assert got["result"]["username"] == "kkr_test_bot"
        sent = (await client.post("sendmessage", json={"chat_id": USER, "text": "json body"})).json()
        assert sent["result"]["text"] == "json body"
        missing = await client.post("sendTeleportation", data={"chat_id": str(USER)})
        assert missing.status_code == 404
        assert missing.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        wrong = await client.get(f"{tg.base_url}0:nope/getMe")
        assert (wrong.status_code, wrong.json()["description"]) == (401, "Unauthorized")
    assert tg.unknown_methods == ["sendTeleportation"]


async def test_send_document_keeps_filename_bytes_and_caption(tg: FakeTelegram, bot: Bot) -> None:
    tg.inject_message(USER, "hi")
    payload = "møde;dato\n1;2026-01-05\n".encode()
    message = await bot.send_document(USER, payload, filename="møder.csv", caption="<i>Møder</i>", parse_mode="HTML")

    assert message.document is not None
    assert (message.document.file_name, message.document.file_size, message.caption) == (
        "møder.csv",
        len(payload),
        "Møder",
    )
    [record] = tg.sent
    assert (record.method, record.document, record.caption, record.text) == (
        "sendDocument",
        ("møder.csv", payload),
        "<i>Møder</i>",
        None,
    )
    file = await bot.get_file(message.document.file_id)
    assert bytes(await file.download_as_bytearray()) == payload
    # Re-sending by file_id works like Telegram's cache.
    again = await bot.send_document(USER, message.document.file_id)
    assert again.document is not None
    assert again.document.file_unique_id == message.document.file_unique_id


async def test_commands_are_stored_per_scope_and_language(tg: FakeTelegram, bot: Bot) -> None:
    assert await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("fravaer", "Meld fravær")])
    assert await bot.set_my_commands([BotCommand("start", "Begynd")], language_code="da")
    assert await bot.set_my_commands([BotCommand("help", "Help")], scope=BotCommandScopeAllPrivateChats())

    assert [c.command for c in await bot.get_my_commands()] == ["start", "fravaer"]
    assert [c.description for c in await bot.get_my_commands(language_code="da")] == ["Begynd"]
    assert await bot.get_my_commands(language_code="en") == ()
    assert set(tg.commands) == {("default", ""), ("default", "da"), ("all_private_chats", "")}

    await bot.delete_my_commands(language_code="da")
    assert await bot.get_my_commands(language_code="da") == ()
    for bad in ["Start", "", "x" * 33, "hjælp", "with-dash"]:
        with pytest.raises(BadRequest, match=r"(?i)^bot_command_invalid$"):
            await bot.set_my_commands([BotCommand(bad, "ok")])
    for bad in ["", "x" * 257]:
        with pytest.raises(BadRequest, match=r"(?i)^bot_command_description_invalid$"):
            await bot.set_my_commands([BotCommand("ok", bad)])
    assert await bot.set_chat_menu_button()
    assert await bot.delete_webhook(drop_pending_updates=True)


async def test_wait_for_explains_what_was_sent_instead(tg: FakeTelegram, bot: Bot) -> None:
    tg.inject_message(USER, "hi")
    await bot.send_message(USER, "Forkert svar")
    with pytest.raises(AssertionError, match=r"(?s)waiting for 1 sent messages; 0 matched.*Forkert svar"):
        await tg.wait_for(lambda m: m.text == "Rigtigt svar", timeout=0.05)

    later = asyncio.create_task(tg.wait_for_messages(USER, count=3, timeout=5))
    await bot.send_message(USER, "Rigtigt svar")
    await bot.send_message(USER, "Tredje")
    assert [m.text for m in await later] == ["Forkert svar", "Rigtigt svar", "Tredje"]
    tg.clear()
    assert (tg.sent, tg.sent_to(USER), tg.get_updates_calls) == ([], [], 0)


async def test_echo_bot_under_closed_loop_load(tg: FakeTelegram) -> None:
    async with echo_bot_running(tg):
        result = await run_load(tg, users=[1, 2, 3], questions=12, text_for=lambda u, n: f"q{n} from {u}")
    assert (result.questions, result.answered, len(result.latencies)) == (12, 12, 12)
    assert all(latency > 0 for latency in result.latencies)
    assert sorted(m.text or "" for m in tg.sent) == sorted(f"q{n} from {[1, 2, 3][n % 3]}" for n in range(12))
    assert "12/12" in format_result("echo", result)
    # PTB's shutdown confirmed everything it fetched.
    assert tg.pending_updates == 0
