"""The next meeting, all meetings of the period, and the meetings as an iCalendar file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from babel.dates import get_month_names

from bot.core.dates import impossible_date, month_number, parse_date, read_date
from bot.core.turn import Turn, capitalised, quoted
from bot.core.usecases.period import (
    current_period_meetings,
    ended_note,
    in_loaded_period,
    member_at,
    no_meetings_text,
    unloaded_council_text,
)
from bot.core.usecases.standing import answer_buttons, meeting_marks, standing_of
from bot.delivery.message import Button, Document
from bot.i18n import Translator
from bot.storage.agendas import Agenda, add_agenda_version, latest_agenda
from bot.storage.roster import Role
from kkrcore.days import municipal_election_date
from kkrcore.meetings import next_meeting, upcoming_meetings
from kkrcore.models import Meeting, MeetingKind

MEETINGS_OFFERED = 5


def local_today(turn: Turn) -> date:
    return turn.now.astimezone(turn.settings.tz).date()


def meeting_by_id(meetings: Sequence[Meeting], meeting_id: str) -> Meeting | None:
    return next((m for m in meetings if m.id == meeting_id), None)


def meeting_on(meetings: Sequence[Meeting], day: date) -> Meeting | None:
    """The meeting held that day; else one cancelled that day (the KKR meets at most once a day, R-MEET-1)."""
    that_day = sorted((m for m in meetings if m.start.date() == day), key=lambda m: m.cancelled)
    return that_day[0] if that_day else None


def meeting_days(meetings: Sequence[Meeting]) -> list[date]:
    """The days a date without a year may name: each meeting's day, and a moved meeting's planned day (its id),
    so "23.04" after the meeting of 23 April was moved still names it, not 23 April a year later."""
    return [m.start.date() for m in meetings] + [date.fromisoformat(m.id) for m in meetings if is_moved(m)]


def meeting_named(meetings: Sequence[Meeting], text: str, today: date | None = None) -> Meeting | None:
    """The meeting `text` names: its id (as buttons write it: the planned date, `DATE-extra` for an extra
    meeting), or the day it is held, read by the one date parser. Without `today` (the command line) it is
    the machine's date."""
    if found := meeting_by_id(meetings, text.strip()):
        return found
    day = parse_date(text, today or date.today(), meeting_days(meetings))
    if day is None:
        return None
    # A moved meeting is also known by the day it was planned for, its id (issue 23).
    return meeting_on(meetings, day) or meeting_by_id(meetings, day.isoformat())


def meeting_choices(turn: Turn, command: str, meetings: Sequence[Meeting]) -> list[list[Button]]:
    """The meetings to choose from, one button each, as `command MEETING-ID`; for /afbud, whose picker pages,
    "More meetings" when there are more (also after a date it could not use, issue 23)."""
    buttons = [[turn.button(turn._.short_date(m.start), f"{command} {m.id}")] for m in meetings[:MEETINGS_OFFERED]]
    if command == "absent" and len(meetings) > MEETINGS_OFFERED:
        buttons.append([turn.button(turn._("More meetings"), f"absent more {MEETINGS_OFFERED}")])
    return buttons


def is_moved(meeting: Meeting) -> bool:
    """Held on another day than planned: its id is the day it was planned for (kkrcore.models.Meeting)."""
    return not meeting.extra and meeting.id != meeting.start.date().isoformat()


def is_over(meeting: Meeting, now: datetime) -> bool:
    return meeting.end <= now


def date_attempt(words: Sequence[str]) -> str:
    """The words meant as a date, for quoting them: up to the next word that starts with a digit (the time of
    `/moede flyt 31.02.2027 13:00-15:00 Hjørring`), so "i morgen" stays whole and a time and place stay out; the
    day after a month's name ("feb 31") is the date's own."""
    end = next(
        (i for i, word in enumerate(words[1:], 1) if word[:1].isdigit() and month_number(words[i - 1]) is None),
        len(words),
    )
    return " ".join(words[:end])


def no_such_date(problem: tuple[int, int, int | None], _: Translator) -> str:
    """What is wrong with a date that does not exist: "31. februar 2027 findes ikke." """
    day, month, year = problem
    if not 1 <= month <= 12:
        return _("There is no month {month}; a year has 12.", month=month)
    name = get_month_names("wide", locale=_.language)[month]
    if year is None:
        return _("{day}. {month} does not exist.", day=day, month=name)
    return _("{day}. {month} {year} does not exist.", day=day, month=name, year=year)


