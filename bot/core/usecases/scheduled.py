"""What happens because time passes: reminders before meetings, and the secretariat's alert when a
substitute has not answered in time. Both are derived from the database on every tick, and each is
recorded in the transaction that queues it, so a restart loses none and sends none twice."""

from __future__ import annotations

from datetime import date, timedelta

from bot.core.turn import Turn, display_name
from bot.core.usecases.absence_notices import contact, has_started, where
from bot.core.usecases.meetings import meeting_when
from bot.core.usecases.period import council_for, held_period_name, in_loaded_period, next_period_meeting, period_name
from bot.delivery.message import Button, Message
from bot.delivery.outbox import Lane
from bot.delivery.retention import forget_old_contents
from bot.i18n import Translator
from bot.storage.absences import Answer, active_absences_for, claim_reminder, mark_escalated, unanswered_absences
from bot.storage.roster import Person
from kkrcore.days import municipal_election_date
from kkrcore.meetings import upcoming_meetings
from kkrcore.models import Meeting
from kkrcore.reasons import InvalidInput


async def send_reminders(turn: Turn) -> None:
    """Before each meeting of this council: the members who have not reported absence (with the button to do so)
    and the substitutes who accepted to attend. A move to a new time clears the claims, so the reminder comes
    again before the new time. The next council's constituent meeting has none until its period is loaded; then
    its reminders go to its own members and substitutes (R-PER-1)."""
    lead = timedelta(days=turn.settings.reminder_days)
    meetings = await turn.meetings()
    due = [
        m
        for m in upcoming_meetings(meetings, turn.now)
        if m.start - lead <= turn.now and in_loaded_period(m, meetings, turn.opened)
    ]
    if not due:
        return
    for meeting in due:
        roster = (await council_for(turn, meeting)).roster
        absences = await active_absences_for(turn.conn, meeting.id)
        absent = {a.member_id for a in absences}
        for member in roster.members:
            if member.id not in absent and await claim_reminder(turn.conn, meeting.id, member.id, turn.now):
                await turn.notify(
                    member.id,
                    lambda _, meeting=meeting: reminder(meeting, _),  # type: ignore[misc]
                    lane=Lane.BULK,
                )
        for absence in absences:
            seat = roster.by_id.get(absence.member_id)
            substitute = roster.by_id.get(absence.substitute_id or "")
            if absence.answer is not Answer.ACCEPTED or seat is None or substitute is None:
                continue
            if await claim_reminder(turn.conn, meeting.id, substitute.id, turn.now):
                await turn.notify(
                    substitute.id,
                    lambda _, meeting=meeting, seat=seat: substitute_reminder(meeting, seat, _),  # type: ignore[misc]
                    lane=Lane.BULK,
                )


def substitute_reminder(meeting: Meeting, member: Person, _: Translator) -> Message:
    """For the substitute who accepted: no afbud button (only members report absence)."""
    return Message(
        title=_("Reminder: KKR meeting {when}", when=meeting_when(meeting, _)),
        text=_(
            "The meeting is {when}, {place}. You attend in place of {member}.",
            when=meeting_when(meeting, _),
            place=where(meeting),
            member=display_name(member, _),
        ),
        buttons=((Button(label=_("Show the meeting"), action=f"meetings {meeting.id}"),),),
    )


def reminder(meeting: Meeting, _: Translator) -> Message:
    return Message(
        title=_("Reminder: KKR meeting {when}", when=meeting_when(meeting, _)),
        text=_(
            "The meeting is {when}, {place}. If you cannot attend, report absence below and your substitute "
            "will be alerted.",
            when=meeting_when(meeting, _),
            place=where(meeting),
        ),
        buttons=(
            (
                Button(label=_("Report absence"), action=f"absent {meeting.id}"),
                Button(label=_("Next meeting"), action="next"),
            ),
        ),
        deadline=meeting.start,  # a reminder after the meeting began is no use: set aside, not sent late
    )


