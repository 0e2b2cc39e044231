"""The bot's HTTP endpoint (aiohttp), in the bot's own process and event loop: `POST /api/messages` for
Microsoft Teams, `GET /healthz`, the calendar feed `GET /calendar/<secret>.ics`, and `GET /files/<token>/<name>`
for documents sent to Teams as links.

It listens only when Teams is configured or `KKRBOT_PUBLIC_URL` is set, on `KKRBOT_HTTP_HOST:KKRBOT_HTTP_PORT`
(127.0.0.1:3978), meant to sit behind a TLS reverse proxy. There is no access log: the calendar feed's URL is
its secret. Connections, header and body times and body sizes are limited by the server itself
(`bot.http_limits`); every route is registered with its kind's limits (`limited`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web

from bot.config import Settings
from bot.core.conversation import TICK_SECONDS, Conversation
from bot.core.usecases.calendar_feed import feed_calendar
from bot.delivery.outbox import pending_count
from bot.delivery.supervisor import supervised
from bot.http_limits import API, KEEPALIVE_SECONDS, LARGEST_BODY, PAGE, ConnectionGuard, limited
from bot.storage.db import first_row
from bot.storage.health import TICK, assess, beat, read_health
from bot.web_answers import add_answer_routes

if TYPE_CHECKING:
    from bot.channels.teams import TeamsChannel

log = logging.getLogger(__name__)

EMULATOR_WARNING = (
    "TEAMS EMULATOR MODE (KKRBOT_TEAMS_EMULATOR=1): Teams activities are accepted WITHOUT a token from any process "
    "on this machine, and replies go only to loopback addresses. For trying the bot in Agents Playground only; "
    "bindings made now are deleted when the bot starts without it."
)


@dataclass
class HttpEndpoint:
    conversation: Conversation
    teams: TeamsChannel | None
    port: int
    guard: ConnectionGuard | None = None


def build_app(
    conversation: Conversation, teams: TeamsChannel | None, guard: ConnectionGuard | None = None
) -> web.Application:
    app = web.Application(client_max_size=LARGEST_BODY, middlewares=[guard.middleware] if guard is not None else [])

    async def messages(request: web.Request) -> web.Response:
        if teams is None:
            return web.Response(status=404)
        activity = await json_body(request)
        if not isinstance(activity, dict):
            return web.Response(status=400)
        status = await teams.receive(request.headers.get("Authorization", ""), activity, request.remote)
        return web.Response(status=status)

    async def healthz(request: web.Request) -> web.Response:
        async with conversation.db.read() as conn:
            row = await first_row(conn, "SELECT count(*) FROM inbox WHERE processed_at IS NULL")
            unsent = await pending_count(conn)
        _healthy, line = await asyncio.to_thread(health_line, conversation.settings)
        answer: dict[str, object] = {
            "status": "ok",
            "unprocessed": int(row[0]) if row else 0,
            "unsent": unsent,
            "health": line,
        }
        if conversation.settings.teams_emulator:
            answer["warning"] = EMULATOR_WARNING
        return web.json_response(answer)

    async def calendar(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        content = await feed_calendar(conversation, name.removesuffix(".ics")) if name.endswith(".ics") else None
        if content is None:
            return web.Response(status=404)
        return web.Response(body=content, content_type="text/calendar", charset="utf-8")

    async def files(request: web.Request) -> web.Response:
        async with conversation.db.read() as conn:
            row = await first_row(
                conn,
                "SELECT filename, mime_type, content FROM shared_files WHERE token = ?",
                (request.match_info["token"],),
            )
        if row is None:
            return web.Response(status=404)
        return web.Response(
            body=bytes(row[2]),
            content_type=row[1],
            headers={"Content-Disposition": f'attachment; filename="{row[0]}"'},
        )

    app.router.add_post("/api/messages", limited(API, messages))
    app.router.add_get("/healthz", limited(PAGE, healthz))
    app.router.add_get("/calendar/{name}", limited(PAGE, calendar))
    app.router.add_get("/files/{token}/{filename}", limited(PAGE, files))
    add_answer_routes(app, conversation)
    return app


def health_line(settings: Settings) -> tuple[bool, str]:
    """What `kkrbot health` would say, from inside the running bot (so the process is running)."""
    now = datetime.now(UTC)
    return assess(
        read_health(settings.database, now),
        now,
        max_age=settings.health_max_age_seconds,
        tick_every=TICK_SECONDS,
        polling=settings.telegram_token is not None,
        running=True,
    )


async def json_body(request: web.Request) -> object:
    """The request's JSON, or None for a body that is not JSON of any kind: bad bytes, bad syntax, or nested too
    deep for the parser (RecursionError), so every such body gets a 400 and no traceback."""
    try:
        return json.loads(await request.read())
    except (ValueError, RecursionError):
        return None


async def _tick_forever(conversation: Conversation) -> None:
    """The reminders' clock when no other channel runs it, with the heartbeat `kkrbot health` looks for."""
    while True:
        try:
            await conversation.tick()
            async with conversation.db.transaction() as conn:
                await beat(conn, TICK, datetime.now(UTC))
        except Exception:
            log.exception("tick failed")
        await asyncio.sleep(TICK_SECONDS)


@contextlib.asynccontextmanager
async def serve_http(settings: Settings, conversation: Conversation, *, tick: bool) -> AsyncIterator[HttpEndpoint]:
    """Runs the endpoint, and Teams' processor and outbox worker when Teams is configured; `tick` runs the
    reminders' clock when no other channel does."""
    session = aiohttp.ClientSession()
    teams: TeamsChannel | None = None
    tasks: list[asyncio.Task[None]] = []
    worker_task: asyncio.Task[None] | None = None
    if settings.teams_enabled:
        from bot.channels.teams import TeamsChannel

        teams = TeamsChannel(conversation, session)
        tasks.append(asyncio.create_task(supervised("the Teams processor", teams.process)))
        worker_task = asyncio.create_task(teams.worker.run())
    if tick:
        tasks.append(asyncio.create_task(_tick_forever(conversation)))
    guard = ConnectionGuard()
    runner = web.AppRunner(
        build_app(conversation, teams, guard), access_log=None, keepalive_timeout=KEEPALIVE_SECONDS, lingering_time=1.0
    )
    await runner.setup()
    server: asyncio.Server | None = None
    try:
        # Not aiohttp's TCPSite: every connection goes through the guard, which aiohttp has no place for.
        assert runner.server is not None
        aiohttp_server = runner.server
        server = await asyncio.get_running_loop().create_server(
            lambda: guard.protocol(aiohttp_server), settings.http_host, settings.http_port, reuse_address=True
        )
        port = int(server.sockets[0].getsockname()[1])
        log.info("HTTP endpoint on %s:%s (Teams %s)", settings.http_host, port, "on" if teams else "off")
        if settings.teams_emulator:
            log.warning("%s", EMULATOR_WARNING)
        yield HttpEndpoint(conversation, teams, port, guard)
    finally:
        if server is not None:
            server.close()
        await runner.cleanup()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if teams is not None and worker_task is not None:
            await teams.worker.stop(worker_task)
        await session.close()
