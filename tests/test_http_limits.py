"""Slow or many HTTP clients cannot take the bot down (issue 20, item 5): the endpoint caps connections (100 in
all, 10 per address), gives a request's headers 10 s, its body 30 s and an idle connection 15 s, and takes a body
only as large as its route's kind allows (256 KiB for /api/messages, 4 KiB for a form post).

Every client here connects to 127.0.0.1 only, and every loop of them ends by itself."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

import bot.web
from bot import http_limits
from bot.app import open_conversation
from bot.config import Settings
from bot.http_limits import FORM, MAX_CONNECTIONS, ConnectionGuard, limited
from bot.web import HttpEndpoint, serve_http
from tests.fake_telegram import FakeTelegram
from tests.processes import BotProcess, bind_everyone, wait_until_polling

LOCAL = "127.0.0.1"


@contextlib.asynccontextmanager
async def serving(tmp_path: Path) -> AsyncIterator[HttpEndpoint]:
    """The bot's HTTP endpoint in this process (no Teams): /healthz and the calendar feed."""
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database=tmp_path / "kkrbot.sqlite3", http_port=0, public_url="https://kkrbot.example.dk"
    )
    conversation = await open_conversation(settings)
    try:
        async with serve_http(settings, conversation, tick=False) as served:
            yield served
    finally:
        await conversation.db.close()


@pytest.fixture
async def endpoint(tmp_path: Path) -> AsyncIterator[HttpEndpoint]:
    async with serving(tmp_path) as served:
        yield served


async def exchange(port: int, request: bytes, *, wait: float = 30) -> bytes:
    """Sends `request` on a new connection and returns all the server answers until it closes (or `wait`)."""
    reader, writer = await asyncio.open_connection(LOCAL, port)
    try:
        writer.write(request)
        await writer.drain()
        async with asyncio.timeout(wait):
            return await reader.read(65536)
    finally:
        writer.close()


async def healthz(port: int) -> bytes:
    return await exchange(port, b"GET /healthz HTTP/1.1\r\nHost: kkrbot\r\nConnection: close\r\n\r\n", wait=20)


async def healthz_amid_a_flood(port: int) -> bytes:
    """/healthz as a health check asks it while every slot is taken: tried once more if the connection was reset. The
    guard displaces the oldest idle connection, and a connection whose request the server has not read yet is idle:
    when a hundred newer connections are accepted before the probe's request is read (the flood's clients share this
    test's event loop), the probe is the one displaced (seen once in a full run on a slow afternoon)."""
    try:
        return await healthz(port)
    except ConnectionResetError:
        return await healthz(port)


async def closed_by_server(reader: asyncio.StreamReader, *, within: float) -> bytes:
    """What the server sent before it closed the connection; TimeoutError if it kept it open for `within` s."""
    received = b""
    async with asyncio.timeout(within):
        while chunk := await reader.read(65536):
            received += chunk
    return received


class SlowClients:
    """`count` connections that each send a request line and then one header line every `every` seconds, never
    finishing their headers; one the server closes is opened again after `every` seconds, until `stop()`."""

    def __init__(self, port: int, count: int, every: float = 2.0) -> None:
        self.port = port
        self.count = count
        self.every = every
        self.opened = 0
        self.closed_by_server = 0
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> SlowClients:
        self._tasks = [asyncio.create_task(self._client()) for _ in range(self.count)]
        async with asyncio.timeout(60):
            while self.opened < self.count:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        return self

    async def __aexit__(self, *_: object) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _client(self) -> None:
        while not self._stop.is_set():
            writer: asyncio.StreamWriter | None = None
            try:
                reader, writer = await asyncio.open_connection(LOCAL, self.port)
                self.opened += 1
                writer.write(b"GET /healthz HTTP/1.1\r\nHost: kkrbot\r\n")
                while not self._stop.is_set() and not reader.at_eof():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stop.wait(), self.every)
                    writer.write(b"X-Slow: 1\r\n")
                    await writer.drain()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(reader.read(65536), 0.01)
                self.closed_by_server += reader.at_eof()
            except OSError:
                self.closed_by_server += 1
            finally:
                if writer is not None:
                    writer.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.every)