async def remind_to_load_next_period(turn: Turn) -> None:
    """R-PER-1: until the next period is loaded (`kkrbot period load`), the bot takes nothing for the next
    council's constituent meeting, and after it shows the old council's data. The secretariat is told so once
    after the municipal election before that meeting (R-DAY-2), and once more if it starts with nothing loaded;
    each notice is claimed in the transaction that queues it, so none is sent twice."""
    meetings = await turn.meetings()
    coming = next_period_meeting(meetings, turn.opened)
    if coming is None:
        return
    try:
        election = municipal_election_date(coming.start.year - 1)
    except InvalidInput:  # a data file whose next constituent meeting does not follow an election year
        return
    started = has_started(coming, turn.now)
    if not started and turn.now.astimezone(coming.start.tzinfo).date() <= election:
        return
    ending = held_period_name(meetings, turn.opened, turn.dataset)
    key = f"{'period-ended' if started else 'period-to-load'}:{coming.id}"
    for person in (await turn.roster()).secretariat:
        if await claim_reminder(turn.conn, key, person.id, turn.now):
            await turn.notify(person.id, lambda _: load_reminder(coming, election, ending, started, _), lane=Lane.BULK)


def load_reminder(coming: Meeting, election: date, ending: str, started: bool, _: Translator) -> Message:
    """For the secretariat: the next period is not loaded, what that means, and the command that loads it."""
    load = _(
        "Load it with kkrbot period load DATA ROSTER, after a try with --dry-run (docs/secretariat.md, “Next period”)."
    )
    if started:
        return Message(
            title=_("The period {period} has ended", period=ending),
            text=_(
                "The constituent meeting {when} has started, and the next period's data is not loaded in the bot: "
                "it shows the old council's data, marked as such, and the new council's members cannot use it.",
                when=_.date(coming.start),
            )
            + " "
            + load,
        )
    return Message(
        title=_("Load the next council period"),
        text=_(
            "The municipal election of {election} has been held. The constituent meeting {when} opens the period "
            "{period}; until its data and roster are loaded in the bot, it takes no valgforbund, chair election or "
            "absence for that meeting, and the new council's members cannot use it.",
            election=_.date(election),
            when=_.date(coming.start),
            period=period_name(coming),
        )
        + " "
        + load,
    )


async def escalate_unanswered(turn: Turn) -> None:
    """A substitute who has not answered by the configured time before the meeting: tell the secretariat."""
    window = timedelta(hours=turn.settings.substitute_answer_hours)
    meetings = {m.id: m for m in await turn.meetings()}
    roster = await turn.roster()
    for absence in await unanswered_absences(turn.conn):
        meeting = meetings.get(absence.meeting_id)
        if meeting is None or has_started(meeting, turn.now) or turn.now < meeting.start - window:
            continue
        member = roster.by_id.get(absence.member_id)
        substitute = roster.by_id.get(absence.substitute_id or "")
        if member is None or substitute is None:
            continue
        await mark_escalated(turn.conn, absence.id, turn.now)
        await turn.notify_secretariat(
            lambda _, member=member, substitute=substitute, meeting=meeting: Message(  # type: ignore[misc]
                title=_("No answer from the substitute"),
                text=_(
                    "{substitute} has not answered whether they can attend for {member} on {when}. "
                    "Please contact them: {contact}.",
                    substitute=display_name(substitute, _),
                    member=display_name(member, _),
                    when=meeting_when(meeting, _),
                    contact=contact(substitute, _),
                ),
                buttons=((Button(label=_("Attendance"), action=f"attendance {meeting.id}"),),),
            ),
        )


async def forget_old_messages(turn: Turn) -> None:
    """Retention (KKRBOT_RETENTION_DAYS): old updates and delivered messages lose what people wrote."""
    await forget_old_contents(turn.conn, turn.now, turn.settings.retention_days)
