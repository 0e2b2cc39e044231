"""The Bot API transport (bot/channels/telegram_request.py): a request without files goes as one JSON body, over
httpcore on asyncio's streams, in the clear or over TLS, with PTB's timeouts and PTB's errors; an upload goes
multipart, PTB's way."""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import trustme
from telegram import InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.channels.telegram_request import JsonRequest
from tests.conftest import served_over_tls

Answer = Callable[[bytes, bytes], Awaitable[bytes | None]]


class Server:
    """A Bot API endpoint on 127.0.0.1 that keeps what it was sent and answers as `answer` says (None: never);
    `close_after_answer`: one answer per connection, then it closes it."""

    def __init__(self, answer: Answer, close_after_answer: bool = False) -> None:
        self.answer = answer
        self.close_after_answer = close_after_answer
        self.requests: list[tuple[bytes, bytes]] = []  # (head, body)
        self.connections = 0
        self.url = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                break
            lines = head.lower().split(b"\r\n")
            length = next((int(line.split(b":")[1]) for line in lines if line.startswith(b"content-length")), 0)
            body = await reader.readexactly(length)
            self.requests.append((head, body))
            reply = await self.answer(head, body)
            if reply is None:
                await asyncio.sleep(3600)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
            writer.write(b"Content-Length: %d\r\n\r\n%b" % (len(reply), reply))
            await writer.drain()
            if self.close_after_answer:
                break
        writer.close()


@pytest.fixture
async def ok_server() -> AsyncIterator[Server]:
    async def ok(head: bytes, body: bytes) -> bytes:
        return b'{"ok": true, "result": true}'

    async with serving(Server(ok)) as server:
        yield server


@contextlib.asynccontextmanager
async def serving(server: Server, tls: ssl.SSLContext | None = None) -> AsyncIterator[Server]:
    listening = await asyncio.start_server(server.handle, "127.0.0.1", 0, ssl=tls)
    port = listening.sockets[0].getsockname()[1]
    server.url = f"{'https' if tls else 'http'}://127.0.0.1:{port}/bot123:ABC/sendMessage"
    try:
        yield server
    finally:
        listening.close()


def parameters(**values: object) -> RequestData:
    return RequestData([RequestParameter.from_input(name, value) for name, value in values.items()])


async def test_a_message_goes_as_one_json_body_with_its_danish_letters_as_written(ok_server: Server) -> None:
    request = JsonRequest(connection_pool_size=2)
    await request.initialize()
    try:
        keyboard = {"inline_keyboard": []}
        status, payload = await request.do_request(
            ok_server.url, "POST", parameters(chat_id=7, text="Næste møde: Ålborg", reply_markup=keyboard)
        )
    finally:
        await request.shutdown()
    [(head, body)] = ok_server.requests
    assert status == 200
    assert json.loads(payload) == {"ok": True, "result": True}
    assert b"content-type: application/json" in head.lower()
    assert b"user-agent: python-telegram-bot" in head.lower()
    assert json.loads(body) == {"chat_id": 7, "text": "Næste møde: Ålborg", "reply_markup": {"inline_keyboard": []}}
    assert "Næste møde: Ålborg".encode() in body  # not escaped


async def test_one_connection_carries_the_requests_one_after_another(ok_server: Server) -> None:
    request = JsonRequest(connection_pool_size=1)
    await request.initialize()
    try:
        for n in range(3):
            await request.do_request(ok_server.url, "POST", parameters(chat_id=n, text="hej"))
    finally:
        await request.shutdown()
    assert len(ok_server.requests) == 3


async def test_an_answer_that_does_not_come_in_the_read_timeout_is_timed_out() -> None:
    async def never(head: bytes, body: bytes) -> None:
        return None

    async with serving(Server(never)) as server:
        request = JsonRequest(connection_pool_size=1, read_timeout=0.2)
        await request.initialize()
        try:
            with pytest.raises(TimedOut):
                await request.do_request(server.url, "POST", parameters(chat_id=7, text="hej"))
        finally:
            await request.shutdown()


async def test_a_request_that_waits_too_long_for_a_connection_was_never_sent() -> None:
    async def never(head: bytes, body: bytes) -> None:
        return None

    async with serving(Server(never)) as server:
        request = JsonRequest(connection_pool_size=1, read_timeout=5, pool_timeout=0.2)
        await request.initialize()
        try:
            holder = asyncio.create_task(request.do_request(server.url, "POST", parameters(chat_id=1, text="a")))
            await asyncio.sleep(0.1)
            with pytest.raises(TimedOut, match="not sent"):
                await request.do_request(server.url, "POST", parameters(chat_id=2, text="b"))
            holder.cancel()
        finally:
            await request.shutdown()
        assert len(server.requests) == 1


