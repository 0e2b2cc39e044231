"""Invites by e-mail (`kkrbot invite --email`): each person gets their own single-use chat link(s) (Telegram, and
Teams when configured) at the address the roster holds. The message is marked sensitive, so the outbox forgets its
contents once it is handed to the mail server (or given up), as it does for an invite sent in the chat."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import aiosqlite

from bot.core.conversation import Conversation
from bot.core.turn import display_name
from bot.delivery.message import Message
from bot.delivery.outbox import Lane, enqueue
from bot.i18n import Translator
from bot.storage.accounts import EMAIL, create_invite, invite_link, teams_invite_link
from bot.storage.roster import Person


def invite_mail(person: Person, links: Sequence[tuple[str, str]], expires: datetime, _: Translator) -> Message:
    return Message(
        title=_("Your invitation to the KKR Nordjylland bot"),
        text=_(
            "Dear {name},\n\nthe KKR secretariat invites you to the council's chat bot: it tells you about the "
            "meetings, and you can report absence or answer as a substitute there. Open your personal link in "
            "the app you use; it works once, only for you, until {date}:",
            name=display_name(person, _),
            date=_.date(expires),
        )
        + "\n\n"
        + "\n".join(f"{channel}: {url}" for channel, url in links),
        sensitive=True,
    )


async def queue_invite_mails(
    conversation: Conversation, conn: aiosqlite.Connection, people: Sequence[Person], now: datetime
) -> list[Person]:
    """Creates the invites and queues one e-mail per person with an address; returns those queued."""
    settings = conversation.settings
    ttl = timedelta(days=settings.invite_ttl_days)
    queued = []
    for person in people:
        if not person.email:
            continue
        links = [("Telegram", invite_link(settings.bot_username, await create_invite(conn, person.id, now, ttl)))]
        if settings.teams_client_id:
            token = await create_invite(conn, person.id, now, ttl)
            links.append(("Microsoft Teams", teams_invite_link(settings.teams_client_id, token)))
        _ = await conversation.translator_for(conn, person.id)
        message = invite_mail(person, links, now + ttl, _)
        await enqueue(conn, EMAIL, person.email, person.id, message, now, Lane.BULK)
        queued.append(person)
    return queued
