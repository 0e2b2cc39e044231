"""The Microsoft Teams channel: the Bot Connector's activities in, Adaptive Cards out, on the same core.

Store first, like the Telegram poller: an activity whose JWT is valid is written to the inbox (keyed by its
conversation and id) and committed before the endpoint answers 200, so the Bot Connector's retry of an
activity we did not confirm is the only way to lose it, and a retry of one we did store changes nothing.
A processor replays the inbox in order; the use case marks each activity processed in its own transaction.
Everything sent goes through the outbox; the worker for `teams` posts Adaptive Cards to the conversation's
service URL, which is stored with every activity the person sends (so alerts, reminders and broadcasts
reach them proactively).

Library: Microsoft's Teams SDK for Python provides the card models (`microsoft-teams-cards`). Its app server
(`microsoft-teams-apps`: FastAPI, uvicorn, a dependency injector) answers the HTTP request after running the
handler and sends through its own client, which is the opposite of store-first and would bypass the outbox, so
the endpoint is a plain aiohttp route (bot/web.py), and the Bot Connector's JWT is checked here with PyJWT, the
way the SDK's own `TokenValidator` does (RS256 against the OpenID metadata's keys, issuer, audience, expiry,
the `serviceurl` claim) but without blocking the event loop on the key download.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import logging
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
import jwt
from microsoft_teams.cards import (
    ActionSet,
    AdaptiveCard,
    CardElement,
    CodeBlock,
    OpenUrlAction,
    SubmitAction,
    TextBlock,
)

from bot.config import Settings
from bot.core.commands import find_command, parse_action
from bot.core.conversation import FREE_TEXT, Conversation
from bot.core.messages import Request
from bot.delivery.inbox import MARK_PROCESSED, pending_updates, store_keyed
from bot.delivery.message import Message
from bot.delivery.outbox import Delivery, DeliveryResult, OutboxItem, OutboxWorker, with_stored_content
from bot.delivery.pacing import Limits, Pacer
from bot.storage.accounts import person_for_account
from bot.storage.db import Database, first_row, utc_text

log = logging.getLogger(__name__)

CHANNEL = "teams"
BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
BOT_FRAMEWORK_SCOPE = "https://api.botframework.com/.default"
# Microsoft's own validators allow five minutes of clock skew.
CLOCK_SKEW_SECONDS = 300
KEYS_MAX_AGE_SECONDS = 24 * 3600
# A token naming a key we do not know makes us fetch the keys again, but not more often than this.
KEYS_REFRESH_MIN_SECONDS = 60
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=30)
_TAGS = re.compile(r"<[^>]+>")
_BREAKS = re.compile(r"<br\s*/?>|</p>|</div>", re.IGNORECASE)


class Unauthorized(Exception):
    """The request does not come from the Bot Connector for this bot; it gets 401 and is not stored."""


# --- incoming: authentication -------------------------------------------------------------------------


@dataclass(frozen=True)
class SigningKey:
    key: jwt.PyJWK
    # The channels a key may sign for ("msteams"); the Bot Connector publishes them with each key.
    endorsements: tuple[str, ...]


class ConnectorKeys:
    """The Bot Connector's signing keys, from its OpenID metadata: fetched again daily, and when a token names
    a key we do not know (Microsoft rolls keys over), at most once a minute."""

    def __init__(self, session: aiohttp.ClientSession, openid_url: str) -> None:
        self.session = session
        self.openid_url = openid_url
        self._keys: dict[str, SigningKey] = {}
        # When we last tried, successfully or not: tokens naming unknown keys must not make us fetch per request.
        self._tried_at: float | None = None
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()

    def _due(self, kid: str) -> bool:
        now = time.monotonic()
        if self._tried_at is None:
            return True
        if self._fetched_at is not None and now - self._fetched_at > KEYS_MAX_AGE_SECONDS:
            return True
        return kid not in self._keys and now - self._tried_at > KEYS_REFRESH_MIN_SECONDS

    async def get(self, kid: str) -> SigningKey | None:
        if self._due(kid):
            async with self._lock:
                if self._due(kid):  # another request may have fetched them meanwhile
                    await self._fetch()
        return self._keys.get(kid)

    async def _fetch(self) -> None:
        self._tried_at = time.monotonic()
        try:
            async with self.session.get(self.openid_url, timeout=HTTP_TIMEOUT) as response:
                response.raise_for_status()
                metadata = await response.json(content_type=None)
            async with self.session.get(metadata["jwks_uri"], timeout=HTTP_TIMEOUT) as response:
                response.raise_for_status()
                jwks = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, KeyError, ValueError) as exc:
            # The keys we have stay in use; without any, every request gets 401 until the next try.
            log.warning("could not fetch the Bot Connector's signing keys: %s", type(exc).__name__)
            return
        keys = {}
        for data in jwks.get("keys", []):
            try:
                keys[data["kid"]] = SigningKey(jwt.PyJWK(data), tuple(data.get("endorsements", ())))
            except (jwt.PyJWKError, KeyError):
                continue
        self._keys = keys
        self._fetched_at = time.monotonic()


class ConnectorAuth:
    """Checks the Bot Connector's JWT on an incoming activity, as Microsoft documents it for bots: signed
    (RS256) by a published key endorsed for the activity's channel, issued by the Bot Framework, for this
    bot's app id, not expired, and naming the activity's service URL."""

    def __init__(self, keys: ConnectorKeys, app_id: str) -> None:
        self.keys = keys
        self.app_id = app_id

    async def check(self, authorization: str, activity: dict[str, Any]) -> dict[str, Any]:
        scheme, _, token = authorization.partition(" ")
        if scheme != "Bearer" or not token:
            raise Unauthorized("no bearer token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized("malformed token") from exc
        if header.get("alg") != "RS256" or not isinstance(header.get("kid"), str):
            raise Unauthorized("unexpected algorithm or key id")
        key = await self.keys.get(header["kid"])
        if key is None:
            raise Unauthorized("unknown signing key")
        channel = activity.get("channelId")
        if key.endorsements and channel not in key.endorsements:
            raise Unauthorized("key not endorsed for the channel")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                audience=self.app_id,
                issuer=BOT_FRAMEWORK_ISSUER,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(type(exc).__name__) from exc
        service_url = activity.get("serviceUrl")
        if not isinstance(service_url, str) or claims.get("serviceurl", "").rstrip("/") != service_url.rstrip("/"):
            raise Unauthorized("service URL does not match the token")
        return claims


# --- outgoing: tokens, pacing, cards ------------------------------------------------------------------


class AccessTokens:
    """The bot's own token for the Bot Connector (client credentials in its single tenant), cached until five
    minutes before it expires."""

    def __init__(self, session: aiohttp.ClientSession, settings: Settings) -> None:
        assert settings.teams_client_id
        assert settings.teams_client_secret
        assert settings.teams_tenant_id
        self.session = session
        self.url = f"{settings.teams_login_url.rstrip('/')}/{settings.teams_tenant_id}/oauth2/v2.0/token"
        self.form = {
            "grant_type": "client_credentials",
            "client_id": settings.teams_client_id,
            "client_secret": settings.teams_client_secret.get_secret_value(),
            "scope": BOT_FRAMEWORK_SCOPE,
        }
        self._token: str | None = None
        self._expires = 0.0

    async def get(self) -> str:
        if self._token is None or time.monotonic() > self._expires - 300:
            async with self.session.post(self.url, data=self.form, timeout=HTTP_TIMEOUT) as response:
                response.raise_for_status()
                answer = await response.json(content_type=None)
            self._token = str(answer["access_token"])
            self._expires = time.monotonic() + float(answer.get("expires_in", 3600))
        return self._token

    def forget(self) -> None:
        self._token = None


# Teams' documented limits for a bot: in one conversation 7 messages a second, 60 in 30 s and 1,800 an hour;
# 50 a second overall. The outbox's pacer keeps under them with a bucket of 7 per conversation refilled at
# 0.49 a second (at most 7 + 14.7 in 30 s, 7 + 1,764 in an hour).
TEAMS_LIMITS = Limits(per_second=50, chat_per_second=0.49, chat_burst=7)
# Conversations sent to at once; each conversation still gets one message at a time, in order.
TEAMS_IN_FLIGHT = 4


def adaptive_card(message: Message, file_url: str | None = None) -> dict[str, Any]:
    """A `Message` as an Adaptive Card: the title bold, the text, the fixed-width block as a code block (a
    monospace text block where that is not rendered), each row of buttons as an action set of Action.Submit
    whose data carries the button's action, and a document as a link to download it."""
    body: list[CardElement] = []
    if message.title:
        body.append(TextBlock(text=message.title, weight="Bolder", size="Medium", wrap=True))
    if message.pre:
        body.append(
            CodeBlock(
                code_snippet=message.pre,
                language="PlainText",
                fallback=TextBlock(text=message.pre, font_type="Monospace", wrap=True),
            )
        )
    body.append(TextBlock(text=message.text, wrap=True))
    if message.document is not None and file_url is not None:
        body.append(ActionSet(actions=[OpenUrlAction(title=message.document.filename, url=file_url)]))
    elif message.document is not None:
        # No public address to link to, or a file only another channel holds: its name at least.
        body.append(TextBlock(text=f"📎 {message.document.filename}", wrap=True, is_subtle=True))
    for row in message.buttons:
        body.append(ActionSet(actions=[SubmitAction(title=b.label, data={"action": b.action}) for b in row]))
    card = AdaptiveCard(version="1.5", body=body)
    return {
        "contentType": "application/vnd.microsoft.card.adaptive",
        "content": card.model_dump(exclude_none=True, by_alias=True),
    }


