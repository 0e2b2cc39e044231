"""A fake Telegram Bot API server for end-to-end tests and benchmarks.

The real python-telegram-bot client talks HTTP to this server exactly as it would to
api.telegram.org, so the code under test runs unmodified: request encoding, response parsing, error
mapping and retry logic are all exercised.  The server enforces the Bot API limits that have bitten
bots in production (message length, callback_data size, HTML markup, blocked users, ...) with
Telegram's own error texts, so a bug surfaces in a test instead of in the KKR group chat.

How python-telegram-bot 22 (HTTPXRequest) talks to the server, which this module relies on:

* Every method is a POST to ``{base_url}{token}/{method}``; ``getUpdates`` goes through a second
  httpx client with a read timeout of ``timeout`` + the usual read timeout.
* Without files the body is ``application/x-www-form-urlencoded``; with files it is
  ``multipart/form-data`` and non-file parameters are ordinary form parts.  A method without
  parameters (getMe) sends an empty body without content type.
* String parameters are sent raw (``text``, ``parse_mode``, ``callback_query_id``); everything else
  is JSON-encoded into the form field: ints (``"42"``), bools (``"true"``), and objects/lists
  (``reply_markup``, ``allowed_updates``, ``commands``, ``scope``, ``reply_parameters``).
  ``None`` values are dropped, so an absent field means "not given".
* A single uploaded file (sendDocument) is the multipart part named after the parameter
  (``document``) with the InputFile's filename; no ``attach://`` indirection is used.
* Responses are read as ``{"ok": true, "result": ...}``; on a non-2xx status PTB raises by HTTP
  status (400 BadRequest, 401/404 InvalidToken, 403 Forbidden, 409 Conflict, others NetworkError)
  except that ``parameters.retry_after`` turns any error into RetryAfter.

The server also accepts GET with query parameters and ``application/json`` bodies, as Telegram does.
"""

from __future__ import annotations

import asyncio
import collections
import copy
import itertools
import json
import logging
import mimetypes
import random
import re
import secrets
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, Self, TypeVar

from aiohttp import web

__all__ = [
    "CONFLICT_DESCRIPTION",
    "CallbackAnswer",
    "EditRecord",
    "FakeTelegram",
    "Fault",
    "FaultKind",
    "HtmlParseError",
    "SentMessage",
    "parse_telegram_html",
    "utf16_len",
]

_LOGGER = logging.getLogger(__name__)

JSONDict = dict[str, Any]
_T = TypeVar("_T")
# "accepted-500" and "slow" act on the request first and then fail to answer in time: the cases in which a
# client cannot know that its message arrived.
FaultKind = Literal["429", "500", "drop", "accepted-500", "slow"]

MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_COMMANDS = 100
# Telegram's flood limits (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this),
# enforced with ``FakeTelegram(flood_limits=True)`` on the methods that send a message.
FLOOD_PER_SECOND = 30
FLOOD_CHAT_PER_SECOND = 1.0
FLOOD_CHAT_BURST = 5.0
FLOOD_PER_GROUP_MINUTE = 20
_FLOOD_METHODS = frozenset({"sendMessage", "sendDocument"})
MAX_DESCRIPTION = 512
MAX_SHORT_DESCRIPTION = 120
CONFLICT_DESCRIPTION = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)
WEBHOOK_CONFLICT_DESCRIPTION = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)
NOT_MODIFIED_DESCRIPTION = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_INVALID_DESCRIPTION = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_COMMAND_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")
_BOT_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{1,64})?")
_UPDATE_TYPES_DEFAULT_OFF = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


def utf16_len(text: str) -> int:
    """Telegram measures text lengths and entity offsets in UTF-16 code units, not code points."""
    return len(text.encode("utf-16-le")) // 2


# --------------------------------------------------------------------------------------------------
# HTML parse mode
# --------------------------------------------------------------------------------------------------

_HTML_TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_HTML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_ENTITY_RE = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")


class HtmlParseError(ValueError):
    """Carries the text Telegram puts after "can't parse entities: " so callers can build the 400."""


@dataclass
class _OpenTag:
    name: str
    attrs: dict[str, str]
    start: int  # UTF-16 offset in the output text
    order: int  # Opening sequence, so equal spans sort outer-first.


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_entity_at(text: str, index: int) -> tuple[str, int] | None:
    match = _HTML_ENTITY_RE.match(text, index)
    if match is None:
        return None
    named, decimal, hexadecimal = match.groups()
    if named is not None:
        return _NAMED_HTML_ENTITIES[named], match.end()
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


def _decode_entities(value: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == "&" and (decoded := _decode_entity_at(value, i)) is not None:
            out.append(decoded[0])
            i = decoded[1]
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def parse_telegram_html(text: str, *, strict: bool = True) -> tuple[str, list[JSONDict]]:
    """Mirror tdlib's ``parse_html`` so markup Telegram would reject is rejected here too.

    Returns the plain text the user would see and its entities (UTF-16 offsets).  The error
    messages are tdlib's.  With ``strict`` (the default) a bare ``&`` or ``>`` is also an error: real
    Telegram lets them through, but they almost always mean a value was interpolated without
    ``html.escape`` - and the same value containing ``<`` would then break in production.
    """
    out: list[str] = []
    out_len = 0
    stack: list[_OpenTag] = []
    entities: list[tuple[int, JSONDict]] = []
    opened = itertools.count()
    n = len(text)
    i = 0

    def emit(chunk: str) -> None:
        nonlocal out_len
        out.append(chunk)
        out_len += utf16_len(chunk)

    while i < n:
        char = text[i]
        if char == "&":
            decoded = _decode_entity_at(text, i)
            if decoded is not None:
                emit(decoded[0])
                i = decoded[1]
                continue
            if strict:
                raise HtmlParseError(
                    f'Unescaped "&" at byte offset {_byte_offset(text, i)} (write &amp;; real Telegram '
                    "tolerates this, FakeTelegram is strict)"
                )
        if char == ">" and strict:
            raise HtmlParseError(
                f'Unescaped ">" at byte offset {_byte_offset(text, i)} (write &gt;; real Telegram '
                "tolerates this, FakeTelegram is strict)"
            )
        if char != "<":
            emit(char)
            i += 1
            continue

        begin = i
        if i + 1 < n and text[i + 1] == "/":
            if not stack:
                raise HtmlParseError(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
            j = i + 2
            while j < n and not text[j].isspace() and text[j] != ">":
                j += 1
            end_name = text[i + 2 : j].lower()
            while j < n and text[j].isspace():
                j += 1
            if j >= n or text[j] != ">":
                raise HtmlParseError(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
            open_tag = stack.pop()
            if end_name and end_name != open_tag.name:
                raise HtmlParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                    f'expected "</{open_tag.name}>", found "</{end_name}>"'
                )
            language = open_tag.attrs.get("class", "")
            if open_tag.name == "code" and stack and stack[-1].name == "pre" and language.startswith("language-"):
                # <pre><code class="language-x"> is one pre entity with a language, as in Telegram.
                stack[-1].attrs["language"] = language.removeprefix("language-")
            else:
                entity = _html_entity(open_tag, out_len)
                if entity is not None:
                    entities.append((open_tag.order, entity))
            i = j + 1
            continue

        j = i + 1
        while j < n and not text[j].isspace() and text[j] != ">":
            j += 1
        if j >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        name = text[i + 1 : j].lower()
        if name not in _HTML_TAG_ENTITY:
            raise HtmlParseError(f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, begin)}')
        attrs: dict[str, str] = {}
        while True:
            while j < n and text[j].isspace():
                j += 1
            if j >= n:
                raise HtmlParseError(f'Unclosed start tag "{name}" at byte offset {_byte_offset(text, begin)}')
            if text[j] == ">":
                j += 1
                break
            k = j
            while k < n and not text[k].isspace() and text[k] not in "=>":
                k += 1
            attr_name = text[j:k].lower()
            if not attr_name:
                raise HtmlParseError(
                    f'Empty attribute name in the tag "{name}" at byte offset {_byte_offset(text, begin)}'
                )
            while k < n and text[k].isspace():
                k += 1
            if k >= n or text[k] != "=":
                # A valueless attribute such as <blockquote expandable>.
                attrs[attr_name] = ""
                j = k
                continue
            k += 1
            while k < n and text[k].isspace():
                k += 1
            if k < n and text[k] in "\"'":
                quote = text[k]
                end = text.find(quote, k + 1)
                if end < 0:
                    raise HtmlParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
                attrs[attr_name] = _decode_entities(text[k + 1 : end])
                j = end + 1
            else:
                end = k
                while end < n and not text[end].isspace() and text[end] != ">":
                    end += 1
                attrs[attr_name] = _decode_entities(text[k:end])
                j = end
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, begin)}')
        if strict and name == "a" and not attrs.get("href"):
            raise HtmlParseError(
                f'Tag "a" must have a non-empty attribute "href" at byte offset {_byte_offset(text, begin)}'
            )
        if name == "tg-emoji" and not attrs.get("emoji-id"):
            raise HtmlParseError(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {_byte_offset(text, begin)}'
            )
        stack.append(_OpenTag(name, attrs, out_len, next(opened)))
        i = j

    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    # Outer entities first, as Telegram lists them.
    entities.sort(key=lambda item: (item[1]["offset"], -item[1]["length"], item[0]))
    return "".join(out), [entity for _, entity in entities]


