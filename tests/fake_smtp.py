"""A real SMTP server for the tests (aiosmtpd) on 127.0.0.1, in the test's event loop: it keeps what it accepted
as parsed `email` messages, answers DATA with the codes a test queues (a 4xx, a 5xx), refuses the recipients a
test names, and takes a password (AUTH PLAIN/LOGIN) or an XOAUTH2 token when a test asks for one."""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


class FakeSmtp:
    def __init__(
        self,
        *,
        password: tuple[str, str] | None = None,
        xoauth2: tuple[str, str] | None = None,
    ) -> None:
        self.received: list[EmailMessage] = []
        self.data_attempts: list[str] = []  # the recipients of every DATA command, accepted or not
        self.data_answers: list[str] = []  # answers to the next DATA commands, instead of accepting
        self.refused: set[str] = set()
        self.password = password
        self.xoauth2 = xoauth2  # (user, token) accepted
        self.logins: list[str] = []
        self._server: asyncio.Server | None = None
        self.port = 0
        self._arrived = asyncio.Event()

    # aiosmtpd's handler hooks

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 No such recipient"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.data_attempts += envelope.rcpt_tos
        if self.data_answers:
            return self.data_answers.pop(0)
        content = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(message)
        self._arrived.set()
        return "250 OK: queued"

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        if self.xoauth2 is None or len(args) < 2:
            return AuthResult(success=False)
        decoded = base64.b64decode(args[1]).decode()
        user, token = self.xoauth2
        self.logins.append(decoded.split("\x01")[0])
        return AuthResult(success=decoded == f"user={user}\x01auth=Bearer {token}\x01\x01")

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if self.password is None or not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        self.logins.append(data.login.decode())
        return AuthResult(success=(data.login.decode(), data.password.decode()) == self.password)

    # running

    async def __aenter__(self) -> FakeSmtp:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self, port: int = 0) -> None:
        factory: Callable[[], SMTP] = lambda: SMTP(  # noqa: E731
            self,
            hostname="fake-smtp.test",
            auth_require_tls=False,
            authenticator=self._authenticate if self.password else None,
            auth_exclude_mechanism=[] if self.xoauth2 else ["XOAUTH2"],
        )
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(factory, "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stops listening (a server that is down): connections are refused until `start(port)` again."""
        if self._server is not None:
            self._server.close()
            self._server = None

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.received if address in str(m["To"])]

    async def wait_for(self, address: str, count: int = 1, timeout: float = 30) -> list[EmailMessage]:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while len(self.to(address)) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.to(address)

    async def wait_for_total(self, count: int, timeout: float = 30) -> None:  # noqa: ASYNC109
        """Until `count` messages in all have arrived: one length check per arrival, however many are kept (the
        benches count a thousand; `wait_for` reads every kept message's To on every arrival)."""
        async with asyncio.timeout(timeout):
            while len(self.received) < count:
                self._arrived.clear()
                await self._arrived.wait()


def plain_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def html_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")
