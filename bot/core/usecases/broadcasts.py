"""The secretariat's broadcasts: /udsend makes a draft and shows a preview (text, recipient count, who cannot
be reached) with Send / Cancel; Send queues one message per recipient on the outbox's bulk lane, in one
transaction, once; recipients may press "Set" (seen); the sender gets a delivery report when nothing is left
to deliver; /udsendelser lists them. Publishing an agenda offers the same preview for everyone concerned.

Nothing here talks to a channel: the CLI (`kkrbot broadcast`) uses the same functions against the running
bot's database, and the bot's outbox worker sends what they queue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import aiosqlite

from bot.core.commands import is_number
from bot.core.dates import looks_like_date
from bot.core.messages import Notification
from bot.core.turn import Turn, _p, display_name
from bot.core.usecases.general import main_menu
from bot.core.usecases.meetings import (
    PDF,
    agenda_document,
    cancelled_agenda_text,
    meeting_by_id,
    meeting_choices,
    meeting_from_words,
    meeting_when,
)
from bot.core.usecases.people import SUFFIXES, fold, named_group
from bot.core.usecases.period import told_council, unloaded_council_text
from bot.delivery.message import Button, Document, Message
from bot.delivery.outbox import Lane, enqueue
from bot.i18n import Translator
from bot.storage import broadcasts as store
from bot.storage.absences import Answer, active_absences_for
from bot.storage.agendas import latest_agenda
from bot.storage.documents import store_document
from bot.storage.roster import Person, Role, Roster
from kkrcore.meetings import upcoming_meetings
from kkrcore.models import Dataset, Meeting

if TYPE_CHECKING:
    from bot.core.conversation import Conversation

# Telegram's limits: a bot uploads at most 50 MB and fetches (getFile) at most 20 MB.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024

MEMBERS = ("members", "medlemmer")
ALL = ("all", "alle")
SUBSTITUTES = ("substitutes", "stedfortraedere", "stedfortrædere")
ACK = ("ack", "set", "seen", "kvittering")
# The audience of an agenda's broadcast (concerned_by_meeting), stored as this key and worded for each reader.
ATTENDING = "attending"
# Drafts made before the key was stored kept the words of the sender's language.
_ATTENDING_WORDED = ("members and substitutes who attend", "medlemmer og stedfortrædere, der deltager")
RECENT = 10


class AudienceError(ValueError):
    """The audience names nobody the roster knows; the message is the unknown word."""


def canonical_audience(audience: str, dataset: Dataset) -> str:
    """The audience as stored and shown: each comma-separated part read as /medlemmer reads it ("aalborg
    kommune" is Aalborg, "Venstre" is V), each once ("A,a" is A)."""
    parts: list[str] = []
    for part in (part.strip() for part in audience.split(",")):
        keyword = part.lower() in (*MEMBERS, *ALL, *SUBSTITUTES)
        group = None if keyword or not part else named_group(part, dataset)
        word = group[1] if group else part
        if word and word.lower() not in (p.lower() for p in parts):
            parts.append(word)
    return ",".join(parts)


def select_audience(
    roster: Roster,
    audience: str,
    *,
    municipality: str | None = None,
    party: str | None = None,
    dataset: Dataset | None = None,
) -> list[Person]:
    """Members, members and substitutes, substitutes, a municipality's or a party's members, or named people, and
    several of these with commas ("A,V", "Aalborg,a-medlem-2"); narrowed by municipality and party when given. The
    secretariat is never an audience. With the data set, parts are read as /medlemmer reads them, and a party
    of the period without members ("M") is an empty audience rather than an unknown word."""
    people = [p for p in roster.people if p.role is not Role.SECRETARIAT]
    letters = {party.letter.lower() for party in dataset.parties} if dataset else set()
    if dataset is not None:
        audience = canonical_audience(audience, dataset)

    def known(value: str, field: str) -> str:
        if not any((getattr(p, field) or "").lower() == value.lower() for p in people):
            raise AudienceError(value)
        return value.lower()

    def one(part: str) -> list[Person]:
        word = part.lower()
        if word in MEMBERS:
            return [p for p in people if p.role is Role.MEMBER]
        if word in ALL:
            return people
        if word in SUBSTITUTES:
            return [p for p in people if p.role is Role.SUBSTITUTE]
        if any((p.municipality or "").lower() == word for p in people):
            return [p for p in people if p.role is Role.MEMBER and (p.municipality or "").lower() == word]
        if any((p.party or "").lower() == word for p in people):
            return [p for p in people if p.role is Role.MEMBER and (p.party or "").lower() == word]
        if part in roster.by_id and roster.by_id[part].role is not Role.SECRETARIAT:
            return [roster.by_id[part]]
        if word in letters:
            return []
        raise AudienceError(part)

    parts = [part.strip() for part in audience.split(",") if part.strip()]
    if not parts:
        raise AudienceError(audience)
    chosen = list({person.id: person for part in parts for person in one(part)}.values())
    if municipality is not None:
        wanted = known(municipality, "municipality")
        chosen = [p for p in chosen if (p.municipality or "").lower() == wanted]
    if party is not None:
        wanted = known(party, "party")
        chosen = [p for p in chosen if (p.party or "").lower() == wanted]
    return chosen


async def concerned_by_meeting(conn: aiosqlite.Connection, roster: Roster, meeting_id: str) -> list[Person]:
    """Everyone a meeting concerns: the members, and the substitutes who accepted to attend in their place."""
    accepted = {
        a.substitute_id
        for a in await active_absences_for(conn, meeting_id)
        if a.answer is Answer.ACCEPTED and a.substitute_id
    }
    return [p for p in roster.people if p.role is Role.MEMBER or p.id in accepted]


async def make_draft(
    conn: aiosqlite.Connection,
    conversation: Conversation,
    people: Sequence[Person],
    *,
    sender_id: str | None,
    now: datetime,
    audience: str,
    text: str,
    meeting_id: str | None = None,
    ack: bool = False,
    document: Document | None = None,
    kind: str | None = None,
) -> int:
    """A draft for `people`. A document's bytes (a PDF from the command line) are stored once, for all of
    them; a document Telegram already has (sent to the bot) is kept by its file_id."""
    recipients = {p.id: await conversation.router.routes(conn, p.id) for p in people}
    document_id = None
    if document is not None and document.content:
        document_id = await store_document(conn, document.filename, document.mime_type, document.content, now)
    return await store.create_broadcast(
        conn,
        sender_id=sender_id,
        audience=audience,
        meeting_id=meeting_id,
        text=text,
        ack=ack,
        now=now,
        document_file_id=document.file_id if document else None,
        document_name=document.filename if document else None,
        document_id=document_id,
        recipients=recipients,
        kind=kind,
    )


def audience_text(audience: str, roster: Roster, _: Translator) -> str:
    """The stored audience in the reader's words: the key words as words, person ids as names; the command
    line's "members Aalborg A" as the audience narrowed by municipality and party."""
    if audience == ATTENDING or audience in _ATTENDING_WORDED:
        return _("members and substitutes who attend")
    people = [p for p in roster.people if p.role is not Role.SECRETARIAT]

    def narrowing(word: str) -> str | None:
        lower = word.lower()
        if lower in MEMBERS:
            return _("members")
        if lower in ALL:
            return _("members and substitutes")
        if lower in SUBSTITUTES:
            return _("substitutes")
        if municipality := next((p.municipality for p in people if (p.municipality or "").lower() == lower), None):
            return _("the members from {municipality}", municipality=municipality)
        if party := next((p.party for p in people if (p.party or "").lower() == lower), None):
            return _("the members of party {party}", party=party)
        return None

    words = audience.split()
    worded = [narrowing(w) for w in words]
    if words and all(w is not None for w in worded):
        return ", ".join(w for w in worded if w is not None)
    parts = [part.strip() for part in audience.split(",") if part.strip()]
    named = [narrowing(part) or (_name(roster, part, _) if part in roster.by_id else None) for part in parts]
    if parts and all(n is not None for n in named):
        return ", ".join(n for n in named if n is not None)
    return audience


def broadcast_text(broadcast: store.Broadcast, meetings: Sequence[Meeting], _: Translator) -> str:
    """What the recipient reads: the secretariat's text as written, after the bot's own heading (an agenda's
    release or change) in the reader's language."""
    meeting = meeting_by_id(meetings, broadcast.meeting_id) if broadcast.meeting_id else None
    if broadcast.kind not in (store.AGENDA, store.AGENDA_CHANGED) or meeting is None:
        return broadcast.text
    when = meeting_when(meeting, _)
    heading = (
        _("The agenda for the meeting {when} has changed.", when=when)
        if broadcast.kind == store.AGENDA_CHANGED
        else _("The agenda for the meeting {when}.", when=when)
    )
    return heading + ("\n\n" + broadcast.text if broadcast.text else "")


def broadcast_message(
    broadcast: store.Broadcast, meetings: Sequence[Meeting], _: Translator, *, reminder: bool = False
) -> Message:
    buttons: list[Button] = []
    if broadcast.ack:
        buttons.append(Button(label=_("Seen"), action=f"seen {broadcast.number}"))
    if broadcast.meeting_id:
        buttons.append(Button(label=_("Show the meeting"), action=f"meetings {broadcast.meeting_id}"))
    document = None
    if broadcast.document_name:
        document = Document(
            filename=broadcast.document_name,
            content=broadcast.document_content or b"",
            file_id=broadcast.document_file_id,
            stored_id=broadcast.document_id,
            mime_type=PDF,
        )
    return Message(
        title=_("Reminder: message from the KKR secretariat") if reminder else _("Message from the KKR secretariat"),
        text=broadcast_text(broadcast, meetings, _),
        buttons=(tuple(buttons),) if buttons else (),
        document=document,
    )


async def send(
    conn: aiosqlite.Connection,
    conversation: Conversation,
    broadcast_id: int,
    now: datetime,
    meetings: Sequence[Meeting],
) -> bool:
    """Queues the broadcast for every reachable recipient on the bulk lane, in the caller's transaction;
    False if it was already sent or cancelled (so Send pressed twice sends once). `meetings` is the plan the
    bot's own heading names the meeting from."""
    if not await store.claim(conn, broadcast_id, "sent_at", now):
        return False
    broadcast = await store.get_broadcast(conn, broadcast_id)  # with the number it was given
    assert broadcast is not None
    routes = await store.routes_of(conn, broadcast_id)
    await _queue(conn, conversation, broadcast, routes, now, meetings, reminder=False)
    return True


async def _queue(
    conn: aiosqlite.Connection,
    conversation: Conversation,
    broadcast: store.Broadcast,
    routes: Sequence[tuple[str, str, str]],
    now: datetime,
    meetings: Sequence[Meeting],
    *,
    reminder: bool,
) -> None:
    """One message per route, each composed in its recipient's language."""
    translators: dict[str, Translator] = {}
    for person_id, channel, address in routes:
        if person_id not in translators:
            translators[person_id] = await conversation.translator_for(conn, person_id)
        message = broadcast_message(broadcast, meetings, translators[person_id], reminder=reminder)
        await enqueue(conn, channel, address, person_id, message, now, Lane.BULK)
        if not reminder:
            await store.set_outbox_row(conn, broadcast.id, person_id, channel, address)


def counts_line(counts: store.Counts, translator: Translator) -> str:
    return _p(
        translator,
        "{count} recipient: {delivered} delivered, {failed} failed, {pending} pending, {acknowledged} seen",
        "{count} recipients: {delivered} delivered, {failed} failed, {pending} pending, {acknowledged} seen",
        counts.recipients,
        delivered=counts.delivered,
        failed=counts.failed,
        pending=counts.pending,
        acknowledged=counts.acknowledged,
    )


def email_line(count: int, translator: Translator) -> str:
    """For e-mail, delivered means handed to the mail server: what happens after that, the bot cannot see."""
    return _p(
        translator,
        "{count} of them by e-mail: handed to the mail server (bounces and replies are not read).",
        "{count} of them by e-mail: handed to the mail server (bounces and replies are not read).",
        count,
    )


def reason_text(reason: str | None, _: Translator) -> str:
    if reason == store.NOT_BOUND:
        return _("not connected to the bot")
    if reason == store.BLOCKED:
        return _("has blocked the bot")
    return reason or "?"


async def report_text(conn: aiosqlite.Connection, broadcast: store.Broadcast, roster: Roster, _: Translator) -> str:
    states = await store.recipient_states(conn, broadcast.id)
    counts = store.count(states)
    lines = [counts_line(counts, _)]
    if by_email := await store.delivered_by_email(conn, broadcast.id):
        lines.append(email_line(by_email, _))
    failed = [s for s in states if s.state is store.State.FAILED]
    if failed:
        lines.append("")
        lines.append(_("Not delivered:"))
        lines.extend(f"• {_name(roster, s.person_id, _)}: {reason_text(s.reason, _)}" for s in failed)
    if broadcast.ack:
        unseen = [s for s in states if s.state in (store.State.DELIVERED, store.State.PENDING)]
        if unseen:
            lines.append("")
            lines.append(_("Not yet seen:"))
            lines.extend(f"• {name}" for name in sorted(_name(roster, s.person_id, _) for s in unseen))
    return "\n".join(lines)


def _name(roster: Roster, person_id: str, _: Translator) -> str:
    person = roster.by_id.get(person_id)
    return display_name(person, _) if person else person_id


def _excerpt(text: str, limit: int = 60) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= limit else first[: limit - 1] + "…"


# --- the chat -------------------------------------------------------------------------------------------


def usage(_: Translator) -> str:
    return _(
        "Write /udsend AUDIENCE and the message after it. The audience is medlemmer (members), alle (members "
        "and substitutes), stedfortraedere (substitutes), a municipality, a party letter, or person ids with "
        "commas. To tie the message to a meeting or ask for a Seen button, put the meeting's date and 'set' "
        "after the audience with nothing else on that line, and the message on the lines below; anything else "
        "after the audience is the message, as written. For example:\n/udsend medlemmer 12.02.2027 set\n"
        "Remember the group meetings from 8.30.\nA PDF can be sent with /udsend AUDIENCE as its caption."
    )


def read_options(options: Sequence[str], below: str, after_audience: str) -> tuple[list[str], bool, str]:
    """The rule a secretary cannot trip over: the words after the audience on the first line are options (a
    meeting's date, 'set') only when every one of them is, and the message is then the lines `below`;
    otherwise everything `after_audience` is the message as written, so no word of it is taken for an option.
    Gives the date's words, whether to ask for Seen, and the message."""
    date_words = [w for w in options if w.lower() not in ACK]
    if options and (not date_words or looks_like_date(" ".join(date_words))):
        return date_words, len(date_words) < len(options), below.strip()
    return [], False, after_audience.strip()


async def broadcast_case(turn: Turn) -> None:
    """/udsend AUDIENCE [DATE] [set] + text; and the buttons: broadcast send|cancel|remind ID."""
    _ = turn._
    assert turn.person is not None
    args = turn.args
    if len(args) == 2 and args[0] in ("send", "cancel", "remind") and is_number(args[1]):
        await _button(turn, args[0], int(args[1]))
        return
    if len(args) == 2 and args[0] == "agenda":
        await offer_agenda(turn, args[1])
        return
    if len(args) == 3 and args[0] == "meeting" and is_number(args[1]):
        await _tie_to_meeting(turn, int(args[1]), args[2])
        return
    if not args:
        turn.reply(usage(_), title=_("Broadcast"), buttons=[[turn.button(_("Recent broadcasts"), "broadcasts")]])
        return
    first_line, _newline, below = turn.text_after(0).partition("\n")
    words = first_line.split()
    # "aalborg kommune": a suffix word belongs to the audience before it, as in /medlemmer (issue 23).
    taken = 1
    while taken < len(words) and fold(words[taken].split(",")[0]) in SUFFIXES:
        taken += 1
    audience = canonical_audience(" ".join(words[:taken]), turn.dataset)
    date_words, ack, text = read_options(words[taken:], below, turn.text_after(taken))
    attachment = turn.request.attachment
    if not text and attachment is None:
        turn.reply(
            _("The message is empty.") + "\n\n" + usage(_),
            buttons=[[turn.button(_("Recent broadcasts"), "broadcasts")]],
        )
        return
    document = None
    if attachment is not None:
        if attachment.mime_type != PDF and not attachment.filename.lower().endswith(".pdf"):
            turn.reply(_("Only a PDF can be sent as a broadcast's document. Send it again as a PDF."))
            return
        if attachment.size is not None and attachment.size > MAX_DOWNLOAD_BYTES:
            turn.reply(
                _(
                    "The document is too big for Telegram ({size} MB; at most {limit} MB). "
                    "Send a smaller PDF, or a link to it in the text.",
                    size=attachment.size // (1024 * 1024),
                    limit=MAX_DOWNLOAD_BYTES // (1024 * 1024),
                )
            )
            return
        document = Document(filename=attachment.filename, file_id=attachment.file_id, mime_type=PDF)
    roster = await turn.roster()
    try:
        people = select_audience(roster, audience, dataset=turn.dataset)
    except AudienceError as error:
        turn.reply(
            _(
                "I do not know “{word}” as an audience. Use medlemmer, alle, stedfortraedere, a municipality, "
                "a party letter or person ids, several with commas (see /medlemmer).",
                word=str(error),
            ),
            buttons=[[turn.button(_("Members"), "members")]],
        )
        return
    if not people:  # a party of the period without members ("M"): say so, not that nobody is connected
        turn.reply(
            _(
                "Nobody is in the audience “{audience}”: it has no members in this period. {members} shows who is.",
                audience=audience,
                members=turn.command("members"),
            ),
            buttons=[[turn.button(_("Members"), "members")]],
        )
        return
    broadcast_id = await make_draft(
        turn.conn,
        turn.conversation,
        people,
        sender_id=turn.person.id,
        now=turn.now,
        audience=audience,
        text=text,
        ack=ack,
        document=document,
    )
    if date_words:
        # The date is read after the draft exists, so the refusal's meeting buttons continue this draft.
        meetings = await turn.meetings()
        found = await meeting_from_words(
            turn,
            f"broadcast meeting {broadcast_id}",
            date_words,
            upcoming_meetings(meetings, turn.now),
            example=f"{turn.command('broadcast')} {audience}",
        )
        if found is None:
            return
        await store.set_meeting(turn.conn, broadcast_id, found[0].id)
    await preview(turn, broadcast_id)


async def _tie_to_meeting(turn: Turn, broadcast_id: int, meeting_id: str) -> None:
    """A meeting chosen from the buttons after the draft's date could not be read: the draft's preview."""
    _ = turn._
    meetings = await turn.meetings()
    if meeting_by_id(meetings, meeting_id) is None:
        turn.reply(_("Choose a meeting:"), buttons=meeting_choices(turn, f"broadcast meeting {broadcast_id}", meetings))
        return
    if not await store.set_meeting(turn.conn, broadcast_id, meeting_id):
        broadcast = await store.get_broadcast(turn.conn, broadcast_id)
        turn.reply(
            settled_text(broadcast, _) if broadcast else _("I cannot find that broadcast."),
            buttons=[[turn.button(_("Recent broadcasts"), "broadcasts")]],
        )
        return
    await preview(turn, broadcast_id)


async def preview(turn: Turn, broadcast_id: int) -> None:
    """What will go out, to how many, and who will not get it; nothing is queued before Send."""
    _ = turn._
    broadcast = await store.get_broadcast(turn.conn, broadcast_id)
    assert broadcast is not None
    roster = await turn.roster()
    states = await store.recipient_states(turn.conn, broadcast_id)
    unreachable = [s for s in states if s.state is store.State.FAILED]
    blocked = await store.blocked_people(turn.conn, [s.person_id for s in states])
    reachable = len(states) - len(unreachable)
    if reachable == 0:
        await turn.conn.execute("DELETE FROM broadcasts WHERE id = ?", (broadcast_id,))
        turn.reply(
            _(
                "Nobody in that audience is connected to the bot, so nothing can be sent. "
                "Invite them with /inviter first."
            ),
            buttons=[[turn.button(_("Invite links"), "invite")]],
        )
        return
    audience = audience_text(broadcast.audience, roster, _)
    lines = [_p(turn, "To: {audience}, {count} recipient.", "To: {audience}, {count} recipients.", len(states),
                audience=audience)]  # fmt: skip
    meetings = await turn.meetings()
    if broadcast.meeting_id:
        meeting = meeting_by_id(meetings, broadcast.meeting_id)
        if meeting:
            lines.append(_("About the meeting {when}.", when=meeting_when(meeting, _)))
    if broadcast.ack:
        lines.append(_("Recipients are asked to press “Seen”."))
    if broadcast.document_name:
        lines.append(_("Document: {name}", name=broadcast.document_name))
    lines.append("")
    lines.append(broadcast_text(broadcast, meetings, _))
    if unreachable or blocked:
        lines.append("")
        lines.append(_("Cannot be reached ({count}):", count=len(unreachable) + len(blocked)))
        lines.extend(f"• {_name(roster, s.person_id, _)}: {reason_text(s.reason, _)}" for s in unreachable)
        lines.extend(f"• {_name(roster, p, _)}: {reason_text(store.BLOCKED, _)}" for p in sorted(blocked))
    turn.reply(
        "\n".join(lines),
        title=_("Preview of the broadcast"),
        buttons=[
            [
                turn.button(_("Send to {count}", count=reachable), f"broadcast send {broadcast_id}"),
                turn.button(_("Cancel"), f"broadcast cancel {broadcast_id}"),
            ]
        ],
    )


def settled_text(broadcast: store.Broadcast, _: Translator) -> str:
    """A draft's button pressed after it was sent (named by its number) or cancelled (a draft has no number)."""
    if broadcast.sent_at is not None:
        return _("Broadcast {id} was already sent; nothing more is sent.", id=broadcast.number)
    return _("The broadcast was already cancelled; nothing was sent.")


def show_button(turn: Turn, broadcast: store.Broadcast) -> list[list[Button]]:
    """A sent broadcast's button to its detail; a cancelled draft has nothing to show."""
    if broadcast.number is None or broadcast.sent_at is None:
        return [[turn.button(turn._("Recent broadcasts"), "broadcasts")]]
    return [[turn.button(turn._("Show the broadcast"), f"broadcasts {broadcast.number}")]]


async def _button(turn: Turn, action: str, broadcast_id: int) -> None:
    """Send and Cancel carry the draft's id; Remind, of a sent broadcast, its number."""
    _ = turn._
    find = store.broadcast_by_number if action == "remind" else store.get_broadcast
    broadcast = await find(turn.conn, broadcast_id)
    if broadcast is None:
        turn.reply(_("I cannot find that broadcast."), buttons=[[turn.button(_("Recent broadcasts"), "broadcasts")]])
        return
    if action == "send":
        tied = meeting_by_id(await turn.meetings(), broadcast.meeting_id or "")
        if broadcast.kind in (store.AGENDA, store.AGENDA_CHANGED) and tied is not None and tied.cancelled:
            await store.claim(turn.conn, broadcast_id, "cancelled_at", turn.now)
            turn.reply(cancelled_agenda_text(tied, _))
            return
        if await send(turn.conn, turn.conversation, broadcast_id, turn.now, await turn.meetings()):
            count = len({p for p, _c, _a in await store.routes_of(turn.conn, broadcast_id)})
            sent = await store.get_broadcast(turn.conn, broadcast_id)
            assert sent is not None
            turn.reply(
                _p(
                    turn,
                    "Broadcast {id} is being sent to {count} recipient. You get a report when it is done.",
                    "Broadcast {id} is being sent to {count} recipients. You get a report when it is done.",
                    count,
                    id=sent.number,
                ),
                buttons=show_button(turn, sent),
            )
        else:
            turn.reply(settled_text(broadcast, _), buttons=show_button(turn, broadcast))
        return
    if action == "cancel":
        if await store.claim(turn.conn, broadcast_id, "cancelled_at", turn.now):
            turn.reply(_("The broadcast is cancelled; nothing was sent."))
        else:
            turn.reply(settled_text(broadcast, _), buttons=show_button(turn, broadcast))
        return
    await remind(turn, broadcast)


async def remind(turn: Turn, broadcast: store.Broadcast) -> None:
    """Once per broadcast: those who have not pressed Seen get it again."""
    _ = turn._
    if not broadcast.ack or broadcast.sent_at is None:
        turn.reply(_("That broadcast did not ask for “Seen”."))
        return
    if not await store.mark(turn.conn, broadcast.id, "reminded_at", turn.now):
        turn.reply(_("The reminder for broadcast {id} was already sent.", id=broadcast.number))
        return
    states = {s.person_id: s for s in await store.recipient_states(turn.conn, broadcast.id)}
    routes = [r for r in await store.routes_of(turn.conn, broadcast.id) if states[r[0]].state is store.State.DELIVERED]
    await _queue(turn.conn, turn.conversation, broadcast, routes, turn.now, await turn.meetings(), reminder=True)
    turn.reply(_("Reminded {count} who have not pressed “Seen”.", count=len({r[0] for r in routes})))


async def seen_case(turn: Turn) -> None:
    """A recipient's "Seen"."""
    _ = turn._
    assert turn.person is not None
    if len(turn.args) != 1 or not is_number(turn.args[0]):
        turn.reply(_("I cannot find that broadcast."))
        return
    await store.acknowledge(turn.conn, int(turn.args[0]), turn.person.id, turn.now)
    turn.reply(_("Thank you, the secretariat can see that you have seen it."), buttons=main_menu(turn))


async def broadcasts_case(turn: Turn) -> None:
    """/udsendelser: the recent broadcasts with their counts; with an id, one in detail."""
    _ = turn._
    roster = await turn.roster()
    if turn.args and is_number(turn.args[0]):
        broadcast = await store.broadcast_by_number(turn.conn, int(turn.args[0]))
        if broadcast is None:
            turn.reply(
                _("I cannot find that broadcast."), buttons=[[turn.button(_("Recent broadcasts"), "broadcasts")]]
            )
            return
        if broadcast.sent_at is None:  # only those numbered before numbers were given when sent
            # A cancelled broadcast, or a preview still waiting: nobody is waiting for it, so no recipients are shown.
            unsent = (
                _("Broadcast {id} was cancelled; nothing was sent.", id=broadcast.number)
                if broadcast.cancelled_at is not None
                else _("Broadcast {id} has not been sent: its preview waits for Send or Cancel.", id=broadcast.number)
            )
            turn.reply(
                unsent + "\n\n" + broadcast_text(broadcast, await turn.meetings(), _),
                title=_("Broadcast {id}", id=broadcast.number),
                buttons=[[turn.button(_("Recent broadcasts"), "broadcasts")]],
            )
            return
        states = await store.recipient_states(turn.conn, broadcast.id)
        names = {
            store.State.ACKNOWLEDGED: _("seen"),
            store.State.DELIVERED: _("delivered"),
            store.State.PENDING: _("pending"),
            store.State.FAILED: _("not delivered"),
        }
        text = broadcast_text(broadcast, await turn.meetings(), _)
        lines = [await report_text(turn.conn, broadcast, roster, _), "", text, ""]
        for state in states:
            reason = f" ({reason_text(state.reason, _)})" if state.reason else ""
            lines.append(f"{_name(roster, state.person_id, _)}: {names[state.state]}{reason}")
        buttons = []
        if broadcast.ack and broadcast.reminded_at is None and broadcast.sent_at is not None:
            buttons.append(
                [turn.button(_("Remind those who have not seen it"), f"broadcast remind {broadcast.number}")]
            )
        turn.reply("\n".join(lines), title=_("Broadcast {id}", id=broadcast.number), buttons=buttons)
        return
    recent = await store.recent_broadcasts(turn.conn, RECENT)
    lines = []
    if turn.args:
        lines.append(
            _(
                "I did not understand “{text}”: write {command} with a broadcast's number from the list, or "
                "press its button.",
                text=turn.text_after(0),
                command=turn.command("broadcasts"),
            )
        )
        lines.append("")
    if not recent:
        turn.reply(
            "\n".join([*lines, _("No broadcasts have been sent yet.")]),
            buttons=[[turn.button(_("Broadcast"), "broadcast")]],
        )
        return
    meetings = await turn.meetings()
    labels = {}
    for broadcast in recent:
        states = await store.recipient_states(turn.conn, broadcast.id)
        counts = store.count(states)
        assert broadcast.sent_at is not None
        excerpt = _excerpt(broadcast_text(broadcast, meetings, _))
        labels[broadcast.id] = f"{broadcast.number}. {_.short_date(broadcast.sent_at)} {_excerpt(excerpt, 28)}"
        tied = meeting_by_id(meetings, broadcast.meeting_id) if broadcast.meeting_id else None
        meeting = " " + _("(meeting {date})", date=_.short_date(tied.start)) if tied else ""
        lines.append(
            f"{broadcast.number}. {_.short_date(broadcast.sent_at)} {audience_text(broadcast.audience, roster, _)}"
            f"{meeting}: {excerpt}\n"
            f"   {counts_line(counts, _)}"
        )
    turn.reply(
        "\n".join(lines),
        title=_("Recent broadcasts"),
        buttons=[[turn.button(labels[b.id], f"broadcasts {b.number}")] for b in recent[:8]],
    )


async def offer_agenda(turn: Turn, meeting_id: str) -> None:
    """After an agenda is published or changed: a draft to everyone concerned, with the document and a button
    to the meeting, shown as a preview."""
    _ = turn._
    assert turn.person is not None
    meeting = meeting_by_id(await turn.meetings(), meeting_id)
    agenda = await latest_agenda(turn.conn, meeting_id)
    if meeting is None or agenda is None:
        turn.reply(_("There is no agenda to send for that meeting."))
        return
    if meeting.cancelled:
        turn.reply(cancelled_agenda_text(meeting, _), buttons=[[turn.button(_("Next meeting"), "next")]])
        return
    roster = await told_council(turn, meeting)  # R-PER-1: the council that meets (a loaded next one's)
    if roster is None:
        turn.reply(unloaded_council_text(_), buttons=[[turn.button(_("Show the meeting"), f"meetings {meeting.id}")]])
        return
    people = await concerned_by_meeting(turn.conn, roster, meeting.id)
    broadcast_id = await make_draft(
        turn.conn,
        turn.conversation,
        people,
        sender_id=turn.person.id,
        now=turn.now,
        audience=ATTENDING,
        text=agenda.text,
        meeting_id=meeting.id,
        document=agenda_document(agenda),
        kind=store.AGENDA_CHANGED if agenda.updated else store.AGENDA,
    )
    await preview(turn, broadcast_id)


# --- on every tick -------------------------------------------------------------------------------------


async def report_finished(turn: Turn, outbox_ids: Sequence[int] | None = None) -> None:
    """The sender's delivery report, once, when a broadcast has nothing left to deliver: from the outbox, in the
    transaction that marks a broadcast's last message sent or given up (`outbox_ids`, the rows it marks); and on
    every tick, for any the outbox did not report (every row set aside as it was queued, a channel without the
    hook, or a hook that failed and left the sent mark alone)."""
    found = await store.finished_unreported(turn.conn, outbox_ids)
    if not found:
        return
    roster = await turn.roster()
    for broadcast_id in found:
        if not await store.mark(turn.conn, broadcast_id, "reported_at", turn.now):
            continue
        broadcast = await store.get_broadcast(turn.conn, broadcast_id)
        assert broadcast is not None
        if broadcast.sender_id is None or broadcast.sender_id not in roster.by_id:
            continue
        _ = await turn.conversation.translator_for(turn.conn, broadcast.sender_id)
        text = await report_text(turn.conn, broadcast, roster, _)
        buttons: list[Button] = [Button(label=_("Show the broadcast"), action=f"broadcasts {broadcast.number}")]
        if broadcast.ack:
            buttons.append(
                Button(label=_("Remind those who have not seen it"), action=f"broadcast remind {broadcast.number}")
            )
        turn.outcome.notifications.append(
            Notification(
                person_id=broadcast.sender_id,
                message=Message(
                    title=_("Broadcast {id} is done", id=broadcast.number), text=text, buttons=(tuple(buttons),)
                ),
            )
        )