def _html_entity(tag: _OpenTag, end: int) -> JSONDict | None:
    length = end - tag.start
    if length <= 0:
        return None
    entity: JSONDict = {"type": _HTML_TAG_ENTITY[tag.name], "offset": tag.start, "length": length}
    if tag.name == "a":
        if not tag.attrs.get("href"):
            return None
        entity["url"] = tag.attrs["href"]
    elif tag.name == "pre" and "language" in tag.attrs:
        entity["language"] = tag.attrs["language"]
    elif tag.name == "tg-emoji":
        entity["custom_emoji_id"] = tag.attrs["emoji-id"]
    elif tag.name == "blockquote" and "expandable" in tag.attrs:
        entity["type"] = "expandable_blockquote"
    return entity


def _strip_with_entities(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Telegram trims surrounding whitespace from texts and shifts the entities accordingly."""
    stripped = text.strip()
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    kept: list[JSONDict] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


# --------------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------------


@dataclass
class SentMessage:
    """One message the bot delivered; ``text``/``caption`` are raw as sent (markup included)."""

    method: str
    chat_id: int
    text: str | None
    parse_mode: str | None
    reply_markup: JSONDict | None
    message_id: int
    document: tuple[str, bytes] | None
    caption: str | None
    received_at: float
    plain_text: str | None = None
    """Text or caption as the user sees it: HTML parsed, entities decoded, whitespace trimmed."""
    reply_to_message_id: int | None = None
    params: JSONDict = field(default_factory=dict)
    """Every request parameter, decoded (files replaced by their filename)."""

    @property
    def buttons(self) -> list[list[JSONDict]]:
        """The inline keyboard rows, so assertions need not dig through the markup dict."""
        if not self.reply_markup:
            return []
        rows: list[list[JSONDict]] = self.reply_markup.get("inline_keyboard", [])
        return rows

    @property
    def uploaded(self) -> bool:
        """A document sent with its bytes (a multipart upload), not by a file_id the server already has."""
        return self.method == "sendDocument" and str(self.params.get("document", "")).startswith("<file ")


@dataclass
class EditRecord:
    """One successful editMessageText / editMessageReplyMarkup; ``text`` is None for markup edits."""

    method: str
    chat_id: int
    message_id: int
    text: str | None
    parse_mode: str | None
    reply_markup: JSONDict | None
    received_at: float
    plain_text: str | None = None


@dataclass
class CallbackAnswer:
    """One answerCallbackQuery, linked to the query the fake created so tests can check who got it."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None
    received_at: float
    user_id: int | None = None
    data: str | None = None


@dataclass
class Fault:
    """A pending injected failure; ``times`` counts down as requests consume it."""

    method: str | None
    kind: FaultKind
    times: int
    retry_after: int = 1
    delay: float = 0.0  # "slow": seconds between acting on the request and answering it

    def matches(self, method: str) -> bool:
        if self.times <= 0:
            return False
        if self.method is None:
            return method != "getUpdates"
        return self.method.lower() == method.lower()


class _ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def _bad_request(description: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {description}")


class _Params:
    """Typed access to form/query/JSON parameters, which arrive as strings or JSON values."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw: dict[str, Any] = dict(raw)

    def __contains__(self, name: str) -> bool:
        return name in self.raw

    def get_str(self, name: str) -> str | None:
        value = self.raw.get(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, web.FileField):
            raise _bad_request(f"{name} must be a string")
        return json.dumps(value)

    def get_int(self, name: str) -> int | None:
        value = self.raw.get(name)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            raise _bad_request(f"invalid {name} specified") from None

    def get_float(self, name: str) -> float | None:
        value = self.raw.get(name)
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        try:
            return float(str(value).strip())
        except ValueError:
            raise _bad_request(f"invalid {name} specified") from None

    def get_bool(self, name: str) -> bool:
        value = self.raw.get(name)
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in {"true", "1"}

    def get_json(self, name: str) -> Any:
        value = self.raw.get(name)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            if name == "reply_markup":
                raise _bad_request("can't parse reply keyboard markup JSON object") from None
            raise _bad_request(f"can't parse {name} JSON object") from None

    def printable(self) -> JSONDict:
        return {
            key: (f"<file {value.filename}>" if isinstance(value, web.FileField) else value)
            for key, value in self.raw.items()
        }


@dataclass
class _Poll:
    conflicted: bool = False
    waiter: asyncio.Future[None] | None = None


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    filename: str
    content: bytes
    mime_type: str
    file_path: str


# --------------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------------


class FakeTelegram:
    """In-process Bot API server; see the module docstring for the wire format it understands.

    Concurrent getUpdates: like Telegram, the *older* pending request is answered with 409 Conflict
    and the newer one proceeds.  That matters for PTB's shutdown, which abandons its long poll and
    immediately sends a final getUpdates to confirm the offset - the final call must win.
    """

    def __init__(
        self,
        token: str = "123456:TEST-token",
        *,
        bot_username: str = "kkr_test_bot",
        bot_first_name: str = "KKR Test Bot",
        first_update_id: int | None = None,
        strict_html: bool = True,
        response_delay: float = 0.0,
        flood_limits: bool = False,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        """``response_delay`` adds latency to every method except getUpdates, for benchmarks that
        want a Telegram-like round trip instead of loopback speed.  ``flood_limits`` enforces
        Telegram's limits on sent messages with 429s (see ``_flood_wait``).  ``tls``: served over
        HTTPS with this context, as api.telegram.org is."""
        self.token = token
        self.tls = tls
        prefix = token.split(":", 1)[0]
        self.bot_user: JSONDict = {
            "id": int(prefix) if prefix.isdigit() else 123456,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.strict_html = strict_html
        self.response_delay = response_delay
        self.flood_limits = flood_limits
        self._flood_sent: collections.deque[float] = collections.deque()
        # When each message the flood limits let through arrived (time.monotonic()), for `tightest_second`.
        self.flood_arrivals: list[float] = []
        # The same, per private chat, for `busiest_chat_second`.
        self.flood_chat_arrivals: dict[int, list[float]] = collections.defaultdict(list)
        self._flood_chats: dict[int, tuple[float, float]] = {}
        self._flood_groups: dict[int, collections.deque[float]] = {}

        # Inspection state (cleared by clear()).
        self.sent: list[SentMessage] = []
        self.edits: list[EditRecord] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.deleted: list[tuple[int, int]] = []
        self.injected_at: dict[int, float] = {}
        self.delivered_at: dict[int, float] = {}
        self.calls: collections.Counter[str] = collections.Counter()
        self.unknown_methods: list[str] = []
        self.get_updates_calls = 0
        self.faults_served = 0
        self.flood_refusals = 0
        # Of flood_refusals, those for the per-chat rule (the rest: over 30 a second overall, or a group's 20 a minute).
        self.flood_chat_refusals = 0
        self.conflicts = 0

        # Bot-side state (kept by clear()).
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.menu_buttons: dict[int | None, JSONDict] = {}
        # setMyDescription / setMyShortDescription, by language_code ("" for the default).
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        self.webhook_url = ""
        self.confirmed_offset: int | None = None
        self.blocked: set[int] = set()
        self.faults: list[Fault] = []
        # Chats whose every send fails with a 500 (fail_chat): a fault of one chat, not of the server.
        self.failing_chats: set[int] = set()

        self._users: dict[int, JSONDict] = {}
        self._chats: dict[int, JSONDict] = {}
        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._last_message_id: dict[int, int] = {}
        self._sent_by_chat: dict[int, list[SentMessage]] = collections.defaultdict(list)
        self._files: dict[str, _StoredFile] = {}
        self._callback_queries: dict[str, JSONDict] = {}
        self._answered_queries: set[str] = set()
        self._updates: list[JSONDict] = []
        self._allowed_updates: frozenset[str] | None = None
        self._next_update_id = first_update_id if first_update_id is not None else random.randint(10_000, 1_000_000)
        self._ids = itertools.count(1)
        self._update_waiters: set[asyncio.Future[None]] = set()
        self._record_waiters: set[asyncio.Future[None]] = set()
        self._active_poll: _Poll | None = None
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

        handlers: list[tuple[str, Callable[[_Params], Awaitable[Any]]]] = [
            ("getMe", self._get_me),
            ("getUpdates", self._get_updates),
            ("setWebhook", self._set_webhook),
            ("deleteWebhook", self._delete_webhook),
            ("getWebhookInfo", self._get_webhook_info),
            ("close", self._true),
            ("logOut", self._true),
            ("sendMessage", self._send_message),
            ("sendDocument", self._send_document),
            ("sendChatAction", self._send_chat_action),
            ("editMessageText", self._edit_message_text),
            ("editMessageReplyMarkup", self._edit_message_reply_markup),
            ("deleteMessage", self._delete_message),
            ("answerCallbackQuery", self._answer_callback_query),
            ("setMyCommands", self._set_my_commands),
            ("getMyCommands", self._get_my_commands),
            ("deleteMyCommands", self._delete_my_commands),
            ("setChatMenuButton", self._set_chat_menu_button),
            ("setMyDescription", self._set_my_description),
            ("getMyDescription", self._get_my_description),
            ("setMyShortDescription", self._set_my_short_description),
            ("getMyShortDescription", self._get_my_short_description),
            ("getChatMenuButton", self._get_chat_menu_button),
            ("getFile", self._get_file),
        ]
        self._handlers = {name.lower(): (name, handler) for name, handler in handlers}

    # ---------------------------------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url``; PTB appends the token and the method itself."""
        return f"{self._scheme}://127.0.0.1:{self._require_port()}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self._scheme}://127.0.0.1:{self._require_port()}/file/bot"

    @property
    def _scheme(self) -> str:
        return "https" if self.tls else "http"

    def _require_port(self) -> int:
        if self.port is None:
            raise RuntimeError("FakeTelegram is not started; use `async with` or `await start()`")
        return self.port

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("FakeTelegram already started")
        self._closing = False
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # handler_cancellation: a client that gives up on a long poll must not leave a stale poll
        # behind; the short shutdown_timeout bounds stop() even if a handler misbehaves.
        runner = web.AppRunner(app, handler_cancellation=True, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind(("127.0.0.1", 0))
            site = web.SockSite(runner, sock, ssl_context=self.tls)
            await site.start()
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        self.port = sock.getsockname()[1]
        self._runner = runner

    async def stop(self) -> None:
        """Release pending long polls (they answer ``[]``) and close every connection."""
        if self._runner is None:
            return
        self._closing = True
        self._wake(self._update_waiters)
        runner, self._runner = self._runner, None
        await runner.cleanup()
        self._wake(self._record_waiters)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ------------------------------------------------------------------------------ test controls

    def block(self, user_id: int) -> None:
        """Every later send to this user's private chat fails with 403, as after a real block."""
        self.blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        self.blocked.discard(user_id)

    def fail_chat(self, chat_id: int) -> None:
        """Every later message to this chat fails with 500 before it takes effect, while other chats work."""
        self.failing_chats.add(chat_id)

    def heal_chat(self, chat_id: int) -> None:
        self.failing_chats.discard(chat_id)

    def revoke_token(self) -> None:
        """As after /revoke at @BotFather: every later request with the old token gets 401 Unauthorized."""
        self.token = f"{self.token.split(':', 1)[0]}:revoked-{secrets.token_hex(8)}"

    def add_fault(
        self,
        method: str | None = "sendMessage",
        kind: FaultKind = "429",
        times: int = 1,
        retry_after: int = 1,
        delay: float = 0.0,
    ) -> Fault:
        """Fail the next ``times`` matching requests before they take effect (nothing is delivered); or, for
        "accepted-500" and "slow", after: the message is delivered, then the answer is a 500, or comes only
        after ``delay`` seconds.

        ``method=None`` matches every method except getUpdates, which must be named explicitly so a
        catch-all fault does not just stall polling.
        """
        if kind not in ("429", "500", "drop", "accepted-500", "slow"):
            raise ValueError(f"unknown fault kind {kind!r}")
        fault = Fault(method=method, kind=kind, times=times, retry_after=retry_after, delay=delay)
        self.faults.append(fault)
        return fault

    def clear(self) -> None:
        """Forget what was observed (sent, edits, answers, timings, counters), keep chats and state."""
        self.sent.clear()
        self.edits.clear()
        self.callback_answers.clear()
        self.deleted.clear()
        self.injected_at.clear()
        self.delivered_at.clear()
        self.calls.clear()
        self.unknown_methods.clear()
        for records in self._sent_by_chat.values():
            records.clear()
        self.get_updates_calls = 0
        self.faults_served = 0
        self.flood_refusals = 0
        self.flood_chat_refusals = 0
        self.conflicts = 0
        self._flood_sent.clear()
        self.flood_arrivals.clear()
        self.flood_chat_arrivals.clear()
        self._flood_chats.clear()
        self._flood_groups.clear()

    def open_chat(self, user_id: int, *, first_name: str = "Test") -> None:
        """Makes a private chat known without an update, as if the user had written to the bot long ago
        (benchmarks that queue messages to many recipients)."""
        self._remember_chat(user_id, "private", self._remember_user(user_id, first_name, None, None, None))

    def inject_message(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str = "Test",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "da",
        chat_type: Literal["private", "group", "supergroup"] = "private",
        chat_id: int | None = None,
    ) -> int:
        """Queue a text message from a user and return its update_id.

        The chat id defaults to ``user_id`` for private chats and ``-user_id`` for groups.  Injecting
        also makes the chat known, so the bot may write to it (otherwise "chat not found").
        """
        user = self._remember_user(user_id, first_name, last_name, username, language_code)
        if chat_id is None:
            chat_id = user_id if chat_type == "private" else -abs(user_id)
        chat = self._remember_chat(chat_id, chat_type, user)
        message: JSONDict = {
            "message_id": self._new_message_id(chat_id),
            "from": user,
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        command = _BOT_COMMAND_RE.match(text)
        if command is not None:
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command.group(0))}]
        self._messages[(chat_id, message["message_id"])] = message
        return self._enqueue({"message": copy.deepcopy(message)})

    def inject_document(
        self,
        user_id: int,
        filename: str,
        content: bytes,
        *,
        caption: str | None = None,
        mime_type: str = "application/pdf",
        language_code: str | None = "da",
    ) -> int:
        """Queue a file sent by a user (with an optional caption) and return its update_id.

        The file is stored as if uploaded, so the bot can send it on by its ``file_id`` as Telegram allows.
        """
        user = self._remember_user(user_id, "Test", None, None, language_code)
        chat = self._remember_chat(user_id, "private", user)
        number = next(self._ids)
        stored = _StoredFile(
            file_id=f"BQACAgQAAxkBAAI{number:06d}{random.getrandbits(64):016x}",
            file_unique_id=f"AgAD{number:06d}",
            filename=filename,
            content=content,
            mime_type=mime_type,
            file_path=f"documents/file_{number}.bin",
        )
        self._files[stored.file_id] = stored
        message: JSONDict = {
            "message_id": self._new_message_id(user_id),
            "from": user,
            "chat": chat,
            "date": int(time.time()),
            "document": {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": filename,
                "mime_type": mime_type,
                "file_size": len(content),
            },
        }
        if caption is not None:
            message["caption"] = caption
            command = _BOT_COMMAND_RE.match(caption)
            if command is not None:
                message["caption_entities"] = [
                    {"type": "bot_command", "offset": 0, "length": utf16_len(command.group(0))}
                ]
        self._messages[(user_id, message["message_id"])] = message
        return self._enqueue({"message": copy.deepcopy(message)})

    def inject_callback(
        self,
        user_id: int,
        message_id: int,
        data: str,
        *,
        chat_id: int | None = None,
        require_button: bool = True,
    ) -> int:
        """Queue a button press on a bot message; the query carries the message as it is now.

        With ``require_button`` the data must be on one of the message's current buttons, because a
        test pressing a button the bot never showed is testing nothing.
        """
        chat_id = user_id if chat_id is None else chat_id
        message = self._messages.get((chat_id, message_id))
        if message is None or message.get("from", {}).get("id") != self.bot_user["id"]:
            raise KeyError(f"no bot message {message_id} in chat {chat_id}")
        if require_button:
            offered = [
                button.get("callback_data")
                for row in message.get("reply_markup", {}).get("inline_keyboard", [])
                for button in row
            ]
            if data not in offered:
                raise ValueError(f"message {message_id} has no button with data {data!r}; it offers {offered}")
        user = self._users.get(user_id) or self._remember_user(user_id, "Test", None, None, "da")
        query_id = str(random.getrandbits(63))
        query: JSONDict = {
            "id": query_id,
            "from": user,
            "message": copy.deepcopy(message),
            "chat_instance": str(abs(hash(("chat_instance", chat_id))) % 10**18),
            "data": data,
        }
        self._callback_queries[query_id] = query
        return self._enqueue({"callback_query": query})

    def inject_button_press(
        self, user_id: int, message_id: int, button_text: str, *, chat_id: int | None = None
    ) -> int:
        """Press a button by its label, which is how a test reads most naturally."""
        chat_id = user_id if chat_id is None else chat_id
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise KeyError(f"no message {message_id} in chat {chat_id}")
        for row in message.get("reply_markup", {}).get("inline_keyboard", []):
            for button in row:
                if button.get("text") == button_text and "callback_data" in button:
                    return self.inject_callback(user_id, message_id, button["callback_data"], chat_id=chat_id)
        raise ValueError(f"message {message_id} has no callback button labelled {button_text!r}")

    def inject_raw(self, update: JSONDict) -> int:
        """Queue any other update type as given (without ``update_id``), e.g. ``my_chat_member``."""
        return self._enqueue(copy.deepcopy(update))

    def get_message(self, chat_id: int, message_id: int) -> JSONDict | None:
        """The message as Telegram currently stores it (after edits), or None if deleted/unknown."""
        message = self._messages.get((chat_id, message_id))
        return copy.deepcopy(message) if message is not None else None

    @property
    def pending_updates(self) -> int:
        return len(self._updates)

    def sent_to(self, chat_id: int) -> list[SentMessage]:
        return list(self._sent_by_chat.get(chat_id, []))

    async def wait_for(
        self,
        predicate: Callable[[SentMessage], bool],
        *,
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109 - a plain seconds argument reads best in tests
    ) -> list[SentMessage]:
        """Wait until ``count`` sent messages (including ones already sent) satisfy ``predicate``.

        Returns the first ``count`` matches.  Raises AssertionError with a dump of everything sent,
        because "timed out" alone never tells you what the bot said instead.
        """
        return await self._wait_records(lambda: self.sent, predicate, count, timeout, "sent messages")

    async def wait_for_messages(
        self,
        chat_id: int,
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109 - a plain seconds argument reads best in tests
    ) -> list[SentMessage]:
        """The first ``count`` messages sent to ``chat_id``; indexed per chat, so it stays cheap under
        load (the benchmark has one waiter per user)."""
        records = self._sent_by_chat[chat_id]
        return await self._wait_records(lambda: records, lambda _: True, count, timeout, f"messages to chat {chat_id}")

    async def wait_for_edits(
        self,
        predicate: Callable[[EditRecord], bool],
        *,
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> list[EditRecord]:
        return await self._wait_records(lambda: self.edits, predicate, count, timeout, "edits")

    async def wait_for_callback_answers(
        self,
        predicate: Callable[[CallbackAnswer], bool],
        *,
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> list[CallbackAnswer]:
        return await self._wait_records(lambda: self.callback_answers, predicate, count, timeout, "callback answers")

    async def _wait_records(
        self,
        source: Callable[[], list[_T]],
        predicate: Callable[[_T], bool],
        count: int,
        seconds: float,
        what: str,
    ) -> list[_T]:
        loop = asyncio.get_running_loop()
        matches: list[_T] = []
        position = 0
        deadline = loop.time() + seconds
        while True:
            records = source()
            if len(records) < position:  # clear() ran meanwhile
                matches, position = [], 0
            for record in records[position:]:
                if predicate(record):
                    matches.append(record)
            position = len(records)
            if len(matches) >= count:
                return matches[:count]
            if self._closing and self._runner is None:
                raise AssertionError(f"FakeTelegram stopped while waiting for {what}\n{self.describe()}")
            waiter: asyncio.Future[None] = loop.create_future()
            self._record_waiters.add(waiter)
            try:
                async with asyncio.timeout_at(deadline):
                    await waiter
            except TimeoutError:
                raise AssertionError(
                    f"timed out after {seconds:.2f}s waiting for {count} {what}; {len(matches)} matched\n"
                    f"{self.describe()}"
                ) from None
            finally:
                self._record_waiters.discard(waiter)

    def describe(self, last: int = 40) -> str:
        """Human-readable state for assertion messages."""
        lines = [f"FakeTelegram: {len(self.sent)} sent, {len(self.edits)} edits, calls={dict(self.calls)}"]
        if self.unknown_methods:
            lines.append(f"  unknown methods called (answered 404): {sorted(set(self.unknown_methods))}")
        pending_faults = [f for f in self.faults if f.times > 0]
        if pending_faults:
            lines.append(f"  pending faults: {pending_faults}")
        start = max(len(self.sent) - last, 0)
        if start:
            lines.append(f"  ... {start} earlier messages omitted")
        for index, record in enumerate(self.sent[start:], start):
            body = record.text if record.text is not None else f"[document {record.document and record.document[0]}]"
            if record.caption:
                body += f" caption={record.caption!r}"
            markup = f" buttons={record.buttons}" if record.buttons else ""
            lines.append(f"  #{index} {record.method} chat={record.chat_id} id={record.message_id}: {body!r}{markup}")
        for edit in self.edits[-10:]:
            lines.append(f"  edit {edit.method} chat={edit.chat_id} id={edit.message_id}: {edit.text!r}")
        return "\n".join(lines)

    # ------------------------------------------------------------------------------ internal state

    def _remember_user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> JSONDict:
        user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name is not None:
            user["last_name"] = last_name
        if username is not None:
            user["username"] = username
        if language_code is not None:
            user["language_code"] = language_code
        self._users[user_id] = user
        return user

    def _remember_chat(self, chat_id: int, chat_type: str, user: JSONDict) -> JSONDict:
        if chat_type == "private":
            chat: JSONDict = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
            for key in ("last_name", "username"):
                if key in user:
                    chat[key] = user[key]
        else:
            chat = self._chats.get(chat_id) or {
                "id": chat_id,
                "type": chat_type,
                "title": f"Test {chat_type}",
            }
        self._chats[chat_id] = chat
        return chat

    def _new_message_id(self, chat_id: int) -> int:
        # Private chats share one message_id sequence between both sides, as in Telegram.
        message_id = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = message_id
        return message_id

    def _enqueue(self, update: JSONDict) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        self._updates.append({"update_id": update_id, **update})
        self.injected_at[update_id] = time.perf_counter()
        self._wake(self._update_waiters)
        return update_id

    @staticmethod
    def _wake(waiters: Iterable[asyncio.Future[None]]) -> None:
        for waiter in list(waiters):
            if not waiter.done():
                waiter.set_result(None)

    def _record(self, record: SentMessage) -> None:
        self.sent.append(record)
        self._sent_by_chat[record.chat_id].append(record)
        self._wake(self._record_waiters)

    def _chat_for(self, params: _Params) -> JSONDict:
        raw = params.get_str("chat_id")
        if raw is None or raw == "":
            raise _bad_request("chat_id is empty")
        try:
            chat_id = int(raw)
        except ValueError:
            raise _bad_request("chat not found") from None
        if chat_id in self.blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        chat = self._chats.get(chat_id)
        if chat is None:
            raise _bad_request("chat not found")
        return chat

    def _formatted(
        self, params: _Params, text_key: str, parse_mode_key: str, entities_key: str
    ) -> tuple[str, list[JSONDict]]:
        """Turn a text/caption parameter into what the user sees, validating markup like Telegram."""
        text = params.get_str(text_key) or ""
        parse_mode = params.get_str(parse_mode_key)
        entities_value = params.get_json(entities_key)
        if entities_value is not None:
            entities = list(entities_value)
        elif parse_mode is None or parse_mode == "":
            entities = []
        elif parse_mode.lower() == "html":
            try:
                text, entities = parse_telegram_html(text, strict=self.strict_html)
            except HtmlParseError as exc:
                raise _bad_request(f"can't parse entities: {exc}") from None
        elif parse_mode.lower() in {"markdown", "markdownv2"}:
            entities = []  # Not validated: kkrbot uses HTML.
        else:
            raise _bad_request("unsupported parse_mode")
        return _strip_with_entities(text, entities)

    def _message_text(self, params: _Params) -> tuple[str, list[JSONDict]]:
        text, entities = self._formatted(params, "text", "parse_mode", "entities")
        if not text:
            raise _bad_request("message text is empty")
        if utf16_len(text) > MAX_MESSAGE_LENGTH:
            raise _bad_request("message is too long")
        return text, entities

    @staticmethod
    def _validate_markup(params: _Params) -> JSONDict | None:
        markup = params.get_json("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        keyboard = markup.get("inline_keyboard")
        if keyboard is None:
            return markup
        if not isinstance(keyboard, list) or not all(isinstance(row, list) for row in keyboard):
            raise _bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
        for row in keyboard:
            for button in row:
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise _bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')
                actions = set(button) - {"text"}
                if not actions:
                    raise _bad_request(
                        "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                    )
                if "callback_data" in button:
                    data = button["callback_data"]
                    size = len(data.encode("utf-8")) if isinstance(data, str) else 0
                    if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                        raise _bad_request("BUTTON_DATA_INVALID")
        return markup

    def _reply_target(self, params: _Params, chat_id: int) -> JSONDict | None:
        reply = params.get_json("reply_parameters")
        legacy = params.get_int("reply_to_message_id")
        if reply is None and legacy is None:
            return None
        if reply is None:
            reply = {"message_id": legacy}
        target = self._messages.get((int(reply.get("chat_id", chat_id)), int(reply["message_id"])))
        if target is None:
            if reply.get("allow_sending_without_reply") or params.get_bool("allow_sending_without_reply"):
                return None
            raise _bad_request("message to be replied not found")
        replied = copy.deepcopy(target)
        replied.pop("reply_to_message", None)
        return replied

    def _new_bot_message(self, chat: JSONDict, params: _Params, **content: Any) -> JSONDict:
        reply_to = self._reply_target(params, chat["id"])
        message: JSONDict = {
            "message_id": self._new_message_id(chat["id"]),
            "from": self.bot_user,
            "chat": chat,
            "date": int(time.time()),
        }
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        message.update({key: value for key, value in content.items() if value})
        self._messages[(chat["id"], message["message_id"])] = message
        return message

    def _editable(self, params: _Params) -> tuple[JSONDict, JSONDict]:
        if params.get_str("inline_message_id"):
            raise _bad_request("message to edit not found")
        chat = self._chat_for(params)
        message_id = params.get_int("message_id")
        if message_id is None:
            raise _bad_request("message identifier is not specified")
        message = self._messages.get((chat["id"], message_id))
        if message is None:
            raise _bad_request("message to edit not found")
        if message["from"]["id"] != self.bot_user["id"]:
            raise _bad_request("message can't be edited")
        return chat, message

    # --------------------------------------------------------------------------------- HTTP layer

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error_response(_ApiError(401, "Unauthorized"))
        method_name = request.match_info["method"]
        entry = self._handlers.get(method_name.lower())
        if entry is None:
            self.unknown_methods.append(method_name)
            _LOGGER.warning("FakeTelegram: unknown or unimplemented method %s -> 404", method_name)
            return _error_response(_ApiError(404, "Not Found"))
        method, handler = entry
        self.calls[method] += 1
        try:
            params = _Params(await _read_params(request))
        except _ApiError as exc:
            return _error_response(exc)

        fault = next((f for f in self.faults if f.matches(method)), None)
        late = fault if fault is not None and fault.kind in ("accepted-500", "slow") else None
        if fault is not None:
            fault.times -= 1
            self.faults_served += 1
        if fault is not None and late is None:
            if fault.kind == "drop":
                return await _drop_connection(request)
            if fault.kind == "429":
                return _error_response(
                    _ApiError(
                        429,
                        f"Too Many Requests: retry after {fault.retry_after}",
                        {"retry_after": fault.retry_after},
                    )
                )
            return _error_response(_ApiError(500, "Internal Server Error"))

        if (
            self.failing_chats
            and method in _FLOOD_METHODS
            and str(params.raw.get("chat_id")) in set(map(str, self.failing_chats))
        ):
            return _error_response(_ApiError(500, "Internal Server Error"))
        if self.flood_limits and method in _FLOOD_METHODS:
            wait = self._flood_wait(params)
            if wait is not None:
                self.flood_refusals += 1
                return _error_response(_ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait}))
        if self.response_delay and method != "getUpdates":
            await asyncio.sleep(self.response_delay)
        try:
            result = await handler(params)
        except _ApiError as exc:
            return _error_response(exc)
        if late is not None and late.kind == "accepted-500":
            return _error_response(_ApiError(500, "Internal Server Error"))
        if late is not None:
            await asyncio.sleep(late.delay)
        return web.json_response({"ok": True, "result": result})

    def _flood_wait(self, params: _Params) -> int | None:
        """Telegram's flood limits, counted when a message arrives: at most 30 in any second; in one
        private chat about one a second, bursts of up to 5 tolerated (a token bucket); at most 20 in any
        minute in one group chat.  Returns the retry_after of a 429, or None when the message may go."""
        now = time.monotonic()
        chat_id = params.get_int("chat_id") or 0
        sent = self._flood_sent
        while sent and sent[0] <= now - 1.0:
            sent.popleft()
        if len(sent) >= FLOOD_PER_SECOND:
            return 1
        if chat_id < 0:
            group = self._flood_groups.setdefault(chat_id, collections.deque())
            while group and group[0] <= now - 60.0:
                group.popleft()
            if len(group) >= FLOOD_PER_GROUP_MINUTE:
                return max(1, int(group[0] + 60.0 - now + 1))
            group.append(now)
        else:
            tokens, since = self._flood_chats.get(chat_id, (FLOOD_CHAT_BURST, now))
            tokens = self.chat_tokens(tokens, since, now)
            if tokens < 1.0:
                self.flood_chat_refusals += 1
                return 1
            self._flood_chats[chat_id] = (tokens - 1.0, now)
            self.flood_chat_arrivals[chat_id].append(now)
        sent.append(now)
        self.flood_arrivals.append(now)
        return None

    @staticmethod
    def chat_tokens(tokens: float, since: float, now: float) -> float:
        """The per-chat rule, a token bucket: what `tokens` at `since` have become at `now` (a message needs one)."""
        return min(FLOOD_CHAT_BURST, tokens + (now - since) * FLOOD_CHAT_PER_SECOND)

    @classmethod
    def within_chat_rule(cls, arrivals: list[float]) -> bool:
        """Whether one private chat's arrivals all pass the per-chat rule (its bucket full at the first)."""
        tokens, since = FLOOD_CHAT_BURST, min(arrivals, default=0.0)
        for moment in sorted(arrivals):
            tokens = cls.chat_tokens(tokens, since, moment)
            if tokens < 1.0:
                return False
            tokens, since = tokens - 1.0, moment
        return True

    @staticmethod
    def most_in_one_second(arrivals: list[float]) -> int:
        """The most arrivals in any sliding window of one second (as the flood limit counts them)."""
        most, first = 0, 0
        for last, moment in enumerate(arrivals):
            while arrivals[first] <= moment - 1.0:
                first += 1
            most = max(most, last - first + 1)
        return most

    def busiest_second(self) -> int:
        """The most accepted messages in any one second, over all chats: at most FLOOD_PER_SECOND."""
        return self.most_in_one_second(self.flood_arrivals)

    def busiest_chat_second(self) -> int:
        """The most accepted messages to one private chat in any one second: within the per-chat rule (a burst of
        FLOOD_CHAT_BURST, then FLOOD_CHAT_PER_SECOND) when flood_chat_refusals is 0."""
        return max((self.most_in_one_second(times) for times in self.flood_chat_arrivals.values()), default=0)

    def tightest_second(self) -> float | None:
        """The shortest time in which FLOOD_PER_SECOND + 1 accepted messages arrived: above 1.0 s, none of them
        was near a 429; how far above is the margin a sender kept against jitter. None with too few messages."""
        arrivals, n = self.flood_arrivals, FLOOD_PER_SECOND
        if len(arrivals) <= n:
            return None
        return min(arrivals[k + n] - arrivals[k] for k in range(len(arrivals) - n))

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error_response(_ApiError(401, "Unauthorized"))
        path = request.match_info["path"]
        for stored in self._files.values():
            if stored.file_path == path:
                return web.Response(body=stored.content, content_type=stored.mime_type)
        return _error_response(_ApiError(404, "Not Found"))

    # ----------------------------------------------------------------------------------- methods

    async def _true(self, params: _Params) -> bool:
        return True

    async def _get_me(self, params: _Params) -> JSONDict:
        return self.bot_user

    async def _set_webhook(self, params: _Params) -> bool:
        self.webhook_url = params.get_str("url") or ""
        return True

    async def _delete_webhook(self, params: _Params) -> bool:
        self.webhook_url = ""
        if params.get_bool("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, params: _Params) -> JSONDict:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _get_updates(self, params: _Params) -> list[JSONDict]:
        self.get_updates_calls += 1
        if self.webhook_url:
            raise _ApiError(409, WEBHOOK_CONFLICT_DESCRIPTION)
        offset = params.get_int("offset")
        limit = params.get_int("limit")
        if limit is None or not 1 <= limit <= 100:
            limit = 100
        timeout = max(params.get_float("timeout") or 0.0, 0.0)
        allowed = params.get_json("allowed_updates")
        if allowed is not None:
            self._allowed_updates = frozenset(allowed) or None
        if offset is not None:
            self._confirm(offset)

        if self._active_poll is not None:
            self._active_poll.conflicted = True
            self.conflicts += 1
            if self._active_poll.waiter is not None and not self._active_poll.waiter.done():
                self._active_poll.waiter.set_result(None)
        poll = _Poll()
        self._active_poll = poll
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while True:
                batch = self._deliverable(offset, limit)
                if batch or self._closing or loop.time() >= deadline:
                    break
                poll.waiter = loop.create_future()
                self._update_waiters.add(poll.waiter)
                try:
                    async with asyncio.timeout_at(deadline):
                        await poll.waiter
                except TimeoutError:
                    pass
                finally:
                    self._update_waiters.discard(poll.waiter)
                    poll.waiter = None
                if poll.conflicted:
                    raise _ApiError(409, CONFLICT_DESCRIPTION)
        finally:
            if self._active_poll is poll:
                self._active_poll = None
        now = time.perf_counter()
        for update in batch:
            self.delivered_at.setdefault(update["update_id"], now)
        return copy.deepcopy(batch)

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            self._updates = self._updates[offset:]
            if self._updates:
                self.confirmed_offset = self._updates[0]["update_id"]
            return
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if self.confirmed_offset is None or offset > self.confirmed_offset:
            self.confirmed_offset = offset

    def _deliverable(self, offset: int | None, limit: int) -> list[JSONDict]:
        batch: list[JSONDict] = []
        for update in self._updates:
            if offset is not None and offset > 0 and update["update_id"] < offset:
                continue
            kind = next((key for key in update if key != "update_id"), None)
            allowed = self._allowed_updates
            if (allowed is None and kind in _UPDATE_TYPES_DEFAULT_OFF) or (allowed is not None and kind not in allowed):
                continue
            batch.append(update)
            if len(batch) >= limit:
                break
        return batch

    async def _send_message(self, params: _Params) -> JSONDict:
        received_at = time.perf_counter()
        chat = self._chat_for(params)
        text, entities = self._message_text(params)
        markup = self._validate_markup(params)
        message = self._new_bot_message(
            chat,
            params,
            text=text,
            entities=entities,
            reply_markup=markup if markup and "inline_keyboard" in markup else None,
        )
        self._record(
            SentMessage(
                method="sendMessage",
                chat_id=chat["id"],
                text=params.get_str("text"),
                parse_mode=params.get_str("parse_mode"),
                reply_markup=markup,
                message_id=message["message_id"],
                document=None,
                caption=None,
                received_at=received_at,
                plain_text=text,
                reply_to_message_id=message.get("reply_to_message", {}).get("message_id"),
                params=params.printable(),
            )
        )
        return message

    async def _send_document(self, params: _Params) -> JSONDict:
        received_at = time.perf_counter()
        chat = self._chat_for(params)
        caption, caption_entities = self._formatted(params, "caption", "parse_mode", "caption_entities")
        if utf16_len(caption) > MAX_CAPTION_LENGTH:
            raise _bad_request("message caption is too long")
        markup = self._validate_markup(params)
        stored = self._stored_file(params.raw.get("document"))
        message = self._new_bot_message(
            chat,
            params,
            document={
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": stored.filename,
                "mime_type": stored.mime_type,
                "file_size": len(stored.content),
            },
            caption=caption,
            caption_entities=caption_entities,
            reply_markup=markup if markup and "inline_keyboard" in markup else None,
        )
        self._record(
            SentMessage(
                method="sendDocument",
                chat_id=chat["id"],
                text=None,
                parse_mode=params.get_str("parse_mode"),
                reply_markup=markup,
                message_id=message["message_id"],
                document=(stored.filename, stored.content),
                caption=params.get_str("caption"),
                received_at=received_at,
                plain_text=caption or None,
                reply_to_message_id=message.get("reply_to_message", {}).get("message_id"),
                params=params.printable(),
            )
        )
        return message

    def _stored_file(self, value: Any) -> _StoredFile:
        if isinstance(value, web.FileField):
            content = value.file.read()
            if not content:
                raise _bad_request("file must be non-empty")
            number = next(self._ids)
            filename = value.filename or "document"
            mime = value.content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
            suffix = filename.rsplit(".", 1)[1] if "." in filename else "bin"
            stored = _StoredFile(
                file_id=f"BQACAgQAAxkDAAI{number:06d}{random.getrandbits(64):016x}",
                file_unique_id=f"AgAD{number:06d}",
                filename=filename,
                content=content,
                mime_type=mime,
                file_path=f"documents/file_{number}.{suffix}",
            )
            self._files[stored.file_id] = stored
            return stored
        if isinstance(value, str) and value in self._files:
            return self._files[value]
        if not value:
            raise _bad_request("there is no document in the request")
        raise _bad_request("wrong file identifier/HTTP URL specified")

    async def _send_chat_action(self, params: _Params) -> bool:
        self._chat_for(params)
        if not params.get_str("action"):
            raise _bad_request("action is empty")
        return True

    async def _edit_message_text(self, params: _Params) -> JSONDict:
        received_at = time.perf_counter()
        chat, message = self._editable(params)
        if "text" not in message:
            raise _bad_request("there is no text in the message to edit")
        text, entities = self._message_text(params)
        markup = self._validate_markup(params)
        inline = markup if markup and "inline_keyboard" in markup else None
        if (
            message.get("text") == text
            and message.get("entities", []) == entities
            and message.get("reply_markup") == inline
        ):
            raise _ApiError(400, NOT_MODIFIED_DESCRIPTION)
        message["text"] = text
        _set_or_drop(message, "entities", entities)
        _set_or_drop(message, "reply_markup", inline)
        message["edit_date"] = int(time.time())
        self.edits.append(
            EditRecord(
                method="editMessageText",
                chat_id=chat["id"],
                message_id=message["message_id"],
                text=params.get_str("text"),
                parse_mode=params.get_str("parse_mode"),
                reply_markup=markup,
                received_at=received_at,
                plain_text=text,
            )
        )
        self._wake(self._record_waiters)
        return copy.deepcopy(message)

    async def _edit_message_reply_markup(self, params: _Params) -> JSONDict:
        received_at = time.perf_counter()
        chat, message = self._editable(params)
        markup = self._validate_markup(params)
        inline = markup if markup and "inline_keyboard" in markup else None
        if message.get("reply_markup") == inline:
            raise _ApiError(400, NOT_MODIFIED_DESCRIPTION)
        _set_or_drop(message, "reply_markup", inline)
        message["edit_date"] = int(time.time())
        self.edits.append(
            EditRecord(
                method="editMessageReplyMarkup",
                chat_id=chat["id"],
                message_id=message["message_id"],
                text=None,
                parse_mode=None,
                reply_markup=markup,
                received_at=received_at,
            )
        )
        self._wake(self._record_waiters)
        return copy.deepcopy(message)

    async def _delete_message(self, params: _Params) -> bool:
        chat = self._chat_for(params)
        message_id = params.get_int("message_id")
        if message_id is None or self._messages.pop((chat["id"], message_id), None) is None:
            raise _bad_request("message to delete not found")
        self.deleted.append((chat["id"], message_id))
        return True

    async def _answer_callback_query(self, params: _Params) -> bool:
        query_id = params.get_str("callback_query_id") or ""
        query = self._callback_queries.get(query_id)
        if query is None or query_id in self._answered_queries:
            raise _ApiError(400, QUERY_INVALID_DESCRIPTION)
        text = params.get_str("text")
        if text is not None and len(text) > 200:
            raise _bad_request("MESSAGE_TOO_LONG")
        self._answered_queries.add(query_id)
        self.callback_answers.append(
            CallbackAnswer(
                callback_query_id=query_id,
                text=text,
                show_alert=params.get_bool("show_alert"),
                url=params.get_str("url"),
                cache_time=params.get_int("cache_time"),
                received_at=time.perf_counter(),
                user_id=query["from"]["id"],
                data=query.get("data"),
            )
        )
        self._wake(self._record_waiters)
        return True

    @staticmethod
    def _command_key(params: _Params) -> tuple[str, str]:
        scope = params.get_json("scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise _bad_request("can't parse BotCommandScope JSON object")
        scope_type = str(scope["type"])
        if "chat_id" in scope:
            scope_type += f":{scope['chat_id']}"
        if "user_id" in scope:
            scope_type += f":{scope['user_id']}"
        return scope_type, params.get_str("language_code") or ""

    async def _set_my_commands(self, params: _Params) -> bool:
        commands = params.get_json("commands")
        if not isinstance(commands, list):
            raise _bad_request("can't parse commands JSON object")
        if len(commands) > MAX_COMMANDS:
            raise _bad_request("BOT_COMMANDS_TOO_MUCH")
        cleaned: list[JSONDict] = []
        for command in commands:
            name = command.get("command") if isinstance(command, dict) else None
            description = command.get("description") if isinstance(command, dict) else None
            if not isinstance(name, str) or not _COMMAND_NAME_RE.fullmatch(name):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        key = self._command_key(params)
        if cleaned:
            self.commands[key] = cleaned
        else:
            self.commands.pop(key, None)
        return True

    async def _get_my_commands(self, params: _Params) -> list[JSONDict]:
        return copy.deepcopy(self.commands.get(self._command_key(params), []))

    async def _delete_my_commands(self, params: _Params) -> bool:
        self.commands.pop(self._command_key(params), None)
        return True

    async def _set_chat_menu_button(self, params: _Params) -> bool:
        chat_id = params.get_int("chat_id")
        if chat_id is not None and chat_id not in self._chats:
            raise _bad_request("chat not found")
        button = params.get_json("menu_button") or {"type": "default"}
        self.menu_buttons[chat_id] = button
        return True

    @staticmethod
    def _set_text(store: dict[str, str], params: _Params, name: str, limit: int) -> bool:
        """Telegram's rule for both descriptions: an empty text removes the one for that language."""
        text = params.get_str(name) or ""
        if len(text) > limit:
            raise _bad_request(f"{name.upper()}_TOO_LONG")
        language = params.get_str("language_code") or ""
        if text:
            store[language] = text
        else:
            store.pop(language, None)
        return True

    async def _set_my_description(self, params: _Params) -> bool:
        return self._set_text(self.descriptions, params, "description", MAX_DESCRIPTION)

    async def _get_my_description(self, params: _Params) -> JSONDict:
        return {"description": self.descriptions.get(params.get_str("language_code") or "", "")}

    async def _set_my_short_description(self, params: _Params) -> bool:
        return self._set_text(self.short_descriptions, params, "short_description", MAX_SHORT_DESCRIPTION)

    async def _get_my_short_description(self, params: _Params) -> JSONDict:
        return {"short_description": self.short_descriptions.get(params.get_str("language_code") or "", "")}

    async def _get_chat_menu_button(self, params: _Params) -> JSONDict:
        chat_id = params.get_int("chat_id")
        return self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {"type": "commands"}

    async def _get_file(self, params: _Params) -> JSONDict:
        stored = self._files.get(params.get_str("file_id") or "")
        if stored is None:
            raise _bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }


def _set_or_drop(message: JSONDict, key: str, value: Any) -> None:
    if value:
        message[key] = value
    else:
        message.pop(key, None)


def _error_response(error: _ApiError) -> web.Response:
    body: JSONDict = {"ok": False, "error_code": error.status, "description": error.description}
    if error.parameters:
        body["parameters"] = error.parameters
    return web.json_response(body, status=error.status)


async def _read_params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.method != "POST" or not request.body_exists:
        return params
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise _bad_request("can't parse JSON request body") from None
        if isinstance(body, dict):
            params.update(body)
        return params
    form = await request.post()
    params.update(form)
    return params


async def _drop_connection(request: web.Request) -> web.StreamResponse:
    """Close the socket without an answer, as a crashing proxy or a network partition would."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    # With handler_cancellation the lost connection cancels this handler at the next await; if it
    # does not, the response below goes nowhere because the transport is already gone.
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    return web.Response(status=500)
