"""The Bot API's transport: every request that carries no file goes as one JSON body (the Bot API takes
application/json as it takes forms, https://core.telegram.org/bots/api#making-requests) straight to httpcore, on
asyncio's own streams; a request with files (sendDocument's upload) goes through python-telegram-bot's
HTTPXRequest, multipart, as PTB sends it.

Why JSON: httpx urlencodes a form with urllib's quote, which escapes a text byte by byte in Python: every Danish
letter, space and tag of an answer. For a `/naeste` answer that was the largest single cost of building its request;
the JSON encoder is written in C.

Why httpcore on asyncio's streams: httpx's client (URL parsing, header models, its transport's wrapping) and anyio's
streams under httpcore (a cancel scope at every read and write, a table of attributes built at every check of an idle
connection) do nothing a bot that speaks to one host needs. Without them a `/naeste` answer on loopback costs 16 %
fewer instructions and 17 % fewer cache misses (docs/benchmarks.md, eighth stop). httpcore still does the HTTP (its
pool, keep-alive, h11); `AsyncioBackend` only gives it asyncio's streams, which httpcore's interface for network
backends is there for. A proxy named in the environment sends everything PTB's way, through httpx, which honours it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from collections.abc import Iterable
from typing import Any
from urllib.request import getproxies

import httpcore
import httpx
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

_JSON = [(b"Content-Type", b"application/json"), (b"User-Agent", HTTPXRequest.USER_AGENT.encode())]
# What httpcore raises for a request that failed on the way; each a NetworkError to PTB, as httpx's errors are in
# PTB's HTTPXRequest. Timeouts are TimedOut, apart.
_FAILED = (httpcore.NetworkError, httpcore.ProtocolError, httpcore.ProxyError, httpcore.UnsupportedProtocol)


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection on asyncio's StreamReader and StreamWriter, with httpcore's errors for what goes wrong. The
    `timeout` arguments are httpcore's interface (each call's own limit), hence asyncio.timeout inside."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109 (httpcore's)
        try:
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)
        except TimeoutError as exc:  # before OSError, whose subclass it is
            raise httpcore.ReadTimeout(str(exc)) from exc
        except OSError as exc:
            raise httpcore.ReadError(str(exc)) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109 (httpcore's)
        if not buffer:
            return
        try:
            async with asyncio.timeout(timeout):
                self._writer.write(buffer)
                await self._writer.drain()
        except TimeoutError as exc:
            raise httpcore.WriteTimeout(str(exc)) from exc
        except OSError as exc:
            raise httpcore.WriteError(str(exc)) from exc

    async def aclose(self) -> None:
        # At once, without TLS's close_notify, as httpcore's anyio streams close (anyio's standard_compatible=False):
        # a peer that never answers it must not hold up a shutdown.
        self._writer.transport.abort()
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
    ) -> httpcore.AsyncNetworkStream:
        try:
            await self._writer.start_tls(ssl_context, server_hostname=server_hostname, ssl_handshake_timeout=timeout)
        except TimeoutError as exc:
            await self.aclose()
            raise httpcore.ConnectTimeout(str(exc)) from exc
        except OSError as exc:  # ssl.SSLError among them
            await self.aclose()
            raise httpcore.ConnectError(str(exc)) from exc
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # httpcore asks this of an idle connection: has the server closed it? asyncio has already read whatever
            # came, so the socket itself would not say; the stream's end and the transport's state do.
            return self._reader.at_eof() or self._writer.transport.is_closing()
        names = {"ssl_object": "ssl_object", "client_addr": "sockname", "server_addr": "peername", "socket": "socket"}
        return self._writer.get_extra_info(names[info]) if info in names else None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """httpcore's connections on asyncio's streams (httpcore's own choice on asyncio is anyio's)."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                # Happy eyeballs as anyio.connect_tcp does them; asyncio sets TCP_NODELAY itself.
                reader, writer = await asyncio.open_connection(
                    host, port, local_addr=(local_address, 0) if local_address else None, happy_eyeballs_delay=0.25
                )
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(str(exc)) from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        for option in socket_options or ():
            writer.get_extra_info("socket").setsockopt(*option)
        return AsyncioStream(reader, writer)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class JsonRequest(HTTPXRequest):
    """HTTPXRequest's settings and errors, but a request without files goes as JSON through httpcore directly."""

    def __init__(
        self,
        connection_pool_size: int = 1,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(
            connection_pool_size=connection_pool_size,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
            httpx_kwargs={"verify": ssl_context} if ssl_context else None,
        )
        # As httpx.Limits(max_connections=connection_pool_size), which PTB gives its client; httpcore builds the
        # default TLS context (certifi's) itself at its first TLS connection when none is given.
        limits = httpx.Limits(max_connections=connection_pool_size)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=AsyncioBackend(),
        )
        # A proxy named in the environment (HTTPS_PROXY and the like): every request goes PTB's way, through httpx,
        # which honours them (and NO_PROXY) as it always did here; httpcore alone would ignore them.
        self._direct = not any(scheme != "no" for scheme in getproxies())

    async def shutdown(self) -> None:
        await self._pool.aclose()
        await super().shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if not self._direct or request_data is None or request_data.contains_files or self._client.is_closed:
            # PTB's own path: through a proxy, a form, multipart with files, and PTB's error for a request not
            # initialized.
            return await super().do_request(
                url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
            )
        # Timeouts not given are the ones this request was built with, as in PTB's HTTPXRequest.
        defaults = self._client.timeout
        timeouts = {
            "connect": defaults.connect if isinstance(connect_timeout, DefaultValue) else connect_timeout,
            "read": defaults.read if isinstance(read_timeout, DefaultValue) else read_timeout,
            "write": defaults.write if isinstance(write_timeout, DefaultValue) else write_timeout,
            "pool": defaults.pool if isinstance(pool_timeout, DefaultValue) else pool_timeout,
        }
        body = json.dumps(request_data.parameters, ensure_ascii=False).encode()
        try:
            response = await self._pool.request(
                method, url, headers=_JSON, content=body, extensions={"timeout": timeouts}
            )
        except httpcore.TimeoutException as err:
            # As PTB's HTTPXRequest: a pool timeout was never sent, any other may have been.
            if isinstance(err, httpcore.PoolTimeout):
                raise TimedOut(message="Pool timeout: the request was not sent to Telegram") from err
            raise TimedOut from err
        except _FAILED as err:
            raise NetworkError(f"httpcore.{err.__class__.__name__}: {err}") from err
        return response.status, response.content
