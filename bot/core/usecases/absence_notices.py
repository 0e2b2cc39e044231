"""Absence notices (afbud): the member reports, the personal substitute is alerted and answers, and the
secretariat is kept informed, including when the quorum is at risk (R-MEET-4, R-MEET-5, R-MEM-2).

No reason for the absence is asked for or stored: a reason can be health data.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from bot.core.commands import is_number
from bot.core.dates import read_date
from bot.core.turn import Turn, display_name, vice_title
from bot.core.usecases.general import main_menu
from bot.core.usecases.meetings import (
    MEETINGS_OFFERED,
    is_over,
    local_today,
    meeting_by_id,
    meeting_choices,
    meeting_from_words,
    meeting_on,
    meeting_when,
    next_council_line,
)
from bot.core.usecases.period import (
    council_for,
    in_loaded_period,
    member_at,
    next_period_meeting,
    no_meetings_text,
    opening_of,
    period_name,
)
from bot.core.usecases.seats import vacant_seats_line
from bot.core.usecases.standing import answer_buttons, change_answer_button, standing_of, substitute_status
from bot.delivery.message import Button, Message
from bot.i18n import Translator
from bot.storage.absences import (
    Absence,
    Answer,
    active_absence,
    active_absences_for,
    active_absences_of,
    get_absence,
    quorum_state_changed,
    record_absence,
    set_answer,
    withdraw,
)
from bot.storage.accounts import EMAIL
from bot.storage.answer_notices import changed_since_told, last_told, record_told
from bot.storage.composition_lots import council_seats
from bot.storage.roster import Person, Roster
from kkrcore.meetings import Quorum, quorum_forecast, upcoming_meetings
from kkrcore.models import Dataset, Meeting


def where(meeting: Meeting) -> str:
    return f"{meeting.place}, {meeting.address}" if meeting.address else meeting.place


def has_started(meeting: Meeting, now: datetime) -> bool:
    return meeting.start <= now


async def reachable(turn: Turn, person_id: str) -> bool:
    return bool(await turn.conversation.router.routes(turn.conn, person_id))


def contact(person: Person, _: Translator) -> str:
    return _("phone {phone}, e-mail {email}", phone=person.phone or _("unknown"), email=person.email or _("unknown"))


async def forecast(turn: Turn, meeting: Meeting) -> Quorum:
    """The quorum forecast of the council that meets: a loaded next period's for its constituent meeting."""
    council = await council_for(turn, meeting)
    return await quorum_for(turn.conn, council.roster, meeting, council.dataset)


async def quorum_for(conn: aiosqlite.Connection, roster: Roster, meeting: Meeting, dataset: Dataset) -> Quorum:
    """Present and required by the absences on record, against the composition's seats (R-MEET-4, R-MEM-7)."""
    members = [m.id for m in roster.members]
    absences = [a for a in await active_absences_for(conn, meeting.id) if a.member_id in members]
    return quorum_forecast(
        await council_seats(conn, dataset, len(members)),
        members,
        [a.member_id for a in absences],
        [a.member_id for a in absences if a.answer is Answer.ACCEPTED],
    )


def forecast_line(q: Quorum, _: Translator) -> str:
    line = _(
        "Expected present: {present} of {members}; the quorum needs {required}.",
        present=q.present,
        members=q.members,
        required=q.required,
    )
    return line if q.quorate else line + " " + _("The quorum is at risk.")


async def check_quorum(turn: Turn, meeting: Meeting) -> None:
    """Tells the secretariat when a meeting starts to risk missing quorum, and when that risk is over."""
    q = await forecast(turn, meeting)
    if not await quorum_state_changed(turn.conn, meeting.id, not q.quorate, turn.now):
        return

    def compose(_: Translator) -> Message:
        if q.quorate:
            title = _("Quorum expected again: {when}", when=meeting_when(meeting, _))  # a forecast (R-MEET-4)
        else:
            title = _("Quorum at risk: {when}", when=meeting_when(meeting, _))
        return Message(
            title=title,
            text=forecast_line(q, _),
            buttons=((Button(label=_("Attendance"), action=f"attendance {meeting.id}"),),),
        )

    await turn.notify_secretariat(compose)


