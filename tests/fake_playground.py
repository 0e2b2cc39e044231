"""A fake of Microsoft 365 Agents Playground (npm @microsoft/m365agentsplayground 0.2.28) in its local mode,
for the tests of KKRBOT_TEAMS_EMULATOR=1.

It behaves as the Playground does without `--client-id`: it POSTs activities to the bot with no
`Authorization` header, names its own mocked connector as `serviceUrl` (http://localhost:PORT/_connector),
sends `locale: en-US` on messages and none on `conversationUpdate`, calls the user `user-id-0`, and its
connector takes the bot's replies without asking for a token. Unlike the real one it records the replies for
the tests, and whether any came with a token.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self

import aiohttp
from aiohttp import web

from tests.fake_teams import SentActivity

BOT_ID = "00000000-0000-0000-0000-00000000000011"
TENANT_ID = "00000000-0000-0000-0000-0000000000001"


def conversation_of(user: str) -> str:
    return f"personal-chat-{user}"


@dataclass
class FakePlayground:
    host: str = "127.0.0.1"
    sent: list[SentActivity] = field(default_factory=list)
    tokens_seen: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _runner: web.AppRunner | None = None
    port: int = 0

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_post("/_connector/v3/conversations/{conversation}/activities", self._activities)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, 0).start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    @property
    def service_url(self) -> str:
        return f"http://localhost:{self.port}/_connector"

    async def _activities(self, request: web.Request) -> web.Response:
        if "Authorization" in request.headers:
            self.tokens_seen += 1
        activity = await request.json()
        async with self._changed:
            self.sent.append(SentActivity(request.match_info["conversation"], activity))
            self._changed.notify_all()
        return web.json_response({"id": f"reply-{next(self._ids)}"}, status=201)

    # --- a person in the Playground's chat

    def _base(self, user: str, kind: str) -> dict[str, Any]:
        return {
            "type": kind,
            "id": f"playground-{next(self._ids)}",
            "channelId": "msteams",
            "serviceUrl": self.service_url,
            "from": {"id": user, "name": "Alex Wilber", "aadObjectId": f"aad-{user}"},
            "recipient": {"id": BOT_ID, "name": "Test Bot"},
            "conversation": {"id": conversation_of(user), "conversationType": "personal", "tenantId": TENANT_ID},
            "channelData": {"tenant": {"id": TENANT_ID}},
        }

    def installed(self, user: str = "user-id-0") -> dict[str, Any]:
        """The bot added to the personal chat: no locale, as the Playground sends it."""
        activity = self._base(user, "conversationUpdate")
        activity["membersAdded"] = [{"id": BOT_ID}, {"id": user}]
        return activity

    def message(
        self, user: str = "user-id-0", text: str | None = None, value: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        activity = self._base(user, "message")
        activity["locale"] = "en-US"
        if text is not None:
            activity["text"] = text
        if value is not None:
            activity["value"] = value
        return activity

    async def deliver(self, endpoint: str, activity: dict[str, Any]) -> int:
        """POSTs the activity as the Playground does: no Authorization header."""
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{endpoint}/api/messages", json=activity) as response,
        ):
            return response.status

    # --- what the bot sent

    def sent_to(self, user: str) -> list[SentActivity]:
        return [s for s in self.sent if s.conversation_id == conversation_of(user)]

    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = 30.0,  # noqa: ASYNC109 - a plain seconds argument reads best in tests
    ) -> None:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(predicate)

    async def wait_for_sent(self, user: str, count: int) -> list[SentActivity]:
        await self.wait_for(lambda: len(self.sent_to(user)) >= count)
        return self.sent_to(user)