# --- the channel ----------------------------------------------------------------------------------------


def _text_of(activity: dict[str, Any]) -> str:
    """The words typed, without the HTML Teams may wrap them in; line breaks kept."""
    text = _BREAKS.sub("\n", str(activity.get("text") or ""))
    return html.unescape(_TAGS.sub(" ", text)).strip()


def command_of(activity: dict[str, Any]) -> tuple[str, list[str], str]:
    """(command, arguments, the argument text with its line breaks): a button press (the card's Action.Submit
    data), a command with or without its slash (Teams' command menu inserts it without), the deep link's
    "start TOKEN", or free text."""
    value = activity.get("value")
    if isinstance(value, dict) and isinstance(value.get("action"), str):
        command, args = parse_action(value["action"])
        return command, list(args), " ".join(args)
    typed = _text_of(activity)
    first, _, rest = typed.partition(" ") if " " in typed.split("\n")[0] else typed.partition("\n")
    if not first:
        return FREE_TEXT, [], typed
    name = first[1:] if first.startswith("/") else first
    if name and (first.startswith("/") or find_command(name) is not None):
        return name.lower()[:32], rest.split(), rest.strip()
    return FREE_TEXT, [], typed


def _bot_was_added(activity: dict[str, Any]) -> bool:
    recipient = activity.get("recipient") or {}
    added = activity.get("membersAdded") or []
    return activity.get("type") == "conversationUpdate" and any(
        isinstance(member, dict) and member.get("id") == recipient.get("id") for member in added
    )


