"""`kkrbot invite --email PERSON-ID|--all [--yes]`: queues invite e-mails in the database; the running bot's e-mail
worker sends them. It tells people, so it asks first (or takes `--yes`)."""

from __future__ import annotations

import sys
from collections.abc import Callable

from bot.app import open_conversation, utc_now
from bot.config import Settings
from bot.core.usecases.invite_mail import queue_invite_mails
from bot.storage.db import rows
from bot.storage.roster import Roster


class InviteMailError(Exception):
    """One line for the operator: e-mail is not configured, or nobody to invite."""


def ask(count: int) -> bool:
    if not sys.stdin.isatty():
        raise InviteMailError(f"this e-mails {count} people; add --yes to send without being asked")
    answer = input(f"E-mail an invite to {count} people? [y/N] ")
    return answer.strip().lower() in ("y", "yes", "j", "ja")


async def invites_by_email(
    settings: Settings, person_id: str | None, everyone: bool, *, yes: bool, confirm: Callable[[int], bool] = ask
) -> str:
    if not settings.email_enabled:
        raise InviteMailError("e-mail invites need KKRBOT_SMTP_HOST and KKRBOT_MAIL_FROM (docs/email.md)")
    conversation = await open_conversation(settings)
    try:
        async with conversation.db.read() as conn:
            roster = await Roster.load(conn)
            bound = {row[0] for row in await rows(conn, "SELECT DISTINCT person_id FROM accounts")}
        if everyone:
            people = [p for p in roster.invitable if p.id not in bound]
        elif person_id in (invitable := {p.id: p for p in roster.invitable}):
            people = [invitable[person_id]]
        else:
            raise InviteMailError(f"no person with id {person_id!r} in the roster (see: kkrbot roster list)")
        without = [p.id for p in people if not p.email]
        people = [p for p in people if p.email]
        if not people:
            reason = f"no address in the roster for {', '.join(without)}" if without else "everyone is bound"
            raise InviteMailError(f"nobody to e-mail: {reason}")
        if not yes and not confirm(len(people)):
            return "nothing sent"
        async with conversation.db.transaction() as conn:
            queued = await queue_invite_mails(conversation, conn, people, utc_now())
    finally:
        await conversation.db.close()
    lines = [f"{p.id}\t{p.email}" for p in queued]
    if without:
        lines.append(f"no e-mail address in the roster: {', '.join(without)}")
    lines.append(f"{len(queued)} invite e-mail{'' if len(queued) == 1 else 's'} queued; the running bot sends them")
    return "\n".join(lines)