# --- the endpoint in this process --------------------------------------------------------------------------


async def test_at_most_100_connections_are_held_and_healthz_still_answers(
    endpoint: HttpEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    """1,000 connections that never finish their headers, all from one address (the per-address cap lifted here
    to reach the overall one)."""
    assert endpoint.guard is not None
    monkeypatch.setattr(endpoint.guard, "max_per_peer", 10_000)
    most = 0
    async with SlowClients(endpoint.port, 1000):
        for _ in range(5):
            most = max(most, endpoint.guard.open_connections)
            assert (await healthz_amid_a_flood(endpoint.port)).startswith(b"HTTP/1.1 200")
            await asyncio.sleep(0.5)
            most = max(most, endpoint.guard.open_connections)

    assert 0 < most <= MAX_CONNECTIONS


async def test_one_address_holds_at_most_10_connections(endpoint: HttpEndpoint) -> None:
    assert endpoint.guard is not None
    async with SlowClients(endpoint.port, 50):
        await asyncio.sleep(0.5)
        held = endpoint.guard.open_connections
        answer = await healthz(endpoint.port)

    assert held <= 10
    assert answer.startswith(b"HTTP/1.1 200")


async def test_when_every_slot_is_busy_with_a_request_a_new_connection_gets_503() -> None:
    """Only connections between requests make room; ones whose request is being handled are never cut off."""
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(text="done")

    guard = ConnectionGuard(max_connections=2, max_per_peer=2)
    app = web.Application(middlewares=[guard.middleware])
    app.router.add_get("/slow", limited(http_limits.PAGE, slow))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    assert runner.server is not None
    aiohttp_server = runner.server
    server = await asyncio.get_running_loop().create_server(lambda: guard.protocol(aiohttp_server), LOCAL, 0)
    port = int(server.sockets[0].getsockname()[1])
    try:
        busy = [asyncio.create_task(exchange(port, b"GET /slow HTTP/1.1\r\nHost: k\r\n\r\n")) for _ in range(2)]
        async with asyncio.timeout(10):
            while guard.open_connections < 2 or not all(c.busy for c in guard._open):  # noqa: ASYNC110
                await asyncio.sleep(0.01)

        refused = await exchange(port, b"GET /slow HTTP/1.1\r\nHost: k\r\n\r\n", wait=10)

        assert refused.startswith(b"HTTP/1.1 503")
        release.set()
        answers = [await task for task in busy]
        assert all(answer.startswith(b"HTTP/1.1 200") for answer in answers)
    finally:
        server.close()
        await runner.cleanup()


async def test_headers_not_finished_in_time_close_the_connection(
    endpoint: HttpEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert endpoint.guard is not None
    monkeypatch.setattr(endpoint.guard, "header_seconds", 1.0)  # 10 s in the bot
    reader, writer = await asyncio.open_connection(LOCAL, endpoint.port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: kkrbot\r\n")  # and the rest never comes

    assert await closed_by_server(reader, within=30) == b""
    writer.close()


async def test_a_body_not_finished_in_time_gets_408_and_the_connection_closes(
    endpoint: HttpEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http_limits, "BODY_SECONDS", 1.0)  # 30 s in the bot
    reader, writer = await asyncio.open_connection(LOCAL, endpoint.port)
    writer.write(b"POST /api/messages HTTP/1.1\r\nHost: kkrbot\r\nContent-Length: 1000\r\n\r\n{")

    assert (await closed_by_server(reader, within=30)).startswith(b"HTTP/1.1 408")
    writer.close()


async def test_an_idle_kept_alive_connection_is_closed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert http_limits.KEEPALIVE_SECONDS == 15
    # The endpoint takes its keep-alive from the constant; a second instead of 15, so the test need not wait.
    # Without it aiohttp keeps an idle connection 75 s, and the test fails.
    monkeypatch.setattr(bot.web, "KEEPALIVE_SECONDS", 1.0)
    async with serving(tmp_path) as endpoint:
        reader, writer = await asyncio.open_connection(LOCAL, endpoint.port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: kkrbot\r\n\r\n")

        answer = await closed_by_server(reader, within=10)

        assert answer.startswith(b"HTTP/1.1 200")
        writer.close()


async def test_a_body_over_256_kib_on_api_messages_is_refused_unread(endpoint: HttpEndpoint) -> None:
    declared = b"POST /api/messages HTTP/1.1\r\nHost: kkrbot\r\nContent-Length: %d\r\n\r\n" % (256 * 1024 + 1)

    assert (await exchange(endpoint.port, declared)).startswith(b"HTTP/1.1 413")


async def test_a_chunked_body_over_the_limit_is_refused_too(endpoint: HttpEndpoint) -> None:
    chunk = b"x" * 65536
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(5)) + b"0\r\n\r\n"
    request = b"POST /api/messages HTTP/1.1\r\nHost: kkrbot\r\nTransfer-Encoding: chunked\r\n\r\n" + body

    assert (await exchange(endpoint.port, request)).startswith(b"HTTP/1.1 413")


async def test_a_form_route_takes_4_kib_and_no_more() -> None:
    async def answer(request: web.Request) -> web.Response:
        form = await request.post()
        return web.Response(text=str(form.get("svar")))

    app = web.Application(client_max_size=http_limits.LARGEST_BODY)
    app.router.add_post("/svar", limited(FORM, answer))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, LOCAL, 0)
    await site.start()
    port = int(runner.addresses[0][1])
    try:

        def post(size: int) -> bytes:
            body = b"svar=ja&pad=" + b"x" * (size - len(b"svar=ja&pad="))
            return (
                b"POST /svar HTTP/1.1\r\nHost: k\r\nConnection: close\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
            )

        assert (await exchange(port, post(4096))).startswith(b"HTTP/1.1 200")
        assert (await exchange(port, post(4097))).startswith(b"HTTP/1.1 413")
    finally:
        await runner.cleanup()


# --- the real bot: Telegram goes on while its HTTP endpoint is held -------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOCAL, 0))
        return int(probe.getsockname()[1])


def open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


async def test_a_thousand_slow_connections_stop_neither_telegram_nor_healthz(tg: FakeTelegram, tmp_path: Path) -> None:
    database = tmp_path / "kkrbot.sqlite3"
    roster, users = await bind_everyone(database)
    port = free_port()
    bot = BotProcess(
        tg, database, tmp_path / "bot.log", KKRBOT_PUBLIC_URL="https://kkrbot.example.dk", KKRBOT_HTTP_PORT=str(port)
    )
    # The usual limit of open files for a service (systemd's and most shells' soft limit): the bot starts with it.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard), hard))
    try:
        calls = tg.get_updates_calls
        await bot.start()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert bot.process is not None
    try:
        await wait_until_polling(tg, calls)
        async with asyncio.timeout(60):
            while True:
                with contextlib.suppress(OSError):
                    if (await healthz(port)).startswith(b"HTTP/1.1 200"):
                        break
                await asyncio.sleep(0.2)
        member = users[roster.members[0].id]
        before = open_files(bot.process.pid)
        most = before

        loop = asyncio.get_running_loop()
        answer_seconds: list[float] = []
        health_seconds: list[float] = []
        async with SlowClients(port, 1000, every=5.0) as attack:
            for round_ in range(6):
                answered = len(tg.sent_to(member))
                asked = loop.time()
                tg.inject_message(member, "/naeste")
                await tg.wait_for_messages(member, answered + 1, timeout=30)
                answer_seconds.append(loop.time() - asked)
                asked = loop.time()
                assert (await healthz(port)).startswith(b"HTTP/1.1 200"), f"round {round_}"
                health_seconds.append(loop.time() - asked)
                most = max(most, open_files(bot.process.pid))
                await asyncio.sleep(1)

        # Figures for the record (no timing is asserted: the machine is shared).
        print(
            f"slow connections: {attack.opened} opened, {attack.closed_by_server} closed by the bot; "
            f"bot's open files {before} before, at most {most} during; /naeste answered in at most "
            f"{max(answer_seconds):.2f} s, /healthz in at most {max(health_seconds):.2f} s"
        )
        assert attack.opened >= 1000
        assert most <= before + MAX_CONNECTIONS
    finally:
        assert await bot.terminate() == 0
