"""`/status`: what a person has going on, with the buttons to act on it, so nothing depends on finding an
old message: my absences to come (withdraw), the alerts I must answer (attend / cannot), and the meetings
I have accepted to cover."""

from __future__ import annotations

from bot.core.turn import Turn
from bot.core.usecases.meetings import meeting_when, meetings_buttons
from bot.core.usecases.standing import (
    answer_buttons,
    change_answer_button,
    cover_line,
    own_absence_line,
    standing_of,
)
from bot.delivery.message import Button
from bot.storage.absences import Answer
from kkrcore.meetings import upcoming_meetings


async def status_case(turn: Turn) -> None:
    _ = turn._
    coming = upcoming_meetings(await turn.meetings(), turn.now)
    standing = await standing_of(turn)
    roster = await turn.roster()
    absences: list[str] = []
    to_answer: list[str] = []
    covering: list[str] = []
    declined: list[str] = []
    buttons: list[list[Button]] = []
    for meeting in coming:
        when = meeting_when(meeting, _)
        if own := standing.own.get(meeting.id):
            absences.append(f"• {when}: {own_absence_line(own, roster, _)}")
            buttons.append(
                [turn.button(_("Withdraw absence {date}", date=_.short_date(meeting.start)), f"undo {own.id}")]
            )
        for absence in standing.covering.get(meeting.id, []):
            if absence.answer is None:
                to_answer.append(f"• {when}: {cover_line(absence, roster, _)}")
                buttons.append(answer_buttons(absence.id, _))
            else:
                (covering if absence.answer is Answer.ACCEPTED else declined).append(
                    f"• {when}: {cover_line(absence, roster, _)}"
                )
                buttons.append([change_answer_button(absence, _, _.short_date(meeting.start))])
    sections = []
    if to_answer:
        sections.append(_("Alerts you must answer:") + "\n" + "\n".join(to_answer))
    if absences:
        sections.append(_("Your absences:") + "\n" + "\n".join(absences))
    if covering:
        sections.append(_("Meetings you attend as substitute:") + "\n" + "\n".join(covering))
    if declined:
        sections.append(_("Alerts you have declined (you can still change your mind):") + "\n" + "\n".join(declined))
    if not sections:
        sections.append(_("Nothing is pending for you: no absence reported, no alert to answer."))
    buttons.extend(meetings_buttons(turn, exclude="calendar"))
    turn.reply("\n\n".join(sections), title=_("Your status"), buttons=buttons)
