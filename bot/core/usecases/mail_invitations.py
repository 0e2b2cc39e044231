"""Calendar invitations by e-mail (KKRBOT_MAIL_INVITATIONS=1): the meetings land in Outlook, Google and Apple
calendars as iTIP messages (RFC 5546) and update in place.

Derived from the database on every tick, like the reminders: each member with an address should have every coming
meeting, and each substitute who accepted the meetings they accepted (a substitute whose acceptance a move asked
again gets a CANCEL until they accept the new time). What each person was last sent for each
meeting is recorded (`mail_invitations`) in the transaction that queues it, so a restart sends nothing twice and
misses nothing. A first invitation is a REQUEST; a change of the meeting (a move, a new place) raises
the calendar's SEQUENCE (the one builder, `build_calendar`) and sends the REQUEST again with the same UID and a
higher SEQUENCE (the invitation, like every calendar, carries date, time and place only: R-MEET-3); a cancelled
meeting, or a substitute no longer needed (withdrawn, declined), gets a CANCEL. Replies
to invitations are not read (RSVP=FALSE).
"""

from __future__ import annotations

from bot.core.turn import Turn
from bot.core.usecases.absence_notices import where
from bot.core.usecases.meetings import Invitation, build_calendar, meeting_title, meeting_when
from bot.delivery.message import Document, Message
from bot.delivery.outbox import Lane, enqueue
from bot.i18n import Translator
from bot.storage.accounts import EMAIL
from bot.storage.db import rows, utc_text
from kkrcore.models import Meeting

REQUEST = "REQUEST"
CANCEL = "CANCEL"


def invitation_message(meeting: Meeting, method: str, first: bool, ics: bytes, _: Translator) -> Message:
    title = meeting_title(meeting, _)
    if method == CANCEL:
        subject = _("Cancelled: {title}", title=title)
        text = _("The KKR meeting {when} is removed from your calendar.", when=meeting_when(meeting, _))
    elif first:
        subject = _("Calendar invitation: {title}", title=title)
        text = _(
            "The KKR meeting {when}, {place}. Your calendar adds it from this invitation.",
            when=meeting_when(meeting, _),
            place=where(meeting),
        )
    else:
        subject = _("Calendar update: {title}", title=title)
        text = _(
            "The KKR meeting is now {when}, {place}. Your calendar updates it from this message.",
            when=meeting_when(meeting, _),
            place=where(meeting),
        )
    document = Document(filename="invite.ics", content=ics, mime_type=f"text/calendar; method={method}")
    return Message(title=subject, text=text, document=document)


async def send_invitations(turn: Turn) -> None:
    settings = turn.settings
    if not (settings.email_enabled and settings.mail_invitations and settings.mail_from):
        return
    conn = turn.conn
    coming = [m for m in await turn.meetings() if m.start > turn.now]
    if not coming:
        return
    roster = await turn.roster()
    ids = {m.id for m in coming}
    wanted: dict[str, set[str]] = {p.id: {m.id for m in coming if not m.cancelled} for p in roster.members}
    for meeting_id, substitute_id in await rows(
        conn,
        "SELECT meeting_id, substitute_id FROM absences WHERE withdrawn_at IS NULL AND closed IS NULL "
        "AND answer = 'accepted' AND substitute_id IS NOT NULL",
    ):
        if meeting_id in ids:
            wanted.setdefault(substitute_id, set()).add(meeting_id)
    sent = {
        (row[0], row[1]): (int(row[2]), str(row[3]), int(row[4]))
        for row in await rows(
            conn, "SELECT person_id, meeting_id, sequence, method, source_sequence FROM mail_invitations"
        )
    }
    for person in roster.people:
        if not person.email:
            continue
        _ = None
        for meeting in coming:
            current = meeting.sequence
            last = sent.get((person.id, meeting.id))
            want = meeting.id in wanted.get(person.id, set())
            if want and (last is None or last[1] == CANCEL or last[2] != current):
                method = REQUEST
            elif not want and last is not None and last[1] == REQUEST:
                method = CANCEL
            else:
                continue
            # The person's calendar must see the SEQUENCE rise with every message after the first.
            sequence = current if last is None else max(current, last[0] + 1)
            _ = _ or await turn.conversation.translator_for(conn, person.id)
            ics = build_calendar(
                [meeting],
                _,
                turn.now,
                invitation=Invitation(method, settings.mail_from, person.email, sequence),
            )
            message = invitation_message(meeting, method, last is None, ics, _)
            await enqueue(conn, EMAIL, person.email, person.id, message, turn.now, Lane.BULK)
            await conn.execute(
                "INSERT INTO mail_invitations (person_id, meeting_id, sequence, method, source_sequence, sent_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (person_id, meeting_id) DO UPDATE SET "
                "sequence = excluded.sequence, method = excluded.method, "
                "source_sequence = excluded.source_sequence, sent_at = excluded.sent_at",
                (person.id, meeting.id, sequence, method, current, utc_text(turn.now)),
            )