async def absent_case(turn: Turn) -> None:
    _ = turn._
    assert turn.person is not None
    member = turn.person
    if not turn.args or turn.args[0] == "more":
        start = int(turn.args[1]) if len(turn.args) > 1 and is_number(turn.args[1]) else 0
        await _offer_meetings(turn, start)
        return
    found = await _requested_meeting(turn)
    if found is None:
        return
    meeting, rest = found
    step = rest[0].lower() if rest else ""
    if step in ("ok", "no"):
        turn.buttons_used()
    existing = await active_absence(turn.conn, meeting.id, member.id)
    if existing is not None:
        turn.reply(
            _(
                "You already reported absence for {when}. That notice stands, and your substitute has been told.",
                when=meeting_when(meeting, _),
            ),
            buttons=[[turn.button(_("Withdraw absence"), f"undo {existing.id}")]],
        )
        return
    roster = (await council_for(turn, meeting)).roster
    seat = next((m for m in roster.members if m.id == member.id), None)
    if seat is None:  # not `member_at`: the seat, as the council that meets has it, is used below
        turn.reply(
            _(
                "The meeting {when} is a meeting of the council of {period}, and you are not among its members, "
                "so you cannot report absence for it.",
                when=meeting_when(meeting, _),
                period=period_name(opening_of(meeting, await turn.meetings()) or meeting),
            ),
            buttons=main_menu(turn),
        )
        return
    member = seat  # as the council that meets has them (a member re-elected as mayor sits as mayor)
    substitute = roster.by_id.get(roster.substitute_of.get(member.id) or "")
    if step == "no":
        turn.reply(_("All right, no absence was reported."), buttons=main_menu(turn))
        return
    if step != "ok":
        turn.reply(
            _(
                "Report absence for the meeting {when}, {place}? Your substitute, {substitute}, will be asked "
                "to attend in your place.",
                when=meeting_when(meeting, _),
                place=where(meeting),
                substitute=display_name(substitute, _) if substitute else _("nobody (none in the roster)"),
            ),
            title=_("Report absence"),
            buttons=[
                [
                    turn.button(_("Yes, report absence"), f"absent {meeting.id} ok"),
                    turn.button(_("No"), f"absent {meeting.id} no"),
                ]
            ],
        )
        return
    await _record(turn, member, meeting, substitute, roster)


async def absence_choices(turn: Turn) -> list[Meeting]:
    """The meetings a member can report absence for: coming (not cancelled), and of this council."""
    return list(await _absence_choices(turn))


async def has_absence_choice(turn: Turn) -> bool:
    """Whether `own_choices` has any, without looking past the first the member sits at (the main menu asks at
    every turn): a mayor who lost the election is offered no absence for the new council's meeting (R-MEM-5)."""
    for meeting in await _absence_choices(turn):
        if await member_at(turn, meeting):
            return True
    return False


async def _absence_choices(turn: Turn) -> Iterator[Meeting]:
    meetings = await turn.meetings()
    return (m for m in upcoming_meetings(meetings, turn.now) if in_loaded_period(m, meetings, turn.opened))


async def own_choices(turn: Turn) -> list[Meeting]:
    """The meetings to offer: those of a council the member sits in (R-PER-1, R-MEM-5: a mayor who lost the
    election is no member of the council that meets on 25 January 2030)."""
    return [m for m in await absence_choices(turn) if await member_at(turn, m)]


async def _offer_meetings(turn: Turn, start: int = 0) -> None:
    """The coming meetings, a page at a time, with a button for the next page; my absences are marked."""
    _ = turn._
    coming = await own_choices(turn)
    if not coming and await absence_choices(turn):
        turn.reply(
            _("You are not a member of the council at the coming meetings, so there is no absence to report."),
            buttons=main_menu(turn),
        )
        return
    if not coming:
        # R-PER-1: the plan's last meeting to come may be the next council's constituent meeting, listed as coming
        # in /moeder: say why it takes no absence rather than that no meeting is planned.
        following = next_period_meeting(await turn.meetings(), turn.opened)
        if following is not None and not has_started(following, turn.now):
            text = next_council_line(following, _, turn.now) + " " + _("So you cannot report absence for it.")
        else:
            text = await no_meetings_text(turn)
        turn.reply(text, buttons=main_menu(turn))
        return
    own = (await standing_of(turn)).own

    def label(meeting: Meeting) -> str:
        day = _.short_date(meeting.start)
        return _("{date} (absence reported)", date=day) if meeting.id in own else day

    start = min(start, max(0, len(coming) - 1))
    page = coming[start : start + MEETINGS_OFFERED]
    buttons = [[turn.button(label(m), f"absent {m.id}")] for m in page]
    if start + MEETINGS_OFFERED < len(coming):
        buttons.append([turn.button(_("More meetings"), f"absent more {start + MEETINGS_OFFERED}")])
    elif start > 0:  # the last page: a way back to the first
        buttons.append([turn.button(_("First meetings"), "absent more 0")])
    turn.reply(_("Which meeting can you not attend?"), title=_("Report absence"), buttons=buttons)