class TeamsChannel:
    """Receives (authenticated, stored), processes (in order, once) and sends (Adaptive Cards, paced)."""

    def __init__(self, conversation: Conversation, session: aiohttp.ClientSession) -> None:
        settings = conversation.settings
        assert settings.teams_client_id is not None
        self.conversation = conversation
        self.db: Database = conversation.db
        self.settings = settings
        self.session = session
        self.auth = ConnectorAuth(ConnectorKeys(session, settings.teams_openid_url), settings.teams_client_id)
        self.tokens = AccessTokens(session, settings)
        self.fresh: asyncio.Queue[tuple[int, dict[str, Any]]] = asyncio.Queue()
        self.worker = OutboxWorker(
            self.db,
            CHANNEL,
            self.deliver,
            on_give_up=conversation.report_undeliverable,
            retry_base=settings.retry_base_seconds,
            in_flight=TEAMS_IN_FLIGHT,
            pacer=Pacer(TEAMS_LIMITS),
            clock=conversation.clock,
        )
        conversation.after_commit(self.worker.wake)

    # incoming

    async def receive(self, authorization: str, activity: dict[str, Any]) -> int:
        """The endpoint's answer: 401 unless the Bot Connector sent it, 200 once it is stored (or was)."""
        try:
            await self.auth.check(authorization, activity)
        except Unauthorized as exc:
            log.warning("Teams activity refused: %s", exc)
            return 401
        conversation = activity.get("conversation")
        activity_id = activity.get("id")
        if not isinstance(conversation, dict) or not isinstance(conversation.get("id"), str) or not activity_id:
            return 400
        conversation_id: str = conversation["id"]
        sender: dict[str, Any] = activity["from"] if isinstance(activity.get("from"), dict) else {}
        now = self.conversation.clock()
        async with self.db.transaction() as conn:
            number = await store_keyed(conn, CHANNEL, f"{conversation_id}|{activity_id}", activity, now)
            if number is not None:
                # The latest service URL of each conversation: where proactive messages go.
                await conn.execute(
                    "INSERT INTO teams_conversations "
                    "(conversation_id, service_url, tenant_id, user_id, user_aad_id, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (conversation_id) DO UPDATE SET "
                    "service_url = excluded.service_url, tenant_id = excluded.tenant_id, "
                    "user_id = excluded.user_id, user_aad_id = excluded.user_aad_id, updated_at = excluded.updated_at",
                    (
                        conversation_id,
                        activity["serviceUrl"],
                        conversation.get("tenantId"),
                        sender.get("id"),
                        sender.get("aadObjectId"),
                        utc_text(now),
                    ),
                )
        if number is not None:
            self.fresh.put_nowait((number, activity))
        return 200

    async def process(self) -> None:
        """First what a crash left in the inbox, then what the endpoint hands over (a replayed one is skipped
        by the use case's own check)."""
        async with self.db.read() as conn:
            pending = await pending_updates(conn, CHANNEL)
        for number, activity in pending:
            await self._process_one(number, activity)
        while True:
            number, activity = await self.fresh.get()
            await self._process_one(number, activity)

    async def _request(self, activity: dict[str, Any]) -> Request | None:
        """Only messages in a personal (one-to-one) chat are questions, as only private chats are on Telegram."""
        conversation = activity.get("conversation") or {}
        if conversation.get("conversationType", "personal") != "personal":
            return None
        if activity.get("type") == "message":
            command, args, text = command_of(activity)
        elif _bot_was_added(activity):
            # Installed in a personal chat: the welcome, which tells an unbound person how to get an invite.
            command, args, text = "start", [], ""
        else:
            return None
        address = str(conversation["id"])
        async with self.db.read() as conn:
            person_id = await person_for_account(conn, CHANNEL, address)
        sender = activity.get("from") or {}
        return Request(
            channel=CHANNEL,
            address=address,
            command=command,
            args=tuple(args),
            text=text,
            person_id=person_id,
            language_hint=activity.get("locale"),
            display_name=sender.get("name"),
        )

    async def _process_one(self, number: int, activity: dict[str, Any]) -> None:
        request = await self._request(activity)
        if request is None:
            # Not a question (the bot was installed, someone is typing, a group chat): done all the same.
            await self.db.write(MARK_PROCESSED, (CHANNEL, number, utc_text(self.conversation.clock())))
            return
        try:
            await self.conversation.handle(request, update_id=number)
        except Exception:
            log.exception("Teams activity %s could not be processed", number)
            try:
                await self.conversation.apologise(request, update_id=number)
            except Exception:  # left unprocessed in the inbox: the next start replays it
                log.exception("Teams activity %s: could not apologise", number)

    # outgoing

    def _file_url(self, item: OutboxItem) -> str | None:
        """A document is sent as a link to /files/<token>/<name> on our endpoint: the token is derived from the
        outbox row and the client secret, so a retried delivery links the same file and nobody can guess it."""
        if item.message.document is None or not item.message.document.content or self.settings.public_url is None:
            return None
        assert self.settings.teams_client_secret is not None
        seed = f"{item.id}:{self.settings.teams_client_secret.get_secret_value()}"
        token = hashlib.sha256(seed.encode()).hexdigest()[:32]
        return f"{self.settings.public_url}/files/{token}/{quote(item.message.document.filename)}"

    async def _share_file(self, item: OutboxItem, url: str) -> None:
        document = item.message.document
        assert document is not None
        token = url.rsplit("/", 2)[-2]
        await self.db.write(
            "INSERT OR IGNORE INTO shared_files (token, filename, mime_type, content, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (token, document.filename, document.mime_type, document.content, utc_text(self.conversation.clock())),
        )

    async def deliver(self, item: OutboxItem) -> DeliveryResult:
        item = item.with_message(await with_stored_content(self.db, item.message))
        async with self.db.read() as conn:
            row = await first_row(
                conn, "SELECT service_url FROM teams_conversations WHERE conversation_id = ?", (item.address,)
            )
        if row is None:
            return DeliveryResult(Delivery.GIVE_UP, error="no Teams conversation")
        file_url = self._file_url(item)
        if file_url is not None:
            await self._share_file(item, file_url)
        activity = {"type": "message", "attachments": [adaptive_card(item.message, file_url)]}
        url = f"{str(row[0]).rstrip('/')}/v3/conversations/{quote(item.address, safe='')}/activities"
        try:
            token = await self.tokens.get()
            async with self.session.post(
                url, json=activity, headers={"Authorization": f"Bearer {token}"}, timeout=HTTP_TIMEOUT
            ) as response:
                status = response.status
                retry_after = response.headers.get("Retry-After")
        except (aiohttp.ClientError, TimeoutError, KeyError, ValueError) as exc:
            return DeliveryResult(Delivery.RETRY, error=type(exc).__name__)
        if 200 <= status < 300:
            return DeliveryResult(Delivery.SENT)
        if status == 429:
            return DeliveryResult(Delivery.RETRY, retry_after=_seconds(retry_after), error="429")
        if status == 401:
            self.tokens.forget()
            return DeliveryResult(Delivery.RETRY, error="401")
        if status in (403, 404):
            # The person removed the bot, or the conversation is gone.
            return DeliveryResult(Delivery.GIVE_UP, error=str(status), blocked=True)
        if 400 <= status < 500:
            log.error("Teams refused message %s: %s", item.id, status)
            return DeliveryResult(Delivery.GIVE_UP, error=str(status))
        return DeliveryResult(Delivery.RETRY, error=str(status))


def _seconds(retry_after: str | None) -> float | None:
    try:
        return max(0.0, float(retry_after)) if retry_after else None
    except ValueError:
        return None
