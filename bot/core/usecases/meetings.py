"""The next meeting, all meetings of the period, and the meetings as an iCalendar file."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime

from icalendar import Calendar, Event

from bot.core.turn import Turn
from bot.delivery.message import Button, Document
from bot.i18n import Translator
from bot.storage.db import first_row, utc_text
from bot.storage.roster import Role
from kkrcore.meetings import next_meeting, upcoming_meetings
from kkrcore.models import Meeting, MeetingKind

_DANISH_DATE = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})")


def parse_day(text: str) -> date | None:
    """'2027-02-12' or the Danish '12.02.2027' / '12/2/2027'."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    match = _DANISH_DATE.fullmatch(text)
    if match:
        try:
            return date(int(match[3]), int(match[2]), int(match[1]))
        except ValueError:
            return None
    return None


def meeting_by_id(meetings: Sequence[Meeting], meeting_id: str) -> Meeting | None:
    return next((m for m in meetings if m.id == meeting_id), None)


def meeting_named(meetings: Sequence[Meeting], text: str) -> Meeting | None:
    """The meeting on the day `text` names (a meeting's id is its ISO date), if there is one."""
    day = parse_day(text)
    return meeting_by_id(meetings, day.isoformat()) if day else None


async def agenda_for(turn: Turn, meeting_id: str) -> str | None:
    row = await first_row(turn.conn, "SELECT text FROM agendas WHERE meeting_id = ?", (meeting_id,))
    return str(row[0]) if row else None


def meeting_title(meeting: Meeting, _: Translator) -> str:
    if meeting.kind is MeetingKind.CONSTITUENT:
        return _("Constituent meeting of KKR Nordjylland")
    return _("Meeting of KKR Nordjylland")


def meeting_when(meeting: Meeting, _: Translator) -> str:
    return _(
        "{date}, {start}–{end}",
        date=_.date(meeting.start),
        start=_.time(meeting.start),
        end=_.time(meeting.end),
    )


def describe_meeting(meeting: Meeting, _: Translator, agenda: str | None) -> str:
    place = f"{meeting.place}, {meeting.address}" if meeting.address else meeting.place
    lines = [meeting_when(meeting, _), _("Place: {place}", place=place)]
    if meeting.group_meetings_start and meeting.group_meetings_end:
        lines.append(
            _(
                "Party group meetings can be held {start}–{end}.",
                start=_.time(meeting.group_meetings_start),
                end=_.time(meeting.group_meetings_end),
            )
        )
    lines.append("")
    lines.append(_("Agenda:") + "\n" + agenda if agenda else _("The agenda has not been sent out yet."))
    return "\n".join(lines)


def meetings_buttons(turn: Turn, *, exclude: str) -> list[list[Button]]:
    _ = turn._
    options = [
        ("next", _("Next meeting")),
        ("meetings", _("All meetings")),
        ("calendar", _("Add to calendar")),
    ]
    return [[turn.button(label, action) for action, label in options if action != exclude]]


async def next_meeting_case(turn: Turn) -> None:
    _ = turn._
    meeting = next_meeting(turn.dataset.meetings, turn.now)
    if meeting is None:
        turn.reply(
            _("There are no more meetings planned in this period."),
            buttons=meetings_buttons(turn, exclude="next"),
        )
        return
    agenda = await agenda_for(turn, meeting.id)
    buttons = meetings_buttons(turn, exclude="next")
    if turn.person is not None and turn.person.role is Role.MEMBER:
        buttons.append([turn.button(_("Report absence"), f"absent {meeting.id}")])
    turn.reply(
        describe_meeting(meeting, _, agenda),
        title=_("Next meeting: {title}", title=meeting_title(meeting, _)),
        buttons=buttons,
    )


async def all_meetings_case(turn: Turn) -> None:
    _ = turn._
    upcoming = {m.id for m in upcoming_meetings(turn.dataset.meetings, turn.now)}
    lines = []
    year = None
    for meeting in turn.dataset.meetings:
        if meeting.start.year != year:
            year = meeting.start.year
            lines.append(f"\n{year}")
        mark = "•" if meeting.id in upcoming else "✓"
        note = _(" (constituent)") if meeting.kind is MeetingKind.CONSTITUENT else ""
        lines.append(f"{mark} {meeting_when(meeting, _)}, {meeting.place}{note}")
    turn.reply(
        "\n".join(lines).strip() + "\n\n" + _("✓ held   • coming"),
        title=_("Meetings of KKR Nordjylland {period}", period=turn.dataset.period),
        buttons=meetings_buttons(turn, exclude="meetings"),
    )


def meetings_calendar(meetings: list[Meeting], _: Translator, now: datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//KKR Nordjylland//kkrbot//DA")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "KKR Nordjylland")
    for meeting in meetings:
        event = Event()
        event.add("uid", f"kkr-nordjylland-{meeting.id}@kkrbot")
        event.add("dtstamp", now)
        event.add("dtstart", meeting.start)
        event.add("dtend", meeting.end)
        event.add("summary", meeting_title(meeting, _))
        event.add("location", f"{meeting.place}, {meeting.address}" if meeting.address else meeting.place)
        calendar.add_component(event)
    return bytes(calendar.to_ical())


async def calendar_case(turn: Turn) -> None:
    _ = turn._
    turn.reply(
        _("Here are the council's meetings as a calendar file. Open it to add them to your calendar."),
        document=Document(
            filename="kkr-nordjylland.ics",
            content=meetings_calendar(list(turn.dataset.meetings), _, turn.now),
            mime_type="text/calendar",
        ),
        buttons=meetings_buttons(turn, exclude="calendar"),
    )


async def set_agenda_case(turn: Turn) -> None:
    """The secretariat records a meeting's agenda; /naeste shows the latest one. (Sending it out to members is
    the broadcast feature's job.)"""
    _ = turn._
    meeting = meeting_named(turn.dataset.meetings, turn.args[0]) if turn.args else None
    text = " ".join(turn.args[1:]).strip()
    if meeting is None or not text:
        turn.reply(_("Write /dagsorden DATE TEXT, for example /dagsorden 12.02.2027 1. Welcome 2. Regional transport"))
        return
    await turn.conn.execute(
        "INSERT INTO agendas (meeting_id, text, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (meeting_id) DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at",
        (meeting.id, text, utc_text(turn.now)),
    )
    turn.reply(
        _("The agenda for {when} is saved. Members see it under the next meeting.", when=meeting_when(meeting, _)),
        buttons=[[turn.button(_("Next meeting"), "next")]],
    )