async def _requested_meeting(turn: Turn) -> tuple[Meeting, tuple[str, ...]] | None:
    """The meeting the arguments name and the words after its date, or None after telling the member why
    not, with the meetings they can choose instead."""
    _ = turn._
    choices = await absence_choices(turn)
    found = await meeting_from_words(turn, "absent", turn.args, choices)
    if found is None:
        return None
    meeting = found[0]
    if meeting.cancelled:
        turn.reply(
            _("The meeting {when} is cancelled, so there is nothing to report.", when=meeting_when(meeting, _)),
            buttons=meeting_choices(turn, "absent", choices),
        )
        return None
    if has_started(meeting, turn.now):
        turn.reply(
            too_late(meeting, turn.now, _),
            buttons=meeting_choices(turn, "absent", choices),
        )
        return None
    if not in_loaded_period(meeting, await turn.meetings(), turn.opened):
        turn.reply(
            next_council_line(meeting, _, turn.now) + " " + _("So you cannot report absence for it."),
            buttons=meeting_choices(turn, "absent", choices),
        )
        return None
    return found


async def _record(turn: Turn, member: Person, meeting: Meeting, substitute: Person | None, roster: Roster) -> None:
    _ = turn._
    absence = await record_absence(turn.conn, meeting.id, member.id, substitute.id if substitute else None, turn.now)
    substitute_reachable = substitute is not None and await reachable(turn, substitute.id)
    # Reached by e-mail only: the secretariat should know that the alert is an e-mail, not a chat message.
    by_email_only = substitute is not None and {
        channel for channel, _address in await turn.conversation.router.routes(turn.conn, substitute.id)
    } == {EMAIL}
    if substitute is not None and substitute_reachable:
        rank = substitute.vice_mayor_rank
        await turn.notify(substitute.id, lambda _: substitute_alert(absence, member, meeting, _, vice_rank=rank))
        told = _("We have alerted your substitute, {substitute}.", substitute=display_name(substitute, _))
    else:
        told = _("Your substitute cannot be reached through the bot, so the secretariat will contact them.")
    turn.reply(
        _("Your absence for {when} is recorded.", when=meeting_when(meeting, _)) + " " + told,
        title=_("Absence recorded"),
        buttons=[[turn.button(_("Withdraw absence"), f"undo {absence.id}")]],
    )
    q = await forecast(turn, meeting)

    def to_secretariat(_: Translator) -> Message:
        lines = [
            _(
                "{member} ({party}, {municipality}) has reported absence for {when}.",
                member=display_name(member, _),
                party=member.party,
                municipality=member.municipality,
                when=meeting_when(meeting, _),
            )
        ]
        if substitute is None:
            lines.append(_("There is no substitute in the roster."))
        elif substitute_reachable and by_email_only:
            lines.append(
                _("The substitute, {substitute}, is being alerted by e-mail.", substitute=display_name(substitute, _))
            )
        elif substitute_reachable:
            lines.append(_("The substitute, {substitute}, has been alerted.", substitute=display_name(substitute, _)))
        else:
            lines.append(
                _(
                    "The substitute, {substitute}, is not connected to the bot. Please contact them: {contact}.",
                    substitute=display_name(substitute, _),
                    contact=contact(substitute, _),
                )
            )
        lines.append(forecast_line(q, _))
        return Message(title=_("Absence"), text="\n".join(lines))

    await turn.notify_secretariat(to_secretariat)
    await check_quorum(turn, meeting)