async def meeting_from_words(
    turn: Turn, command: str, words: Sequence[str], choices: Sequence[Meeting], *, example: str | None = None
) -> tuple[Meeting, tuple[str, ...]] | None:
    """The meeting the date at the start of `words` names, and the words after the date; or None after the one
    answer every command gives (what was wrong, and the `choices` as buttons), whatever the command.

    The buttons' payloads name a meeting by its id, which reads as its planned date (or `DATE-extra`).
    `example` is how the command is written before the date in the answer's example, when that is more than the
    command itself."""
    _ = turn._
    meetings = await turn.meetings()
    buttons = meeting_choices(turn, command, choices)
    if words and (by_id := meeting_by_id(meetings, words[0])):
        return by_id, tuple(words[1:])
    day, used = read_date(words, local_today(turn), meeting_days(meetings))
    if day is None:
        written = example or turn.command(command)
        problem = impossible_date(date_attempt(words)) if words else None
        turn.reply(
            no_such_date(problem, _)
            + " "
            + _("Write for example {command} 12.02, or choose a meeting.", command=written)
            if problem
            else _(
                "I cannot read “{text}” as a date. Write for example {command} 12.02, or choose a meeting.",
                text=quoted(date_attempt(words)),
                command=written,
            )
            if words
            else _("Which meeting? Write for example {command} 12.02, or choose one.", command=written),
            buttons=buttons,
        )
        return None
    # A moved meeting is also known by the day it was planned for, its id (issue 23).
    meeting = meeting_on(meetings, day) or meeting_by_id(meetings, day.isoformat())
    if meeting is None:
        if day < meetings[0].start.date() or day > meetings[-1].start.date():
            text = capitalised(
                _(
                    "{date} is outside the period {period}; I only know this period's meetings.",
                    date=_.date(day),
                    period=turn.dataset.period,
                )
            )
        else:
            text = _("There is no KKR meeting on {date}.", date=_.date(day))
        turn.reply(text + (" " + _("Choose a meeting:") if buttons else ""), buttons=buttons)
        return None
    return meeting, tuple(words[used:])


def meeting_title(meeting: Meeting, _: Translator) -> str:
    if meeting.kind is MeetingKind.CONSTITUENT:
        return _("Constituent meeting of KKR Nordjylland")
    if meeting.extra:
        return _("Extra meeting of KKR Nordjylland")
    return _("Meeting of KKR Nordjylland")


def meeting_when(meeting: Meeting, _: Translator) -> str:
    return _(
        "{date}, {start}–{end}",
        date=_.date(meeting.start),
        start=_.time(meeting.start),
        end=_.time(meeting.end),
    )


def agenda_lines(agenda: Agenda | None, _: Translator, *, held: bool) -> list[str]:
    """The latest version, as written; marked updated, with the time, when it changed after publication. A meeting
    already held without one had none sent through the bot, rather than one still to come."""
    if agenda is None:
        return [_("No agenda was sent out through the bot.") if held else _("The agenda has not been sent out yet.")]
    if agenda.updated:
        heading = _(
            "Agenda (updated {date} at {time}):", date=_.date(agenda.changed_at), time=_.time(agenda.changed_at)
        )
    else:
        heading = _("Agenda:")
    lines = [heading]
    if agenda.text:
        lines.append(agenda.text)
    if agenda.document_name:
        lines.append(_("The agenda document: {name}", name=agenda.document_name))
    return lines


def agenda_document(agenda: Agenda | None) -> Document | None:
    if agenda is None or not agenda.document_file_id:
        return None
    return Document(
        filename=agenda.document_name or "agenda.pdf", file_id=agenda.document_file_id, mime_type="application/pdf"
    )


def describe_meeting(meeting: Meeting, _: Translator, agenda: Agenda | None, now: datetime) -> str:
    place = f"{meeting.place}, {meeting.address}" if meeting.address else meeting.place
    lines = [_("This meeting is cancelled.")] if meeting.cancelled else []
    lines += [meeting_when(meeting, _), _("Place: {place}", place=place)]
    if meeting.group_meetings_start and meeting.group_meetings_end:
        lines.append(
            _(
                "Party group meetings can be held {start}–{end}.",
                start=_.time(meeting.group_meetings_start),
                end=_.time(meeting.group_meetings_end),
            )
        )
    if not meeting.cancelled:  # a cancelled meeting has no agenda, not one still to come
        lines.append("")
        lines.extend(agenda_lines(agenda, _, held=is_over(meeting, now)))
    return "\n".join(lines)


def meetings_buttons(turn: Turn, *, exclude: str) -> list[list[Button]]:
    _ = turn._
    options = [
        ("next", _("Next meeting")),
        ("meetings", _("All meetings")),
        ("calendar", _("Add to calendar")),
    ]
    return [[turn.button(label, action) for action, label in options if action != exclude]]