async def test_nobody_listening_is_a_network_error() -> None:
    async with serving(Server(lambda head, body: asyncio.sleep(0, b""))) as server:
        url = server.url
    request = JsonRequest(connection_pool_size=1)
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.do_request(url, "POST", parameters(chat_id=7, text="hej"))
    finally:
        await request.shutdown()


async def test_an_upload_goes_multipart_the_way_ptb_sends_it(ok_server: Server) -> None:
    request = JsonRequest(connection_pool_size=1)
    await request.initialize()
    try:
        document = InputFile(b"%PDF-1.4 dagsorden", filename="dagsorden.pdf", attach=True)
        await request.do_request(ok_server.url, "POST", parameters(chat_id=7, document=document))
    finally:
        await request.shutdown()
    [(head, _body)] = ok_server.requests
    assert b"multipart/form-data" in head.lower()


@pytest.fixture
async def tls_server(authority: trustme.CA) -> AsyncIterator[Server]:
    """The Bot API over TLS, as api.telegram.org speaks it, with a certificate for 127.0.0.1 from `authority`."""

    async def ok(head: bytes, body: bytes) -> bytes:
        return b'{"ok": true, "result": true}'

    async with serving(Server(ok), tls=served_over_tls(authority)) as server:
        yield server


async def test_over_tls_the_requests_go_on_one_checked_connection(tls_server: Server, authority: trustme.CA) -> None:
    trusting = ssl.create_default_context()
    authority.configure_trust(trusting)
    request = JsonRequest(connection_pool_size=1, ssl_context=trusting)
    await request.initialize()
    try:
        for n in range(2):
            status, payload = await request.do_request(tls_server.url, "POST", parameters(chat_id=n, text="Næste møde"))
            assert (status, json.loads(payload)) == (200, {"ok": True, "result": True})
    finally:
        await request.shutdown()
    assert [json.loads(body) for _head, body in tls_server.requests] == [
        {"chat_id": 0, "text": "Næste møde"},
        {"chat_id": 1, "text": "Næste møde"},
    ]
    assert tls_server.connections == 1


async def test_a_certificate_nobody_trusts_is_a_network_error_and_nothing_is_sent(tls_server: Server) -> None:
    request = JsonRequest(connection_pool_size=1, ssl_context=ssl.create_default_context())
    await request.initialize()
    try:
        with pytest.raises(NetworkError, match="CERTIFICATE_VERIFY_FAILED"):
            await request.do_request(tls_server.url, "POST", parameters(chat_id=7, text="hej"))
    finally:
        await request.shutdown()
    assert tls_server.requests == []


async def test_a_connection_the_server_closed_while_idle_is_not_used_again() -> None:
    """The server closes each connection after its answer, as Telegram closes idle ones: the next request goes on a
    new connection rather than failing on the closed one."""

    async def ok(head: bytes, body: bytes) -> bytes:
        return b'{"ok": true, "result": true}'

    async with serving(Server(ok, close_after_answer=True)) as server:
        request = JsonRequest(connection_pool_size=1)
        await request.initialize()
        try:
            for n in range(3):
                await request.do_request(server.url, "POST", parameters(chat_id=n, text="hej"))
                await asyncio.sleep(0.05)  # the server's close arrives while the connection is idle
        finally:
            await request.shutdown()
    assert (len(server.requests), server.connections) == (3, 3)


async def test_a_proxy_named_in_the_environment_carries_the_requests(
    ok_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As httpx honours HTTP(S)_PROXY: a council network that reaches Telegram only through its proxy still does."""
    monkeypatch.setenv("HTTP_PROXY", ok_server.url.split("/bot")[0])
    request = JsonRequest(connection_pool_size=1)
    await request.initialize()
    try:
        await request.do_request("http://api.telegram.invalid/bot123:ABC/sendMessage", "POST", parameters(chat_id=7))
    finally:
        await request.shutdown()
    [(head, body)] = ok_server.requests
    assert head.startswith(b"POST http://api.telegram.invalid/bot123:ABC/sendMessage HTTP/1.1")
    assert body == b"chat_id=7"  # PTB's own form: what goes by a proxy goes PTB's way