def substitute_alert(
    absence: Absence, member: Person, meeting: Meeting, _: Translator, *, vice_rank: int | None = None
) -> Message:
    """The question to the substitute; a mayor's is asked as the viceborgmester they are, the 2nd when the 1st is
    a member himself (R-MEM-2, inferred)."""
    return Message(
        title=_("Can you attend in {member}'s place?", member=display_name(member, _)),
        text=_(
            "{member} has reported absence for the KKR meeting {when}, {place}. As {title} you can attend in the "
            "mayor's place. Please answer below.",
            member=display_name(member, _),
            when=meeting_when(meeting, _),
            place=where(meeting),
            title=vice_title(vice_rank or 1, _),
        )
        if member.mayor
        else _(
            "{member} has reported absence for the KKR meeting {when}, {place}. As the personal substitute you "
            "can attend in their place. Please answer below.",
            member=display_name(member, _),
            when=meeting_when(meeting, _),
            place=where(meeting),
        ),
        buttons=(tuple(answer_buttons(absence.id, _)),),
        deadline=meeting.start,  # an alert that comes after the meeting began is no use: set aside and reported
    )


async def _numbered_absence(turn: Turn, text: str) -> tuple[Absence | None, Meeting | None]:
    """The absence notice with that number, and its meeting, as far as they exist."""
    absence = await get_absence(turn.conn, int(text)) if is_number(text) else None
    meeting = meeting_by_id(await turn.meetings(), absence.meeting_id) if absence else None
    return absence, meeting


async def _own_absence(turn: Turn, text: str) -> tuple[Absence, Meeting] | None:
    _ = turn._
    absence, meeting = await _numbered_absence(turn, text)
    if absence is None or meeting is None or turn.person is None:
        turn.reply(_("I cannot find that absence notice."), buttons=main_menu(turn))
        return None
    return absence, meeting