def next_council_line(meeting: Meeting, _: Translator, now: datetime) -> str:
    """Whose meeting the next constituent meeting is (R-PER-1), true on every day: before the municipal election
    and after it, when the new councils are elected but the KKR's members are not yet chosen; and once it has
    begun, when the bot still holds only the old council's data."""
    if meeting.start <= now:
        return _(
            "The constituent meeting {when} was the next council's first meeting; its members rest on the municipal "
            "election of {election}, and their data is not loaded in the bot yet.",
            when=meeting_when(meeting, _),
            election=_.date(municipal_election_date(meeting.start.year - 1)),
        )
    return _(
        "The constituent meeting {when} is the next council's first meeting; its members depend on the municipal "
        "election of {election}, not on today's council.",
        when=meeting_when(meeting, _),
        election=_.date(municipal_election_date(meeting.start.year - 1)),
    )


async def show_meeting(turn: Turn, meeting: Meeting, title: str, *, exclude: str) -> None:
    """A meeting's own view: when, where, the group-meeting window and the latest agenda (with its document)."""
    _ = turn._
    agenda = await latest_agenda(turn.conn, meeting.id)
    buttons = meetings_buttons(turn, exclude=exclude)
    standing = await standing_of(turn)
    marks = meeting_marks(standing, meeting.id, await turn.roster(), _, held=is_over(meeting, turn.now))
    coming = meeting.start > turn.now  # once it has started, nothing can be withdrawn or answered any more
    if own := standing.own.get(meeting.id):
        if coming:
            buttons.append([turn.button(_("Withdraw absence"), f"undo {own.id}")])
    elif (
        turn.person is not None
        and turn.person.role is Role.MEMBER
        and coming
        and not meeting.cancelled
        and in_loaded_period(meeting, await turn.meetings(), turn.opened)  # R-PER-1: the next council's members
        and await member_at(turn, meeting)
    ):
        buttons.append([turn.button(_("Report absence"), f"absent {meeting.id}")])
    buttons.extend(
        answer_buttons(a.id, _) for a in standing.covering.get(meeting.id, []) if coming and a.answer is None
    )
    body = describe_meeting(meeting, _, agenda, turn.now)
    # not today's council's meeting: say so (R-PER-1)
    if not in_loaded_period(meeting, await turn.meetings(), turn.opened):
        marks = [*marks, next_council_line(meeting, _, turn.now)]
    turn.reply("\n".join(marks) + "\n\n" + body if marks else body, title=title, buttons=buttons)
    if (document := agenda_document(agenda)) and turn.request.channel == TELEGRAM:
        # The PDF is Telegram's (its file_id); other channels get its name in the text above.
        turn.reply(_("The agenda for {when}", when=meeting_when(meeting, _)), document=document)


async def next_meeting_case(turn: Turn) -> None:
    _ = turn._
    meeting = next_meeting(await turn.meetings(), turn.now)
    if meeting is None:
        turn.reply(await no_meetings_text(turn), buttons=meetings_buttons(turn, exclude="next"))
        return
    await show_meeting(turn, meeting, _("Next meeting: {title}", title=meeting_title(meeting, _)), exclude="next")


async def all_meetings_case(turn: Turn) -> None:
    """All meetings of the period; with a date, that meeting's own view."""
    _ = turn._
    if turn.args:
        meetings = await turn.meetings()
        found = await meeting_from_words(turn, "meetings", turn.args, upcoming_meetings(meetings, turn.now))
        if found is not None:
            await show_meeting(turn, found[0], meeting_title(found[0], _), exclude="")
        return
    meetings = await turn.meetings()
    listed = current_period_meetings(meetings, turn.now, turn.opened)  # the period the title names
    upcoming = {m.id for m in upcoming_meetings(listed, turn.now)}
    standing = await standing_of(turn)
    roster = await turn.roster()
    lines = []
    year = None
    for meeting in listed:
        if meeting.start.year != year:
            year = meeting.start.year
            lines.append(f"\n{year}")
        if meeting.cancelled:
            mark = "✗"
        elif meeting.id in upcoming:
            mark = "•"
        else:
            mark = "✓" if is_over(meeting, turn.now) else "▸"  # under way is not held yet
        note = _(" (constituent)") if meeting.kind is MeetingKind.CONSTITUENT else ""
        note += _(" (extra)") if meeting.extra else ""
        note += _(" (cancelled)") if meeting.cancelled else ""
        note += "" if in_loaded_period(meeting, meetings, turn.opened) else _(" (the next council's)")
        if is_moved(meeting):
            note += _(" (moved from {date})", date=_.short_date(date.fromisoformat(meeting.id)))
        lines.append(f"{mark} {meeting_when(meeting, _)}, {meeting.place}{note}")
        if meeting.id in upcoming:
            lines.extend(f"   → {line}" for line in meeting_marks(standing, meeting.id, roster, _))
    under_way = any(not m.cancelled and m.start <= turn.now < m.end for m in listed)
    legend = (
        _("✓ held   • coming")
        + ("   " + _("▸ under way") if under_way else "")
        + ("   " + _("✗ cancelled") if any(m.cancelled for m in listed) else "")
    )
    ended = await ended_note(turn)  # R-PER-1: the period is over and the next one not loaded
    turn.reply(
        (f"{ended}\n\n" if ended else "") + "\n".join(lines).strip() + "\n\n" + legend,
        title=_("Meetings of KKR Nordjylland {period}", period=turn.dataset.period),
        buttons=meetings_buttons(turn, exclude="meetings"),
    )


