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

Each activity stands alone: it is validated (`Activity`, the fields kkrbot reads) before it is used, one of an
unexpected shape is kept aside in the inbox (`malformed`, counted by `kkrbot health`) and never stops the ones
after it, a transient database fault is retried, and the processor runs supervised (bot/delivery/supervisor.py).

Emulator mode (`KKRBOT_TEAMS_EMULATOR=1`) is for trying the bot in Microsoft 365 Agents Playground, which has no
credentials: activities without a token are accepted from a loopback peer naming a loopback service URL, and
replies go to loopback service URLs only, without a token (docs/teams.md, "Trying Teams in Agents Playground").
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import ipaddress
import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
import jwt
from microsoft_teams.cards import (
    ActionSet,
    AdaptiveCard,
    CardElement,
    CodeBlock,
    Container,
    OpenUrlAction,
    SubmitAction,
    TextBlock,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.config import Settings, is_loopback_host
from bot.core.commands import find_command, parse_action
from bot.core.conversation import FREE_TEXT, Conversation
from bot.core.messages import Request
from bot.delivery.client_credentials import ClientCredentials
from bot.delivery.inbox import MARK_PROCESSED, pending_updates, set_aside, store_keyed
from bot.delivery.message import Message
from bot.delivery.outbox import Delivery, DeliveryResult, OutboxItem, OutboxWorker, with_stored_content
from bot.delivery.pacing import Limits, Pacer
from bot.delivery.peer_watch import PeerWatch
from bot.storage.accounts import person_for_account
from bot.storage.db import Database, first_row, utc_text
from bot.storage.faults import FaultLog, database_fault, pause, until_done
from bot.storage.link_key import link_key, sign

log = logging.getLogger(__name__)

CHANNEL = "teams"
# The Bot Framework's channel id for Teams; activities of any other channel (Web Chat, Slack, ...) are refused.
TEAMS_CHANNEL_ID = "msteams"
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


# --- incoming: the activity ---------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True, defer_build=True)


class ChannelAccount(_Model):
    id: str
    name: str | None = None
    aad_object_id: str | None = Field(default=None, alias="aadObjectId")


class ConversationAccount(_Model):
    id: str = Field(min_length=1)
    conversation_type: str | None = Field(default=None, alias="conversationType")
    tenant_id: str | None = Field(default=None, alias="tenantId")


class Activity(_Model):
    """The fields of a Bot Framework activity that kkrbot reads, with their types checked: anything else in it
    is ignored, and an activity whose fields are not of these types is malformed."""

    type: str
    id: str = Field(min_length=1)
    channel_id: str = Field(alias="channelId")
    service_url: str = Field(alias="serviceUrl", min_length=1)
    locale: str | None = None
    text: str | None = None
    value: Any = None
    sender: ChannelAccount = Field(alias="from")
    recipient: ChannelAccount | None = None
    conversation: ConversationAccount
    members_added: list[ChannelAccount] = Field(default_factory=list, alias="membersAdded")


def parse_activity(payload: object) -> Activity | str:
    """The activity, or why it cannot be used (the fields at fault, never their contents)."""
    try:
        return Activity.model_validate(payload)
    except ValidationError as exc:
        return "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'activity'}: {error['type']}" for error in exc.errors()
        )


def is_loopback_url(url: object) -> bool:
    """An http(s) URL whose host only this machine can reach."""
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and parts.hostname is not None and is_loopback_host(parts.hostname)
    except ValueError:
        return False


def is_loopback_peer(peer: str | None) -> bool:
    """The address the request came from (aiohttp's `request.remote`) is this machine's."""
    try:
        return peer is not None and ipaddress.ip_address(peer).is_loopback
    except ValueError:
        return False


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
        if channel != TEAMS_CHANNEL_ID:
            raise Unauthorized("not a Teams activity")
        # Microsoft's validator refuses a key published without endorsements: it is endorsed for nothing.
        if channel not in key.endorsements:
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
        claimed = claims.get("serviceurl")
        if (
            not isinstance(service_url, str)
            or not isinstance(claimed, str)
            or not service_url.strip()
            or claimed.rstrip("/") != service_url.rstrip("/")
        ):
            raise Unauthorized("service URL missing or not the token's")
        return claims