async def cover_case(turn: Turn) -> None:
    """The substitute's answer to an alert."""
    _ = turn._
    if len(turn.args) != 2 or turn.args[1] not in ("yes", "no"):
        turn.reply(_("Please answer with the buttons under the alert."), buttons=main_menu(turn))
        return
    found = await _own_absence(turn, turn.args[0])
    if found is None:
        return
    absence, meeting = found
    assert turn.person is not None
    roster = await turn.roster()
    member = roster.by_id.get(absence.member_id)
    if absence.substitute_id != turn.person.id or member is None:
        turn.reply(_("This request was not sent to you."))
        return
    turn.buttons_used()  # answered now or before, withdrawn or started: the alert's buttons are done
    if not absence.active:
        turn.reply(
            _(
                "{member} has withdrawn the absence, so you are not needed after all.",
                member=display_name(member, _),
            )
        )
        return
    if has_started(meeting, turn.now):
        turn.reply(_("The meeting {when} has already started.", when=meeting_when(meeting, _)))
        return
    answer = Answer.ACCEPTED if turn.args[1] == "yes" else Answer.DECLINED
    # Until the meeting starts the substitute can change their mind with one press (issue 23).
    change = [[change_answer_button(absence.model_copy(update={"answer": answer}), _, _.short_date(meeting.start))]]
    if absence.answer is answer:
        turn.reply(_("You have already answered that. Thank you."), buttons=change)
        return
    await set_answer(turn.conn, absence.id, answer, turn.now)
    substitute = turn.person
    told = await last_told(turn.conn, absence.id)
    if told is not None and turn.now - told[1] < ANSWER_NOTICE_INTERVAL:
        # A flip: the latest answer is told once the interval is over (tell_changed_answers, on the clock's tick).
        turn.reply(
            _(
                "Thank you. You have changed your answer; {member} and the secretariat will hear your latest answer "
                "within {minutes} minutes.",
                member=display_name(member, _),
                minutes=int(ANSWER_NOTICE_INTERVAL.total_seconds() // 60),
            ),
            buttons=change,
        )
        return
    if answer is Answer.ACCEPTED:
        turn.reply(
            _("Thank you. {member} and the secretariat are told that you will attend.", member=display_name(member, _)),
            buttons=change,
        )
    else:
        turn.reply(
            _(
                "Thank you. {member} and the secretariat are told that you cannot attend.",
                member=display_name(member, _),
            ),
            buttons=change,
        )
    await tell_answer(turn, absence.id, member, substitute, meeting, answer)


# However often a substitute changes their answer, the member and the secretariat get at most one notice per
# substitute, meeting and this interval, with the latest answer.
ANSWER_NOTICE_INTERVAL = timedelta(minutes=10)


async def tell_answer(
    turn: Turn, absence_id: int, member: Person, substitute: Person, meeting: Meeting, answer: Answer
) -> None:
    """Tells the member and the secretariat the substitute's answer, and records that it was told."""
    accepted = answer is Answer.ACCEPTED
    changed = await last_told(turn.conn, absence_id) is not None  # told an earlier answer: this one is a change
    await record_told(turn.conn, absence_id, answer, turn.now)

    def to_member(_: Translator) -> Message:
        params = {"substitute": display_name(substitute, _), "when": meeting_when(meeting, _)}
        if accepted:
            return Message(
                title=_("Substitute changed their answer") if changed else _("Substitute found"),
                text=_("{substitute} will attend the meeting {when} in your place.", **params),
            )
        return Message(
            title=_("Substitute changed their answer") if changed else _("Substitute cannot attend"),
            text=_(
                "{substitute} cannot attend the meeting {when} in your place. The secretariat has been told.", **params
            ),
        )

    await turn.notify(member.id, to_member)
    q = await forecast(turn, meeting)

    def to_secretariat(_: Translator) -> Message:
        params = {
            "substitute": display_name(substitute, _),
            "member": display_name(member, _),
            "when": meeting_when(meeting, _),
        }
        if accepted:
            text = _("{substitute} will attend for {member} on {when}.", **params)
        else:
            text = _("{substitute} cannot attend for {member} on {when}.", **params)
        title = _("Substitute changed their answer") if changed else _("Substitute's answer")
        return Message(title=title, text=text + "\n" + forecast_line(q, _))

    await turn.notify_secretariat(to_secretariat)
    await check_quorum(turn, meeting)


async def tell_changed_answers(turn: Turn) -> None:
    """On the clock's tick: a substitute's answer that changed after the last notice, once its interval is over."""
    roster = await turn.roster()
    meetings = await turn.meetings()
    for absence_id in await changed_since_told(turn.conn, turn.now - ANSWER_NOTICE_INTERVAL):
        absence = await get_absence(turn.conn, absence_id)
        meeting = meeting_by_id(meetings, absence.meeting_id) if absence else None
        member = roster.by_id.get(absence.member_id) if absence else None
        substitute = roster.by_id.get(absence.substitute_id or "") if absence else None
        if absence is None or absence.answer is None or meeting is None or member is None or substitute is None:
            continue
        if has_started(meeting, turn.now):
            await record_told(turn.conn, absence.id, absence.answer, turn.now)  # too late to matter: not told
            continue
        await tell_answer(turn, absence.id, member, substitute, meeting, absence.answer)


async def undo_case(turn: Turn) -> None:
    """Withdraws an absence; the substitute is told they are not needed after all."""
    _ = turn._
    assert turn.person is not None
    member = turn.person
    said = turn.args[0] if turn.args else ""
    meetings = await turn.meetings()
    absence, meeting = await _numbered_absence(turn, said)
    if said and absence is None:
        # A meeting's date, as members write it for /afbud: their active notice for that meeting.
        day, _used = read_date(turn.args, local_today(turn), [m.start.date() for m in meetings])
        if (meeting := meeting_on(meetings, day) if day else None) is not None:
            own_then = [a for a in await active_absences_of(turn.conn, member.id) if a.meeting_id == meeting.id]
            absence = own_then[0] if own_then else None
    if absence is None or meeting is None or absence.member_id != member.id:
        # No notice of theirs by that number or date (a word): the ones they can withdraw, as buttons.
        not_found = _("I cannot find that absence notice.") + " " if said else ""
        coming = {m.id: m for m in upcoming_meetings(meetings, turn.now)}
        own = [a for a in await active_absences_of(turn.conn, member.id) if a.meeting_id in coming]
        if not own:
            turn.reply(not_found + _("You have no absence reported for a coming meeting."), buttons=main_menu(turn))
            return
        turn.reply(
            not_found + _("Which absence do you want to withdraw?"),
            buttons=[[turn.button(_.short_date(coming[a.meeting_id].start), f"undo {a.id}")] for a in own],
        )
        return
    if not absence.active:
        turn.reply(_("That absence was already withdrawn."), buttons=main_menu(turn))
        return
    if has_started(meeting, turn.now):
        turn.reply(
            too_late(meeting, turn.now, _),
            buttons=main_menu(turn),
        )
        return
    await withdraw(turn.conn, absence.id, turn.now)
    roster = await turn.roster()
    substitute = roster.by_id.get(absence.substitute_id or "")
    turn.reply(
        _("Your absence for {when} is withdrawn. Welcome back.", when=meeting_when(meeting, _)),
        buttons=[[turn.button(_("Next meeting"), "next")]],
    )
    if substitute is not None and await reachable(turn, substitute.id):
        await turn.notify(
            substitute.id,
            lambda _: Message(
                title=_("You are not needed after all"),
                text=_(
                    "{member} will attend the meeting {when} after all, so you are not needed. Thank you.",
                    member=display_name(member, _),
                    when=meeting_when(meeting, _),
                ),
            ),
        )
    q = await forecast(turn, meeting)
    await turn.notify_secretariat(
        lambda _: Message(
            title=_("Absence withdrawn"),
            text=_(
                "{member} has withdrawn the absence for {when} and will attend.",
                member=display_name(member, _),
                when=meeting_when(meeting, _),
            )
            + "\n"
            + forecast_line(q, _),
        ),
    )
    await check_quorum(turn, meeting)


async def meeting_for_secretariat(turn: Turn, command: str, *, default_held: bool) -> Meeting | None:
    """The meeting the secretariat names, else the one that matters: the last one held (or under way) for the
    minutes, the one under way or else the next one for attendance. The choices offered include the last one held."""
    _ = turn._
    meetings = await turn.meetings()
    held = held_in_period(meetings, turn.now, turn.opened)
    coming = upcoming_meetings(meetings, turn.now)
    choices = held[-1:] + coming
    if turn.args:
        found = await meeting_from_words(turn, command, turn.args, choices)
        if found and found[0].cancelled:  # no forecast of 22 of 22, no minutes "not held yet", for a cancelled one
            turn.reply(
                _(
                    "The meeting {when} is cancelled: there is no attendance to expect or record, and nothing for "
                    "the minutes.",
                    when=meeting_when(found[0], _),
                ),
                buttons=meeting_choices(turn, command, choices),
            )
            return None
        return found[0] if found else None
    if held and (default_held or not is_over(held[-1], turn.now)):  # a meeting under way is the one that matters
        return held[-1]
    if not coming:
        turn.reply(await no_meetings_text(turn), buttons=meeting_choices(turn, command, choices))
        return None
    return coming[0]


def held_in_period(meetings: Sequence[Meeting], now: datetime, opened: Collection[str]) -> list[Meeting]:
    """The meetings begun and not cancelled, of the period whose members the bot holds: the next council's
    constituent meeting is not today's council's to record or minute (R-PER-1)."""
    return [m for m in meetings if has_started(m, now) and not m.cancelled and in_loaded_period(m, meetings, opened)]


def too_late(meeting: Meeting, now: datetime, _: Translator) -> str:
    """Why an absence can no longer be reported or withdrawn: the meeting has begun, or it was held."""
    if is_over(meeting, now):
        return _(
            "The meeting {when} has been held. Please contact the secretariat directly if the minutes need correcting.",
            when=meeting_when(meeting, _),
        )
    return _(
        "The meeting {when} has already begun. Please contact the secretariat directly.", when=meeting_when(meeting, _)
    )


@dataclass(frozen=True)
class AbsenceRecord:
    """One absence as the secretariat's views and exports show it; people who have since left the roster
    keep their names (the minutes need them)."""

    absence: Absence
    member: Person
    substitute: Person | None


async def absence_records(conn: aiosqlite.Connection, roster: Roster, meeting: Meeting) -> list[AbsenceRecord]:
    records = []
    for absence in await active_absences_for(conn, meeting.id):
        member = roster.ever_by_id.get(absence.member_id)
        if member is not None:
            records.append(AbsenceRecord(absence, member, roster.ever_by_id.get(absence.substitute_id or "")))
    return records


def attendance_line(q: Quorum, over: bool, _: Translator) -> str:
    """Without a record of who came, even after the meeting it is what the notices and answers let expect
    (R-MEET-4): never stated as the attendance, nor the meeting as quorate or not."""
    if not over:
        return forecast_line(q, _)
    return _(
        "According to absences and answers, {present} of {members} were expected; the quorum needed {required}. "
        "Who came is not recorded yet.",
        present=q.present,
        members=q.members,
        required=q.required,
    )


async def show_attendance_from_notices(turn: Turn, meeting: Meeting) -> None:
    """/fremmoede for a meeting without an attendance of record: the notices and answers, and what they let
    expect."""
    _ = turn._
    if not in_loaded_period(meeting, await turn.meetings(), turn.opened):  # R-PER-1: not today's members' meeting
        turn.reply(
            next_council_line(meeting, _, turn.now)
            + " "
            + _("So the bot has no absences for it and expects no attendance from today's council."),
            title=_("Attendance: {when}", when=meeting_when(meeting, _)),
            buttons=main_menu(turn),
        )
        return
    council = await council_for(turn, meeting)
    records = await absence_records(turn.conn, council.roster, meeting)
    lines = []
    for record in records:
        member, substitute = record.member, record.substitute
        if substitute is None:
            lines.append("• " + _("{member}: absent, no substitute", member=display_name(member, _)))
        else:
            lines.append(
                "• "
                + _(
                    "{member}: absent; substitute {substitute} ({contact}) {status}",
                    member=display_name(member, _),
                    substitute=display_name(substitute, _),
                    contact=contact(substitute, _),
                    status=substitute_status(record.absence, _, held=is_over(meeting, turn.now)),
                )
            )
    if not lines:
        lines.append(_("No absences reported."))
    silent = [r.substitute for r in records if r.substitute is not None and r.absence.answer is None]
    if silent and not has_started(meeting, turn.now):
        lines.append("")
        lines.append(
            _(
                "Not answered yet: {names}.",
                # "; " between people: a comma already parts each name from its phone
                names="; ".join(f"{display_name(p, _)}, {p.phone or _('unknown')}" for p in silent),
            )
        )
    lines.append("")
    lines.append(attendance_line(await forecast(turn, meeting), is_over(meeting, turn.now), _))
    # Today's council's vacant seats; the incoming council meets at its constituent meeting with all of its own.
    if not council.incoming and (vacant := await vacant_seats_line(turn)):
        lines.append(vacant)
    buttons = [turn.button(_("Text for the minutes"), f"minutes {meeting.id}")]
    if has_started(meeting, turn.now):
        buttons.append(turn.button(_("Record attendance"), f"attendance record {meeting.id}"))
    turn.reply("\n".join(lines), title=_("Attendance: {when}", when=meeting_when(meeting, _)), buttons=[buttons])


def minutes_line(record: AbsenceRecord, _: Translator, *, held: bool) -> str:
    """The sentence the minutes record for one absence; before the meeting, the same as it stands now."""
    member = minutes_name(record.member, _)
    if record.substitute is not None and record.absence.answer is Answer.ACCEPTED:
        substitute = minutes_name(record.substitute, _)
        if held:
            return _("{member} had reported absence, and {substitute} had said they would attend instead.",
                     member=member, substitute=substitute)  # fmt: skip
        return _("{member} has reported absence, and {substitute} will attend instead.", member=member,
                 substitute=substitute)  # fmt: skip
    return (
        _("{member} had reported absence.", member=member)
        if held
        else _("{member} has reported absence.", member=member)
    )


def no_absences_line(meeting: Meeting, _: Translator, *, held: bool) -> str:
    """What the minutes say of a meeting nobody reported absence for; before it, as it stands now."""
    when = meeting_when(meeting, _)
    if held:
        return _("No absences were reported for {when}.", when=when)
    return _("No absences have been reported for {when} so far.", when=when)


def minutes_name(person: Person, _: Translator) -> str:
    """Name and party, as minutes write them (example names stay marked)."""
    return f"{display_name(person, _)} ({person.party})"
