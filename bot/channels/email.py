"""E-mail: a channel of the one outbox, for the people the chat does not reach.

The secretariat's roster is the binding for e-mail: a person with an address and no bound chat account (or who
chose e-mail with /kanal) gets by e-mail what they would get in the chat (bot.storage.accounts). The worker for
`email` hands each row to the mail server (aiosmtplib) as a plain-text and a simple HTML part in the reader's
language, with the chat's words; "sent" means handed to the mail server. Bounces go to KKRBOT_MAIL_FROM and are
not read, nor are replies.

Nothing lost, nothing doubled: every row carries a Message-ID derived from its id and the database's link key, so
the one repeat a crash can cause (a message the server accepted whose sent mark was not written) carries the same
Message-ID as the first, and mail systems and readers can tell it is the same message. A 4xx is retried with the
outbox's backoff; a 5xx or a refused recipient is given up. A mail server that cannot be reached marks the channel
degraded in the database (`kkrbot health` says `degraded: email` and still exits 0) and never stops the bot or the
other channels: the rows wait in the outbox.

Secrets (the SMTP password, the OAuth client secret, the OAuth token) are never logged or stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import time
from collections.abc import AsyncIterator
from email.message import EmailMessage
from email.utils import formataddr, formatdate

import aiohttp
import aiosmtplib

from bot.config import Settings
from bot.core.conversation import Conversation
from bot.core.turn import display_name
from bot.core.usecases.absence_notices import contact
from bot.core.usecases.answer_links import ANSWER_ACTION, answer_link
from bot.delivery.client_credentials import ClientCredentials
from bot.delivery.message import Message
from bot.delivery.outbox import Delivery, DeliveryResult, OutboxItem, OutboxWorker, with_stored_content
from bot.delivery.pacing import Limits, Pacer
from bot.delivery.peer_watch import PeerWatch
from bot.i18n import Translator
from bot.storage.accounts import EMAIL
from bot.storage.db import Database
from bot.storage.link_key import link_key, sign
from bot.storage.roster import Role

log = logging.getLogger(__name__)

CHANNEL = EMAIL
SENDER_NAME = "KKR Nordjylland"
SMTP_TIMEOUT = 30.0
# A connection left idle this long is closed before the next message rather than found closed by the server.
IDLE_SECONDS = 30.0
OAUTH_SCOPE = "https://outlook.office365.com/.default"
MICROSOFT_LOGIN = "https://login.microsoftonline.com"
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=30)
CALENDAR = "text/calendar"


def message_id(key: bytes, row_id: int, mail_from: str) -> str:
    """The row's own Message-ID: the same for every attempt at the row, and unguessable across databases."""
    domain = mail_from.rpartition("@")[2]
    return f"<kkrbot.{row_id}.{sign(key, f'message-id {row_id}')[:16]}@{domain}>"


def oauth_tokens(session: aiohttp.ClientSession, settings: Settings) -> ClientCredentials:
    """Microsoft 365's token for SMTP submission (client credentials of an Entra app registration). The secret and
    the token live only in memory."""
    assert settings.smtp_oauth_tenant_id
    assert settings.smtp_oauth_client_id
    assert settings.smtp_oauth_client_secret
    url = settings.smtp_oauth_token_url or f"{MICROSOFT_LOGIN}/{settings.smtp_oauth_tenant_id}/oauth2/v2.0/token"
    return ClientCredentials(
        session, url, settings.smtp_oauth_client_id, settings.smtp_oauth_client_secret, OAUTH_SCOPE
    )


class Unreachable(Exception):
    """The mail server could not be reached or refused our login: the channel is degraded, the row waits."""


def _paragraphs_html(text: str) -> str:
    return "".join(
        f"<p>{html.escape(block).replace(chr(10), '<br>')}</p>" for block in text.split("\n\n") if block.strip()
    )