class EmulatorAuth:
    """Emulator mode's check (KKRBOT_TEAMS_EMULATOR=1): no token, so the only trust is that the sender is on
    this machine and names a service URL on this machine; a Teams activity all the same."""

    async def check(self, authorization: str, activity: dict[str, Any], peer: str | None) -> None:
        if activity.get("channelId") != TEAMS_CHANNEL_ID:
            raise Unauthorized("not a Teams activity")
        if not is_loopback_peer(peer):
            raise Unauthorized("emulator mode: not from a loopback address")
        if not is_loopback_url(activity.get("serviceUrl")):
            raise Unauthorized("emulator mode: the service URL is not a loopback address")


# --- outgoing: tokens, pacing, cards ------------------------------------------------------------------


def access_tokens(session: aiohttp.ClientSession, settings: Settings) -> ClientCredentials:
    """The bot's own token for the Bot Connector (client credentials in its single tenant)."""
    assert settings.teams_client_id
    assert settings.teams_client_secret
    assert settings.teams_tenant_id
    url = f"{settings.teams_login_url.rstrip('/')}/{settings.teams_tenant_id}/oauth2/v2.0/token"
    return ClientCredentials(session, url, settings.teams_client_id, settings.teams_client_secret, BOT_FRAMEWORK_SCOPE)


# Teams' documented limits for a bot: in one conversation 7 messages a second, 60 in 30 s and 1,800 an hour;
# 50 a second overall. The outbox's pacer keeps under them with a bucket of 7 per conversation refilled at
# 0.49 a second (at most 7 + 14.7 in 30 s, 7 + 1,764 in an hour).
TEAMS_LIMITS = Limits(per_second=50, chat_per_second=0.49, chat_burst=7)
# Conversations sent to at once; each conversation still gets one message at a time, in order.
TEAMS_IN_FLIGHT = 4


def text_blocks(text: str, **style: Any) -> list[CardElement]:
    """A text as one TextBlock per line: a card's markdown joins single line breaks (Agents Playground showed
    "Place: Aalborg" on the date's line and a table as one paragraph), so each line is a block of its own, close to
    the one before, and an empty line becomes space before the next."""
    blocks: list[CardElement] = []
    gap = False
    for line in text.split("\n"):
        if not line.strip():
            gap = True
            continue
        spacing = None if not blocks else ("Medium" if gap else "None")
        blocks.append(TextBlock(text=line, wrap=True, spacing=spacing, **style))
        gap = False
    return blocks


def adaptive_card(message: Message, file_url: str | None = None) -> dict[str, Any]:
    """A `Message` as an Adaptive Card: the title bold, the text, the fixed-width block as a code block (monospace
    lines where that is not rendered, as in Agents Playground), each row of buttons as an action set of
    Action.Submit whose data carries the button's action, and a document as a link to download it."""
    body: list[CardElement] = []
    if message.title:
        body.append(TextBlock(text=message.title, weight="Bolder", size="Medium", wrap=True))
    if message.pre:
        body.append(
            CodeBlock(
                code_snippet=message.pre,
                language="PlainText",
                # No-break spaces: a card collapses runs of spaces, which would shift a table's columns.
                fallback=Container(items=text_blocks(message.pre.replace(" ", "\u00a0"), font_type="Monospace")),
            )
        )
    body.extend(text_blocks(message.text))
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


def _text_of(activity: Activity) -> str:
    """The words typed, without the HTML Teams may wrap them in; line breaks kept."""
    text = _BREAKS.sub("\n", activity.text or "")
    return html.unescape(_TAGS.sub(" ", text)).strip()


def command_of(activity: Activity) -> tuple[str, list[str], str]:
    """(command, arguments, the argument text with its line breaks): a button press (the card's Action.Submit
    data), a command with or without its slash (Teams' command menu inserts it without), the deep link's
    "start TOKEN", or free text."""
    value = activity.value
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


def _bot_was_added(activity: Activity) -> bool:
    recipient = activity.recipient
    return (
        activity.type == "conversationUpdate"
        and recipient is not None
        and any(member.id == recipient.id for member in activity.members_added)
    )