@dataclass(frozen=True)
class Invitation:
    """What makes the calendar an iTIP message to one person (RFC 5546): REQUEST or CANCEL, from the organizer's
    address to the attendee's, with the SEQUENCE that person's calendar must see rise."""

    method: str
    organizer: str
    attendee: str
    sequence: int


def build_calendar(
    meetings: Sequence[Meeting], _: Translator, now: datetime, *, invitation: Invitation | None = None
) -> bytes:
    """The one .ics builder (the chat's /kalender, `kkrbot calendar`, the Teams calendar feed): METHOD:PUBLISH,
    a VTIMEZONE for every TZID used (RFC 5545; Outlook misreads a file without), a stable UID per meeting, a
    DESCRIPTION with the group-meeting window, and a SEQUENCE raised by every move or cancellation, so a
    calendar that imported the file before updates the event in place. A cancelled meeting stays in the file as
    STATUS:CANCELLED, which is how a calendar learns to remove it. Date, time and place only: the meetings are
    not public (R-MEET-3), and a calendar is shared and published (`kkrbot calendar` is for the website), so no
    agenda, name or attendance goes in; members read the agenda in the chat."""
    # Imported when a calendar is built: most runs never build one, and icalendar is a slow import (issue 25).
    from icalendar import Calendar, Event, vCalAddress, vText

    calendar = Calendar()
    calendar.add("prodid", "-//KKR Nordjylland//kkrbot//DA")
    calendar.add("version", "2.0")
    calendar.add("method", invitation.method if invitation else "PUBLISH")
    calendar.add("x-wr-calname", "KKR Nordjylland")
    for meeting in meetings:
        event = Event()
        event.add("uid", f"kkr-nordjylland-{meeting.id}@kkrbot")
        event.add("dtstamp", now)
        event.add("dtstart", meeting.start)
        event.add("dtend", meeting.end)
        title = meeting_title(meeting, _)
        event.add("summary", _("Cancelled: {title}", title=title) if meeting.cancelled else title)
        event.add("location", f"{meeting.place}, {meeting.address}" if meeting.address else meeting.place)
        description = []
        if meeting.group_meetings_start and meeting.group_meetings_end:
            description.append(
                _(
                    "Party group meetings can be held {start}–{end}.",
                    start=_.time(meeting.group_meetings_start),
                    end=_.time(meeting.group_meetings_end),
                )
            )
        if description:
            event.add("description", "\n".join(description))
        event.add("sequence", invitation.sequence if invitation else meeting.sequence)
        cancelled = meeting.cancelled or (invitation is not None and invitation.method == "CANCEL")
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        if invitation is not None:
            organizer = vCalAddress(f"mailto:{invitation.organizer}")
            organizer.params["cn"] = vText("KKR Nordjylland")
            event.add("organizer", organizer)
            attendee = vCalAddress(f"mailto:{invitation.attendee}")
            attendee.params.update({"role": vText("REQ-PARTICIPANT"), "rsvp": vText("FALSE")})
            event.add("attendee", attendee)
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


async def calendar_case(turn: Turn) -> None:
    _ = turn._
    turn.reply(
        _("Here are the council's meetings as a calendar file. Open it to add them to your calendar."),
        document=Document(
            filename="kkr-nordjylland.ics",
            content=build_calendar(await turn.meetings(), _, turn.now),
            mime_type="text/calendar",
        ),
        buttons=meetings_buttons(turn, exclude="calendar"),
    )


def cancelled_agenda_text(meeting: Meeting, _: Translator) -> str:
    """A cancelled meeting has no agenda to set or send: members would read it as a meeting to come."""
    return _(
        "The meeting {when} is cancelled, so it has no agenda to set or send. Choose a coming meeting.",
        when=meeting_when(meeting, _),
    )


