"""The Bot API's transport: python-telegram-bot's HTTPXRequest, with every request that carries no file sent as
one JSON body (the Bot API takes application/json as it takes forms, https://core.telegram.org/bots/api#making-
requests) instead of a urlencoded form.

Why: httpx urlencodes a form with urllib's quote, which escapes a text byte by byte in Python: every Danish letter,
space and tag of an answer. For a `/naeste` answer that was the largest single cost of building its request; the
JSON encoder is written in C. A request with files (sendDocument's upload) stays multipart, as PTB sends it.
"""

from __future__ import annotations

import json

import httpx
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

_JSON = {"Content-Type": "application/json"}


class JsonRequest(HTTPXRequest):
    """HTTPXRequest, but a request without files goes as JSON; everything else (timeouts, errors) as PTB does it."""

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
        if request_data is None or request_data.contains_files or self._client.is_closed:
            # PTB's own path: a form, multipart with files, and PTB's error for a closed client.
            return await super().do_request(
                url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
            )
        # Timeouts not given are the client's, as in PTB's HTTPXRequest.
        defaults = self._client.timeout
        timeout = httpx.Timeout(
            connect=defaults.connect if isinstance(connect_timeout, DefaultValue) else connect_timeout,
            read=defaults.read if isinstance(read_timeout, DefaultValue) else read_timeout,
            write=defaults.write if isinstance(write_timeout, DefaultValue) else write_timeout,
            pool=defaults.pool if isinstance(pool_timeout, DefaultValue) else pool_timeout,
        )
        body = json.dumps(request_data.parameters, ensure_ascii=False).encode()
        try:
            response = await self._client.request(
                method=method,
                url=url,
                headers={"User-Agent": self.USER_AGENT, **_JSON},
                timeout=timeout,
                content=body,
            )
        except httpx.TimeoutException as err:
            # As PTB's HTTPXRequest: a pool timeout was never sent, any other may have been.
            if isinstance(err, httpx.PoolTimeout):
                raise TimedOut(message="Pool timeout: the request was not sent to Telegram") from err
            raise TimedOut from err
        except httpx.HTTPError as err:
            raise NetworkError(f"httpx.{err.__class__.__name__}: {err}") from err
        return response.status_code, response.content