def compose(
    message: Message,
    _: Translator,
    *,
    links: list[tuple[str, str]],
    how_to_answer: str | None,
) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of one message: the chat's words, the answer links as links, the footer that
    says replies are not read."""
    first_line = message.text.strip().split("\n", 1)[0]
    subject = message.title or (first_line[:70] + "…" if len(first_line) > 70 else first_line) or SENDER_NAME
    subject = " ".join(subject.split())  # one header line, whatever a name in it holds
    plain: list[str] = []
    rich: list[str] = []
    if message.title:
        plain += [message.title, ""]
        rich.append(f"<h2>{html.escape(message.title)}</h2>")
    if message.pre:
        plain += [message.pre, ""]
        rich.append(f"<pre>{html.escape(message.pre)}</pre>")
    if message.text:
        plain += [message.text, ""]
        rich.append(_paragraphs_html(message.text))
    if links:
        for label, url in links:
            plain.append(f"{label}: {url}")
        plain.append("")
        rich.append(
            "<p>"
            + " ".join(
                f'<a href="{html.escape(url)}" style="display:inline-block;padding:8px 16px;margin:4px;'
                f'border:1px solid #1f4e79;border-radius:4px;text-decoration:none">{html.escape(label)}</a>'
                for label, url in links
            )
            + "</p>"
        )
    if how_to_answer:
        plain += [how_to_answer, ""]
        rich.append(_paragraphs_html(how_to_answer))
    document = message.document
    if document is not None and not document.content and not document.mime_type.startswith(CALENDAR):
        # A file only the chat service holds (a PDF sent to the bot in Telegram): it cannot be attached here.
        note = _(
            "The document {name} could not be attached; please ask the secretariat for it.", name=document.filename
        )
        plain += [note, ""]
        rich.append(_paragraphs_html(note))
    footer = _("Sent by the KKR Nordjylland bot. Replies to this e-mail are not read; please contact the secretariat.")
    plain += ["-- ", footer]
    rich.append(f'<hr><p style="color:#666;font-size:small">{html.escape(footer)}</p>')
    body = f'<!DOCTYPE html><html lang="{_.language}"><body>{"".join(rich)}</body></html>'
    return subject, "\n".join(plain).strip() + "\n", body


def email_message(
    message: Message,
    _: Translator,
    *,
    sender: str,
    to: str,
    message_id: str,
    links: list[tuple[str, str]],
    how_to_answer: str | None,
) -> EmailMessage:
    subject, plain, rich = compose(message, _, links=links, how_to_answer=how_to_answer)
    mail = EmailMessage()
    mail["From"] = formataddr((SENDER_NAME, sender))
    mail["To"] = to
    mail["Subject"] = subject
    mail["Message-ID"] = message_id
    mail["Date"] = formatdate(usegmt=True)
    mail["Content-Language"] = _.language
    # Bounces and automatic replies go to the sender's mailbox; no out-of-office answers to a bot, please.
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(plain)
    mail.add_alternative(rich, subtype="html")
    document = message.document
    if document is not None and document.mime_type.startswith(CALENDAR):
        # An iTIP invitation: the calendar part beside the text (what Outlook, Google and Apple read), and the
        # same as a file for the mail programs that only show attachments.
        method = document.mime_type.partition("method=")[2] or "PUBLISH"
        mail.add_alternative(document.content.decode(), subtype="calendar", params={"method": method})
        mail.add_attachment(document.content, maintype="application", subtype="ics", filename=document.filename)
    elif document is not None and document.content:
        maintype, _slash, subtype = document.mime_type.partition("/")
        mail.add_attachment(
            document.content, maintype=maintype, subtype=subtype or "octet-stream", filename=document.filename
        )
    return mail


class EmailChannel:
    """The outbox's `email` worker: renders each row and hands it to the mail server, one connection kept open."""

    def __init__(self, conversation: Conversation, session: aiohttp.ClientSession) -> None:
        settings = conversation.settings
        assert settings.smtp_host is not None
        assert settings.mail_from is not None
        self.conversation = conversation
        self.db: Database = conversation.db
        self.settings = settings
        self.mail_from: str = settings.mail_from
        self.tokens = oauth_tokens(session, settings) if settings.smtp_oauth_client_id else None
        self.worker = OutboxWorker(
            self.db,
            CHANNEL,
            PeerWatch(self.db, CHANNEL, self.deliver),
            on_give_up=conversation.report_undeliverable,
            on_sent=conversation.report_finished_broadcasts,
            retry_base=settings.retry_base_seconds,
            in_flight=1,
            pacer=Pacer(Limits(per_second=settings.mail_per_second)),
            clock=conversation.clock,
        )
        conversation.after_commit(self.worker.wake)
        self._smtp: aiosmtplib.SMTP | None = None
        self._used_at = 0.0
        self._lock = asyncio.Lock()
        self._degraded = False
        self._key: bytes | None = None

    # rendering

    async def _links(self, message: Message) -> tuple[list[tuple[str, str]], bool]:
        """The answer buttons as signed links (with KKRBOT_PUBLIC_URL), and whether the message has any."""
        links: list[tuple[str, str]] = []
        asks = False
        for row in message.buttons:
            for button in row:
                match = ANSWER_ACTION.match(button.action)
                if match is None:
                    continue
                asks = True
                if self.settings.public_url is None:
                    continue
                async with self.db.transaction() as conn:
                    url = await answer_link(
                        conn, self.conversation.dataset, self.settings.public_url, int(match[1]), match[2]
                    )
                if url is not None:
                    links.append((button.label, url))
        return links, asks

    async def _secretariat(self, _: Translator) -> str:
        async with self.db.read() as conn:
            roster = await self.conversation.roster(conn)
        secretariat = [p for p in roster.people if p.role is Role.SECRETARIAT]
        return "; ".join(f"{display_name(p, _)}, {contact(p, _)}" for p in secretariat if p.phone or p.email) or "–"

    async def _how_to_answer(
        self, message: Message, links: list[tuple[str, str]], asks: bool, _: Translator
    ) -> str | None:
        """What the chat's buttons would do, in words: without a public address an alert cannot carry links, and
        a reminder's "Meld afbud" has no e-mail form; the e-mail says whom to tell."""
        if asks and not links:
            return _("To answer, please tell the secretariat: {contacts}.", contacts=await self._secretariat(_))
        if any(button.action.startswith("absent ") for row in message.buttons for button in row):
            return _("To report absence, please tell the secretariat: {contacts}.", contacts=await self._secretariat(_))
        return None

    async def render(self, item: OutboxItem) -> EmailMessage:
        message = await with_stored_content(self.db, item.message)
        if self._key is None:
            async with self.db.transaction() as conn:  # created on first use
                self._key = await link_key(conn)
        async with self.db.read() as conn:
            _ = await self.conversation.translator_for(conn, item.person_id)
        links, asks = await self._links(message)
        how = await self._how_to_answer(message, links, asks, _)
        return email_message(
            message,
            _,
            sender=self.mail_from,
            to=item.address,
            message_id=message_id(self._key, item.id, self.mail_from),
            links=links,
            how_to_answer=how,
        )

    # sending

    async def _connect(self) -> aiosmtplib.SMTP:
        """A new connection, logged in: with the relay's user name and password, or XOAUTH2 with Microsoft 365's
        token (aiosmtplib's own XOAUTH2)."""
        settings = self.settings
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        smtp = aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            use_tls=settings.smtp_security == "tls",
            start_tls=settings.smtp_security == "starttls",
            username=(settings.smtp_username or self.mail_from) if self.tokens or password else None,
            password=password,
            oauth_token_generator=self.tokens.get if self.tokens else None,
            timeout=SMTP_TIMEOUT,
        )
        try:
            await smtp.connect()
        except (aiosmtplib.SMTPException, OSError, aiohttp.ClientError, TimeoutError, KeyError, ValueError) as exc:
            if isinstance(exc, aiosmtplib.SMTPAuthenticationError) and self.tokens is not None:
                self.tokens.forget()
            with contextlib.suppress(Exception):
                smtp.close()
            raise Unreachable(type(exc).__name__) from None
        return smtp

    async def _send(self, mail: EmailMessage, to: str) -> None:
        async with self._lock:
            reused = self._smtp is not None and time.monotonic() - self._used_at < IDLE_SECONDS
            if self._smtp is not None and not reused:
                self._close()
            for attempt in (1, 2):
                if self._smtp is None:
                    self._smtp = await self._connect()
                try:
                    await self._smtp.send_message(mail, sender=self.mail_from, recipients=[to])
                    self._used_at = time.monotonic()
                    return
                except aiosmtplib.SMTPServerDisconnected:
                    # A kept connection the server closed: nothing was accepted; once more on a new one.
                    self._close()
                    if attempt == 2 or not reused:
                        raise
                except Exception:
                    self._close()
                    raise

    def _close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(Exception):
                self._smtp.close()
        self._smtp = None

    async def _mark(self, degraded: bool, reason: str = "") -> None:
        if degraded != self._degraded:
            self._degraded = degraded
            if degraded:
                log.warning("e-mail: the mail server cannot be reached (%s); messages wait in the outbox", reason)
            else:
                log.info("e-mail: the mail server is reachable again")

    async def deliver(self, item: OutboxItem) -> DeliveryResult:
        mail = await self.render(item)
        try:
            await self._send(mail, item.address)
        except Unreachable as exc:
            await self._mark(True, str(exc))
            return DeliveryResult(Delivery.RETRY, error=f"mail server unreachable ({exc})")
        except aiosmtplib.SMTPRecipientsRefused as exc:
            await self._mark(False)
            codes = [refused.code for refused in exc.recipients]
            if codes and all(400 <= code < 500 for code in codes):
                return DeliveryResult(Delivery.RETRY, error=f"recipient deferred ({codes[0]})")
            return DeliveryResult(Delivery.GIVE_UP, error=f"recipient refused ({codes[0] if codes else '?'})")
        except aiosmtplib.SMTPResponseException as exc:
            await self._mark(False)
            if 400 <= exc.code < 500:
                return DeliveryResult(Delivery.RETRY, error=f"mail server {exc.code}")
            return DeliveryResult(Delivery.GIVE_UP, error=f"mail server refused it ({exc.code})")
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            await self._mark(True, type(exc).__name__)
            return DeliveryResult(Delivery.RETRY, error=type(exc).__name__)
        await self._mark(False)
        return DeliveryResult(Delivery.SENT)

    def close(self) -> None:
        self._close()


@contextlib.asynccontextmanager
async def serve_email(conversation: Conversation) -> AsyncIterator[EmailChannel]:
    """Runs the e-mail worker beside the other channels until the bot stops; a clean stop repeats nothing."""
    session = aiohttp.ClientSession()
    channel = EmailChannel(conversation, session)
    task = asyncio.create_task(channel.worker.run())
    log.info("e-mail on: %s:%s (%s)", conversation.settings.smtp_host, conversation.settings.smtp_port,
             conversation.settings.smtp_security)  # fmt: skip
    try:
        yield channel
    finally:
        await channel.worker.stop(task)
        channel.close()
        await session.close()