PDF = "application/pdf"
TELEGRAM = "telegram"


def agenda_now(turn: Turn, meeting: Meeting, agenda: Agenda | None) -> str:
    """A meeting's agenda as it stands, and the command that replaces it with the meeting's date filled in."""
    _ = turn._
    command = f"{turn.command('agenda')} {meeting.start:%d.%m.%Y}"
    when = meeting_when(meeting, _)
    if agenda is None:
        return _(
            "The meeting {when} has no agenda yet. Write {command} and the agenda below it, one item a line, "
            "or send the agenda PDF with {command} as its caption.",
            when=when,
            command=command,
        )
    shown = agenda.text or _("(only the document {name})", name=agenda.document_name or "")
    return _(
        "The agenda for {when}:\n{agenda}\n\nTo replace it, write {command} and the new agenda below it, one item "
        "a line.",
        when=when,
        agenda=shown,
        command=command,
    )


async def set_agenda_case(turn: Turn) -> None:
    """The secretariat records a meeting's agenda: text as written (one item a line), links in it, and a PDF
    sent with the command as its caption. Every change is kept as a version with its time."""
    _ = turn._
    assert turn.person is not None
    usage = _(
        "Write {command} DATE and the agenda below it, one item a line, for example:\n"
        "{command} 12.02.2027\n1. Welcome\n2. Regional transport\n"
        "Or send the agenda PDF with {command} DATE as its caption.",
        command=turn.command("agenda"),
    )
    coming = upcoming_meetings(await turn.meetings(), turn.now)
    if not turn.args:
        turn.reply(usage, buttons=meeting_choices(turn, "agenda", coming))
        return
    found = await meeting_from_words(turn, "agenda", turn.args, coming)
    if found is None:
        return
    meeting, rest = found
    date_words = len(turn.args) - len(rest)
    if meeting.cancelled:
        turn.reply(cancelled_agenda_text(meeting, _), buttons=meeting_choices(turn, "agenda", coming))
        return
    if meeting.start <= turn.now:
        turn.reply(
            _(
                "The meeting {when} has already been held, so its agenda cannot be changed. Choose a coming meeting.",
                when=meeting_when(meeting, _),
            )
            if is_over(meeting, turn.now)
            else _(
                "The meeting {when} has already begun, so its agenda cannot be changed. Choose a coming meeting.",
                when=meeting_when(meeting, _),
            ),
            buttons=[[turn.button(_("Next meeting"), "next"), turn.button(_("All meetings"), "meetings")]],
        )
        return
    text = turn.text_after(date_words)
    attachment = turn.request.attachment
    if attachment is not None and attachment.mime_type != PDF and not attachment.filename.lower().endswith(".pdf"):
        turn.reply(
            _(
                "The agenda document must be a PDF. Send it again as a PDF with {command} DATE as its caption.",
                command=turn.command("agenda"),
            )
        )
        return
    previous = await latest_agenda(turn.conn, meeting.id)
    if not text and attachment is None:
        # A meeting chosen without an agenda (its button under the usage): what it has, and how to replace it.
        turn.reply(agenda_now(turn, meeting, previous), buttons=meetings_buttons(turn, exclude="calendar"))
        return
    file_id: str | None
    name: str | None
    if attachment is None and previous is not None and previous.document_file_id:
        # A new text keeps the document already published, unless a new one comes with it.
        file_id, name = previous.document_file_id, previous.document_name
    else:
        file_id, name = (attachment.file_id, attachment.filename) if attachment else (None, None)
    await add_agenda_version(
        turn.conn, meeting.id, text, turn.now, by=turn.person.id, document_file_id=file_id, document_name=name
    )
    saved = (
        _("The agenda for {when} is changed.", when=meeting_when(meeting, _))
        if previous
        else _("The agenda for {when} is saved.", when=meeting_when(meeting, _))
    )
    if not in_loaded_period(meeting, await turn.meetings(), turn.opened):  # R-PER-1: not today's council's
        turn.reply(
            saved + " " + unloaded_council_text(_),
            buttons=[[turn.button(_("Show the meeting"), f"meetings {meeting.id}")]],
        )
        return
    turn.reply(
        saved
        + " "
        + _(
            "Members see it when they look up the meeting; it is not sent to anyone yet. "
            "Shall I tell everyone concerned?"
        ),
        buttons=[
            [
                turn.button(_("Tell everyone concerned"), f"broadcast agenda {meeting.id}"),
                turn.button(_("Show the meeting"), f"meetings {meeting.id}"),
            ]
        ],
    )
