"""Limits that keep the HTTP endpoint from taking the bot down: slow or many clients cannot use up the process's
file descriptors, its memory or its event loop, so Telegram and `/healthz` go on answering.

aiohttp itself caps neither connections nor the time a client may take to send its headers or body, so the
server enforces them here (a reverse proxy in front may add its own; the bot does not rely on one):

- at most `MAX_CONNECTIONS` (100) connections at once, and `MAX_PER_PEER` (10) from one address. A connection that
  would go over makes room by closing the oldest connection that is not in the middle of a request (it has sent
  no complete request line and headers yet, or sits idle between requests), so held-open connections cannot lock
  others out; when every slot is busy with a request, the new connection gets `503` and is closed.
- a request's line and headers within `HEADER_SECONDS` (10 s) of its first byte (or of the connection's start),
  its body within `BODY_SECONDS` (30 s), and an idle kept-alive connection closed after `KEEPALIVE_SECONDS` (15 s).
- a body at most as large as its route's kind allows (`RouteKind`): 256 KiB for the Teams activities on
  `/api/messages`, 4 KiB for a form post, none for a page that is only read. A route gets its limits by being
  registered through `limited(kind, handler)`, so a new route of a known kind cannot forget them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

MAX_CONNECTIONS = 100
MAX_PER_PEER = 10
HEADER_SECONDS = 10.0
BODY_SECONDS = 30.0
KEEPALIVE_SECONDS = 15.0

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_BUSY = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"


@dataclass(frozen=True)
class RouteKind:
    """What a route may be sent: its body's largest size in bytes (0: the route reads no body)."""

    name: str
    max_body: int


API = RouteKind("api", 256 * 1024)  # a Teams activity is a few kilobytes; nothing legitimate comes near this
FORM = RouteKind("form", 4 * 1024)  # a form post (an answer link's page): a few short fields
PAGE = RouteKind("page", 0)  # read only: health, the calendar feed, files
LARGEST_BODY = max(API.max_body, FORM.max_body)


def _closing(status: int) -> web.Response:
    response = web.Response(status=status)
    response.force_close()
    return response


def limited(kind: RouteKind, handler: Handler) -> Handler:
    """`handler` with its kind's body limits: a declared or sent body over `kind.max_body` gets 413, one that
    takes longer than BODY_SECONDS gets 408, and either closes the connection. The handler gets the request
    with its body read (`request.read()`, `.json()` and `.post()` return at once)."""

    async def handle(request: web.Request) -> web.StreamResponse:
        if not request.body_exists:
            return await handler(request)
        if kind.max_body == 0 or (request.content_length or 0) > kind.max_body:
            return _closing(413)
        bounded = request.clone(client_max_size=kind.max_body)
        try:
            async with asyncio.timeout(BODY_SECONDS):
                await bounded.read()
        except TimeoutError:
            return _closing(408)
        except web.HTTPRequestEntityTooLarge:
            return _closing(413)
        return await handler(bounded)

    return handle


@dataclass(eq=False)
class _Connection(asyncio.Protocol):
    """One client connection: aiohttp's own protocol inside, admitted or refused by the guard, with the header
    deadline. Everything the transport calls is handed on to aiohttp's protocol."""

    guard: ConnectionGuard
    inner: RequestHandler
    peer: str = ""
    admitted: bool = False
    busy: bool = False
    transport: asyncio.Transport | None = None
    deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peername = transport.get_extra_info("peername")
        self.peer = str(peername[0]) if peername else ""
        if not self.guard.admit(self):
            transport.write(_BUSY)
            transport.close()
            return
        self.admitted = True
        self.inner.connection_made(transport)
        self._start_header_clock()

    def data_received(self, data: bytes) -> None:
        if not self.admitted:
            return
        if not self.busy and self.deadline is None:
            self._start_header_clock()
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        if self.admitted:
            self.inner.eof_received()
        return None

    def pause_writing(self) -> None:
        if self.admitted:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.admitted:
            self.inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_clock()
        self.guard.release(self)
        if self.admitted:
            self.admitted = False
            self.inner.connection_lost(exc)

    def close(self) -> None:
        """Closes the connection (a slow or displaced client); aiohttp's protocol is told by connection_lost."""
        self._stop_header_clock()
        if self.transport is not None:
            self.transport.close()

    @property
    def idle(self) -> bool:
        """Neither handling a request nor still sending a response (a file, say): it may be displaced."""
        return not self.busy and (self.transport is None or self.transport.get_write_buffer_size() == 0)

    def request_started(self) -> None:
        self.busy = True
        self._stop_header_clock()

    def request_ended(self) -> None:
        self.busy = False

    def _start_header_clock(self) -> None:
        self.deadline = asyncio.get_running_loop().call_later(self.guard.header_seconds, self._headers_too_slow)

    def _stop_header_clock(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _headers_too_slow(self) -> None:
        self.deadline = None
        if not self.busy:
            self.close()


@dataclass
class ConnectionGuard:
    """Counts the connections, in all and per peer address, and admits, displaces or refuses new ones."""

    max_connections: int = field(default_factory=lambda: MAX_CONNECTIONS)
    max_per_peer: int = field(default_factory=lambda: MAX_PER_PEER)
    header_seconds: float = field(default_factory=lambda: HEADER_SECONDS)
    # Admitted connections, oldest first (a dict keeps insertion order).
    _open: dict[_Connection, None] = field(default_factory=dict)
    _by_inner: dict[RequestHandler, _Connection] = field(default_factory=dict)
    _per_peer: dict[str, int] = field(default_factory=dict)
    refused: int = 0
    displaced: int = 0

    @property
    def open_connections(self) -> int:
        return len(self._open)

    def protocol(self, server: web.Server) -> asyncio.Protocol:
        """The protocol factory for `loop.create_server`: aiohttp's protocol for `server`, guarded."""
        return _Connection(self, server())

    def admit(self, connection: _Connection) -> bool:
        if self._per_peer.get(connection.peer, 0) >= self.max_per_peer and not self._displace(connection.peer):
            self.refused += 1
            return False
        if len(self._open) >= self.max_connections and not self._displace(None):
            self.refused += 1
            return False
        self._open[connection] = None
        self._by_inner[connection.inner] = connection
        self._per_peer[connection.peer] = self._per_peer.get(connection.peer, 0) + 1
        return True

    def release(self, connection: _Connection) -> None:
        if connection in self._open:
            del self._open[connection]
            del self._by_inner[connection.inner]
            left = self._per_peer[connection.peer] - 1
            if left:
                self._per_peer[connection.peer] = left
            else:
                del self._per_peer[connection.peer]

    def _displace(self, peer: str | None) -> bool:
        """Closes the oldest idle connection (of `peer`, or of anyone); False if none is idle."""
        for candidate in self._open:
            if candidate.idle and (peer is None or candidate.peer == peer):
                self.release(candidate)
                candidate.close()
                self.displaced += 1
                return True
        return False

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Marks the connection busy while its request is handled: its headers are in, and it is not displaced."""
        connection = self._by_inner.get(request.protocol)
        if connection is None:
            return await handler(request)
        connection.request_started()
        try:
            return await handler(request)
        finally:
            connection.request_ended()