class TeamsChannel:
    """Receives (authenticated, stored), processes (in order, once) and sends (Adaptive Cards, paced)."""

    def __init__(self, conversation: Conversation, session: aiohttp.ClientSession) -> None:
        settings = conversation.settings
        assert settings.teams_enabled
        self.conversation = conversation
        self.db: Database = conversation.db
        self.settings = settings
        self.session = session
        self.emulator = settings.teams_emulator
        self.auth: ConnectorAuth | None = None
        self.tokens: ClientCredentials | None = None
        if not self.emulator:
            assert settings.teams_client_id is not None
            self.auth = ConnectorAuth(ConnectorKeys(session, settings.teams_openid_url), settings.teams_client_id)
            self.tokens = access_tokens(session, settings)
        self.fresh: asyncio.Queue[tuple[int, Any]] = asyncio.Queue()
        self.faults = FaultLog(log)
        self.worker = OutboxWorker(
            self.db,
            CHANNEL,
            PeerWatch(self.db, CHANNEL, self.deliver),
            on_give_up=conversation.report_undeliverable,
            on_sent=conversation.report_finished_broadcasts,
            retry_base=settings.retry_base_seconds,
            in_flight=TEAMS_IN_FLIGHT,
            pacer=Pacer(TEAMS_LIMITS),
            clock=conversation.clock,
        )
        conversation.after_commit(self.worker.wake)

    # incoming

    async def receive(self, authorization: str, payload: dict[str, Any], peer: str | None = None) -> int:
        """The endpoint's answer: 401 unless the Bot Connector sent it (in emulator mode: a loopback peer), 200
        once it is stored (or was). One of an unexpected shape is stored aside, never processed."""
        try:
            if self.auth is not None:
                await self.auth.check(authorization, payload)
            else:
                await EmulatorAuth().check(authorization, payload, peer)
        except Unauthorized as exc:
            log.warning("Teams activity refused: %s", exc)
            return 401
        activity = parse_activity(payload)
        try:
            if isinstance(activity, str):
                log.warning("Teams activity of an unexpected shape (%s); kept aside in the inbox", activity)
                await self._store_aside(payload, activity)
                return 200
            return await self._store(activity, payload)
        except Exception as exc:
            kind = database_fault(exc)
            if kind is None:
                raise
            # Not stored, so not confirmed: the Bot Connector sends it again.
            self.faults.report("teams inbox", kind)
            return 503

    async def _store(self, activity: Activity, payload: dict[str, Any]) -> int:
        now = self.conversation.clock()
        conversation_id = activity.conversation.id
        async with self.db.transaction() as conn:
            number = await store_keyed(conn, CHANNEL, f"{conversation_id}|{activity.id}", payload, now)
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
                        activity.service_url,
                        activity.conversation.tenant_id,
                        activity.sender.id,
                        activity.sender.aad_object_id,
                        utc_text(now),
                    ),
                )
        if number is not None:
            self.fresh.put_nowait((number, payload))
        return 200

    async def _store_aside(self, payload: dict[str, Any], why: str) -> None:
        """Keeps a malformed activity (once, however often it is sent) where health counts it."""
        key = "malformed|" + hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
        now = self.conversation.clock()
        async with self.db.transaction() as conn:
            number = await store_keyed(conn, CHANNEL, key, payload, now)
            if number is not None:
                await set_aside(conn, CHANNEL, number, why, now)

    async def process(self) -> None:
        """First what a crash (or a restart by the supervisor) left in the inbox, then what the endpoint hands
        over (one processed meanwhile is skipped by the use case's own check)."""

        async def read_pending() -> list[tuple[int, Any]]:
            async with self.db.read() as conn:
                return await pending_updates(conn, CHANNEL)

        for number, payload in await until_done(read_pending, "teams inbox", self.faults):
            await self._process_one(number, payload)
        while True:
            number, payload = await self.fresh.get()
            await self._process_one(number, payload)

    async def _request(self, activity: Activity) -> Request | None:
        """Only messages in a personal (one-to-one) chat are questions, as only private chats are on Telegram."""
        if (activity.conversation.conversation_type or "personal") != "personal":
            return None
        if activity.type == "message":
            command, args, text = command_of(activity)
        elif _bot_was_added(activity):
            # Installed in a personal chat: the welcome, which tells an unbound person how to get an invite.
            command, args, text = "start", [], ""
        else:
            return None
        address = activity.conversation.id
        async with self.db.read() as conn:
            person_id = await person_for_account(conn, CHANNEL, address)
        return Request(
            channel=CHANNEL,
            address=address,
            command=command,
            args=tuple(args),
            text=text,
            person_id=person_id,
            language_hint=activity.locale,
            display_name=activity.sender.name,
        )

    async def _process_one(self, number: int, payload: Any) -> None:
        """One activity alone: a malformed one is kept aside, a transient fault (the database locked or full)
        tries it again after a pause, and any other failure gets the person an apology; the next one goes on."""
        activity = parse_activity(payload)
        if isinstance(activity, str):
            log.warning("Teams activity %s has an unexpected shape (%s); kept aside in the inbox", number, activity)

            async def mark(why: str = activity) -> None:
                async with self.db.transaction() as conn:
                    await set_aside(conn, CHANNEL, number, why, self.conversation.clock())

            await until_done(mark, "teams inbox", self.faults)
            return
        failures = 0
        while True:
            try:
                await self._handle(number, activity)
            except Exception as exc:
                kind = database_fault(exc)
                if kind is None:
                    await self._apologise(number, activity, exc)
                    return
                self.faults.report("teams processing", kind)
                await asyncio.sleep(pause(failures))
                failures += 1
                continue
            if failures:
                self.faults.recovered("teams processing")
            return

    async def _handle(self, number: int, activity: Activity) -> None:
        request = await self._request(activity)
        if request is None:
            # Not a question (the bot was installed, someone is typing, a group chat): done all the same.
            await self.db.write(MARK_PROCESSED, (CHANNEL, number, utc_text(self.conversation.clock())))
            return
        await self.conversation.handle(request, update_id=number)

    async def _apologise(self, number: int, activity: Activity, exc: Exception) -> None:
        log.error("Teams activity %s could not be processed", number, exc_info=exc)
        request = await self._request(activity)
        if request is None:
            return
        try:
            await self.conversation.apologise(request, update_id=number)
        except Exception:  # left unprocessed in the inbox: the next start replays it
            log.exception("Teams activity %s: could not apologise", number)

    # outgoing

    async def _file_url(self, item: OutboxItem) -> str | None:
        """A document is sent as a link to /files/<token>/<name> on our endpoint: the token is the outbox row's
        signature with the database's link key, so a retried delivery links the same file and nobody can guess
        it; the file is stored for the link in the same step."""
        document = item.message.document
        if document is None or not document.content or self.settings.public_url is None:
            return None
        async with self.db.transaction() as conn:
            token = sign(await link_key(conn), f"teams-file:{item.id}")
            await conn.execute(
                "INSERT OR IGNORE INTO shared_files (token, filename, mime_type, content, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (token, document.filename, document.mime_type, document.content, utc_text(self.conversation.clock())),
            )
        return f"{self.settings.public_url}/files/{token}/{quote(document.filename)}"

    async def deliver(self, item: OutboxItem) -> DeliveryResult:
        item = item.with_message(await with_stored_content(self.db, item.message))
        async with self.db.read() as conn:
            row = await first_row(
                conn, "SELECT service_url FROM teams_conversations WHERE conversation_id = ?", (item.address,)
            )
        if row is None:
            return DeliveryResult(Delivery.GIVE_UP, error="no Teams conversation")
        service_url = str(row[0])
        if self.emulator and not is_loopback_url(service_url):
            log.error("emulator mode sends only to loopback service URLs; message %s not sent", item.id)
            return DeliveryResult(Delivery.GIVE_UP, error="emulator mode: service URL not loopback")
        file_url = await self._file_url(item)
        activity = {"type": "message", "attachments": [adaptive_card(item.message, file_url)]}
        url = f"{service_url.rstrip('/')}/v3/conversations/{quote(item.address, safe='')}/activities"
        try:
            headers = {} if self.tokens is None else {"Authorization": f"Bearer {await self.tokens.get()}"}
            async with self.session.post(url, json=activity, headers=headers, timeout=HTTP_TIMEOUT) as response:
                status = response.status
                retry_after = response.headers.get("Retry-After")
        except (aiohttp.ClientError, TimeoutError, KeyError, ValueError) as exc:
            return DeliveryResult(Delivery.RETRY, error=type(exc).__name__)
        if 200 <= status < 300:
            return DeliveryResult(Delivery.SENT)
        if status == 429:
            return DeliveryResult(Delivery.RETRY, retry_after=_seconds(retry_after), error="429")
        if status == 401 and self.tokens is not None:
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
