"""A fake Bot Connector on 127.0.0.1 for end-to-end tests of the Teams channel.

It plays both sides Microsoft plays: the OpenID metadata and signing keys (an RSA key made here, published
with the `msteams` endorsement), the token endpoint of the bot's tenant, and the conversations API that
records `POST /v3/conversations/{id}/activities` (with 429s on request). It also signs and delivers
activities to the bot's `/api/messages`, as the Bot Connector does when a person writes.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self

import aiohttp
import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

APP_ID = "00000000-0000-4000-8000-00000000b07"
APP_SECRET = "fake-client-secret-not-for-logs"
TENANT_ID = "11111111-1111-4111-8111-111111111111"
ISSUER = "https://api.botframework.com"
KEY_ID = "fake-connector-key"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class SentActivity:
    conversation_id: str
    activity: dict[str, Any]

    @property
    def card(self) -> dict[str, Any]:
        attachment = self.activity["attachments"][0]
        assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive", attachment
        card: dict[str, Any] = attachment["content"]
        return card

    def _elements(self) -> list[dict[str, Any]]:
        return list(self.card.get("body", []))

    @property
    def texts(self) -> list[str]:
        return [e.get("text") or e.get("codeSnippet") or "" for e in self._elements() if e["type"] != "ActionSet"]

    @property
    def text(self) -> str:
        """The card's text as it reads: a block with no spacing continues the line before (one line per block)."""
        text = ""
        for element in self._elements():
            if element["type"] == "ActionSet":
                continue
            part = element.get("text") or element.get("codeSnippet") or ""
            text += part if not text else ("\n" if element.get("spacing") == "None" else "\n\n") + part
        return text

    @property
    def actions(self) -> list[dict[str, Any]]:
        return [a for e in self._elements() if e["type"] == "ActionSet" for a in e["actions"]]

    def action(self, title: str) -> dict[str, Any]:
        for action in self.actions:
            if action.get("title") == title:
                return action
        raise AssertionError(f"no button {title!r} in {[a.get('title') for a in self.actions]}")


@dataclass
class FakeConnector:
    key: rsa.RSAPrivateKey = field(default_factory=new_key)
    access_token: str = "fake-connector-access-token"
    sent: list[SentActivity] = field(default_factory=list)
    # Statuses to answer the next sends with instead of 201 (429 comes with Retry-After: 0).
    next_statuses: list[int] = field(default_factory=list)
    token_requests: int = 0
    # The channels each key is endorsed for; None publishes keys without the list (Microsoft's validator
    # refuses such a key).
    endorsements: list[str] | None = field(default_factory=lambda: ["msteams"])
    # The clock the tokens are signed by: the one of the bot that checks them (a bot process in a test runs on
    # tests/process_clock.py's, two weeks before today).
    clock: Callable[[], float] = time.time
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _runner: web.AppRunner | None = None
    base_url: str = ""

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_get("/v1/.well-known/openidconfiguration", self._openid)
        app.router.add_get("/v1/.well-known/keys", self._keys)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._activities)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    @property
    def openid_url(self) -> str:
        return f"{self.base_url}/v1/.well-known/openidconfiguration"

    # --- the Bot Connector's side of the protocol

    async def _openid(self, request: web.Request) -> web.Response:
        return web.json_response({"issuer": ISSUER, "jwks_uri": f"{self.base_url}/v1/.well-known/keys"})

    async def _keys(self, request: web.Request) -> web.Response:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        jwk.update(kid=KEY_ID, use="sig")
        if self.endorsements is not None:
            jwk["endorsements"] = self.endorsements
        return web.json_response({"keys": [jwk]})

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if (
            request.match_info["tenant"] != TENANT_ID
            or form.get("client_id") != APP_ID
            or form.get("client_secret") != APP_SECRET
            or form.get("grant_type") != "client_credentials"
        ):
            return web.json_response({"error": "invalid_client"}, status=401)
        self.token_requests += 1
        return web.json_response({"access_token": self.access_token, "expires_in": 3600, "token_type": "Bearer"})

    async def _activities(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.access_token}":
            return web.json_response({"error": "unauthorized"}, status=401)
        if self.next_statuses:
            status = self.next_statuses.pop(0)
            return web.json_response({"error": {"code": str(status)}}, status=status, headers={"Retry-After": "0"})
        activity = await request.json()
        async with self._changed:
            self.sent.append(SentActivity(request.match_info["conversation"], activity))
            self._changed.notify_all()
        return web.json_response({"id": f"reply-{next(self._ids)}"}, status=201)

    # --- a person writing in Teams

    def sign(
        self,
        *,
        key: rsa.RSAPrivateKey | None = None,
        audience: str = APP_ID,
        issuer: str = ISSUER,
        expires_in: float = 3600,
        service_url: str | None = None,
        with_service_url: bool = True,
    ) -> str:
        now = self.clock()
        claims: dict[str, Any] = {"iss": issuer, "aud": audience, "nbf": int(now - 10), "exp": int(now + expires_in)}
        if with_service_url:
            claims["serviceurl"] = service_url or self.base_url
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": KEY_ID})

    def activity(self, user: str, *, text: str | None = None, value: dict[str, Any] | None = None) -> dict[str, Any]:
        activity: dict[str, Any] = {
            "type": "message",
            "id": f"{time.time_ns()}-{next(self._ids)}",
            "channelId": "msteams",
            "serviceUrl": self.base_url,
            "locale": "da-DK",
            "from": {"id": f"29:{user}", "name": user.title(), "aadObjectId": f"aad-{user}"},
            "recipient": {"id": f"28:{APP_ID}", "name": "KKR Nordjylland"},
            "conversation": {"id": conversation_of(user), "conversationType": "personal", "tenantId": TENANT_ID},
        }
        if text is not None:
            activity["text"] = text
        if value is not None:
            activity["value"] = value
        return activity

    async def deliver(self, endpoint: str, activity: dict[str, Any], token: str | None = None) -> int:
        """POSTs the activity as the Bot Connector does; returns the bot's HTTP status."""
        headers = {"Authorization": f"Bearer {token if token is not None else self.sign()}"}
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{endpoint}/api/messages", json=activity, headers=headers) as response,
        ):
            return response.status

    # --- what the bot sent

    def sent_to(self, user: str) -> list[SentActivity]:
        return [s for s in self.sent if s.conversation_id == conversation_of(user)]

    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = 10.0,  # noqa: ASYNC109 - a plain seconds argument reads best in tests
    ) -> None:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(predicate)

    async def wait_for_sent(self, user: str, count: int) -> list[SentActivity]:
        await self.wait_for(lambda: len(self.sent_to(user)) >= count)
        return self.sent_to(user)


def conversation_of(user: str) -> str:
    return f"a:personal-{user}"
