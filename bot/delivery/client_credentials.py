"""An OAuth 2.0 client-credentials token from Microsoft Entra, for a channel that sends as an app: Teams (the Bot
Connector) and e-mail (XOAUTH2 to Exchange Online). Cached until five minutes before it expires; the secret is read
only when a token is fetched, and neither is ever logged."""

from __future__ import annotations

import time

import aiohttp
from pydantic import SecretStr

HTTP_TIMEOUT = aiohttp.ClientTimeout(total=30)
# A token is fetched again this long before it expires, so none expires in flight.
EARLY_SECONDS = 300


class ClientCredentials:
    def __init__(self, session: aiohttp.ClientSession, url: str, client_id: str, secret: SecretStr, scope: str) -> None:
        self.session = session
        self.url = url
        self._client_id = client_id
        self._secret = secret
        self._scope = scope
        self._token: str | None = None
        self._expires = 0.0

    async def get(self) -> str:
        if self._token is None or time.monotonic() > self._expires - EARLY_SECONDS:
            form = {
                "grant_type": "client_credentials",
                "client_id": self._client_id,
                "client_secret": self._secret.get_secret_value(),
                "scope": self._scope,
            }
            async with self.session.post(self.url, data=form, timeout=HTTP_TIMEOUT) as response:
                response.raise_for_status()
                answer = await response.json(content_type=None)
            self._token = str(answer["access_token"])
            self._expires = time.monotonic() + float(answer.get("expires_in", 3600))
        return self._token

    def forget(self) -> None:
        """The server refused the token (revoked, or the clock drifted): the next `get` fetches a new one."""
        self._token = None
