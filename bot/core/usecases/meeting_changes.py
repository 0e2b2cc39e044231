"""The secretariat moves a meeting, cancels it or adds an extra one: `/moede` (`/meeting`) in the chat, with a
preview and Send / Cancel, and `kkrbot meeting …` on the command line (acting as a secretariat person, like
`kkrbot forum`); both carry the change out with `carry_out`.

kkrcore judges the change against the plan; it is stored as an override on top of the bundled plan, and in the
same transaction everyone concerned is told on the outbox's bulk lane: the members and the substitutes who
accepted to attend, and those alerted who have not answered yet. A cancellation also closes the meeting's absences
and tells their substitutes (and the absent members) that they need not come. A move to a new time asks again:
the substitute who had accepted answers again for the new time, the absent member is asked whether the absence
still stands, and the reminder is sent again before the new time. A new change must also keep the period (R-MEET-2),
and an unusual day or hour is a warning in the preview."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.commands import is_number
from bot.core.dates import impossible_date, is_weekday_name, month_number, read_date
from bot.core.text_problems import text_problem_text
from bot.core.turn import Turn, _p, capitalised, display_name, quoted
from bot.core.usecases.absence_notices import check_quorum, where
from bot.core.usecases.broadcasts import concerned_by_meeting
from bot.core.usecases.meetings import (
    date_attempt,
    local_today,
    meeting_by_id,
    meeting_choices,
    meeting_from_words,
    meeting_title,
    meeting_when,
    no_such_date,
)
from bot.core.usecases.period import told_council, unloaded_council_text
from bot.core.usecases.standing import answer_buttons
from bot.delivery.message import Button, Message
from bot.delivery.outbox import Lane
from bot.i18n import Translator
from bot.storage.absences import (
    Absence,
    Answer,
    active_absences_for,
    ask_again_for_moved_meeting,
    close_for_cancelled_meeting,
)
from bot.storage.meeting_changes import record_change, save_draft, settle_draft
from bot.storage.roster import Person, Role, Roster
from bot.storage.text_fields import PLACE_LIMIT, TextFieldError, clean_text
from kkrcore.meeting_changes import (
    AddMeeting,
    CancelMeeting,
    MeetingChange,
    MeetingWarning,
    MoveMeeting,
    apply_change,
    change_warnings,
    check_period,
)
from kkrcore.meetings import upcoming_meetings
from kkrcore.models import Meeting
from kkrcore.reasons import InvalidInput, Reason

MOVE = ("flyt", "move")
CANCEL = ("aflys", "cancel")
EXTRA = ("ekstra", "extra", "add")
_TIME = re.compile(r"(\d{1,2})[:.](\d{2})")
_TIMES = re.compile(r"(\d{1,2}[:.]\d{2})(?:-(\d{1,2}[:.]\d{2}))?")
_CLOCK_WORDS = ("kl.", "kl")


@dataclass(frozen=True)
class Effect:
    """What a change does: the meeting before (None for an extra one) and after, who is concerned, how many of
    them the bot can reach (bound to a chat), the absences it closes, the absences standing before it (a move to
    a new time asks their members and substitutes again) and what is unusual about the new time."""

    before: Meeting | None
    after: Meeting
    plan: tuple[Meeting, ...]
    told: tuple[Person, ...]
    reachable: int
    closed: tuple[Absence, ...]
    standing: tuple[Absence, ...] = ()
    warnings: tuple[MeetingWarning, ...] = ()
    # The next council's constituent meeting before its period is loaded: nobody is known to tell (R-PER-1).
    unloaded: bool = False

    @property
    def retimed(self) -> bool:
        """A move to a new time: what people answered for the old one is asked again."""
        return self.before is not None and not self.after.cancelled and self.before.start != self.after.start


def changed_meeting(change: MeetingChange, before: Sequence[Meeting], after: Sequence[Meeting]) -> Meeting:
    if isinstance(change, AddMeeting):
        known = {m.id for m in before}
        return next(m for m in after if m.id not in known)
    found = meeting_by_id(after, change.meeting_id)
    assert found is not None
    return found


async def effect_of(turn: Turn, change: MeetingChange) -> Effect:
    """The change judged by kkrcore against the plan (InvalidInput with the reason if it does not fit), and whom
    it concerns; nothing is stored."""
    meetings = await turn.meetings()
    plan = apply_change(meetings, change)
    after = changed_meeting(change, meetings, plan)
    before = meeting_by_id(meetings, after.id) if not isinstance(change, AddMeeting) else None
    warnings: tuple[MeetingWarning, ...] = ()
    if not after.cancelled:
        check_period(plan, after, turn.settings.tz)
        warnings = tuple(change_warnings(after, turn.settings.tz))
    council = await told_council(turn, before or after)  # R-PER-1: the council that meets, if it is known
    roster = council or Roster([])
    told = await concerned_by_meeting(turn.conn, roster, after.id)
    standing = tuple(await active_absences_for(turn.conn, after.id)) if before is not None else ()
    # A substitute alerted and not yet answered is told too: they need not answer (cancelled), or answer for the
    # new time (moved).
    alerted = {a.substitute_id for a in standing if a.substitute_id and a.answer is not Answer.DECLINED}
    told += [p for p in roster.people if p.id in alerted and p not in told]
    closed = standing if isinstance(change, CancelMeeting) else ()
    reachable = len([p for p in told if await turn.conversation.router.routes(turn.conn, p.id)])
    return Effect(
        before=before,
        after=after,
        plan=plan,
        told=tuple(told),
        reachable=reachable,
        closed=closed,
        standing=standing,
        warnings=warnings,
        unloaded=council is None,
    )


async def carry_out(turn: Turn, change: MeetingChange, *, reason: str | None) -> Effect:
    """Stores the change, closes a cancelled meeting's absences and tells everyone concerned, all in the turn's
    transaction (so the chat's Send and `kkrbot meeting` do exactly the same). Raises InvalidInput."""
    effect = await effect_of(turn, change)
    by = turn.person.id if turn.person else None
    await record_change(turn.conn, change, effect.after.id, by=by, reason=reason)
    turn.plan_changed(effect.plan)
    if isinstance(change, CancelMeeting):
        await close_for_cancelled_meeting(turn.conn, effect.after.id, turn.now)
    if effect.retimed:
        await ask_again_for_moved_meeting(turn.conn, effect.after.id, turn.now)
        await check_quorum(turn, effect.after)  # the answers asked again no longer count
    roster = await told_council(turn, effect.before or effect.after) or Roster([])
    for person in effect.told:
        await turn.notify(
            person.id,
            lambda _, person=person: change_message(effect, person, roster, reason, _),  # type: ignore[misc]
            lane=Lane.BULK,
        )
    return effect


def change_message(effect: Effect, person: Person, roster: Roster, reason: str | None, _: Translator) -> Message:
    """What one person is told, in their own language: the change, and what it means for them."""
    after = effect.after
    show = Button(label=_("Show the meeting"), action=f"meetings {after.id}")
    calendar = Button(label=_("Add to calendar"), action="calendar")
    if after.cancelled:
        lines = [_("The KKR meeting {when} is cancelled.", when=meeting_when(after, _))]
        if reason:
            lines.append(_("The secretariat writes: {reason}", reason=reason))
        for absence in effect.closed:
            if absence.member_id == person.id:
                lines.append(_("Your absence for it is closed; there is nothing more to do."))
            elif absence.substitute_id == person.id:
                member = roster.by_id.get(absence.member_id)
                name = display_name(member, _) if member else absence.member_id
                lines.append(_("You need not come in place of {member}.", member=name))
        return Message(
            title=_("Meeting cancelled"),
            text="\n".join(lines),
            buttons=((Button(label=_("Next meeting"), action="next"), calendar),),
        )
    if effect.before is None:
        text = _("An extra KKR meeting is planned: {when}, {place}.", when=meeting_when(after, _), place=where(after))
        buttons: list[Button] = [show, calendar]
        if person.role is Role.MEMBER:
            buttons.append(Button(label=_("Report absence"), action=f"absent {after.id}"))
        return Message(title=_("Extra meeting"), text=text, buttons=(tuple(buttons),))
    lines = [
        _(
            "The KKR meeting {before} has been changed. It is now {when}, {place}.",
            before=meeting_when(effect.before, _),
            when=meeting_when(after, _),
            place=where(after),
        )
    ]
    rows: list[tuple[Button, ...]] = [(show, calendar)]
    for absence in effect.standing if effect.retimed else ():
        if absence.member_id == person.id:
            lines.append(_("Does your absence still stand?"))
            rows.insert(
                0,
                (
                    Button(label=_("Yes, it stands"), action=f"absent {after.id}"),
                    Button(label=_("Withdraw absence"), action=f"undo {absence.id}"),
                ),
            )
        elif absence.substitute_id == person.id and absence.answer is not Answer.DECLINED:
            member = roster.by_id.get(absence.member_id)
            name = display_name(member, _) if member else absence.member_id
            if absence.answer is Answer.ACCEPTED:
                lines.append(
                    _(
                        "You had said you would attend in place of {member}; that was for the old time. Can you "
                        "attend at the new time? Please answer below.",
                        member=name,
                    )
                )
            else:
                lines.append(_("{member} has asked you to attend in their place. Please answer below.", member=name))
            rows.insert(0, tuple(answer_buttons(absence.id, _)))
    return Message(title=_("Meeting moved"), text="\n".join(lines), buttons=tuple(rows))


def refusal_text(error: InvalidInput, _: Translator) -> str:
    """Why kkrcore refused a change, and what to do instead."""
    texts = {
        Reason.UNKNOWN_MEETING: _("There is no KKR meeting on that day. Choose one of the coming meetings."),
        Reason.MEETING_CANCELLED: _("That meeting is already cancelled. Add an extra meeting if it is to be held."),
        Reason.MEETING_HELD: _("That meeting has already started or been held, so it cannot be changed."),
        Reason.START_IN_PAST: _("The new time has already passed. Choose a time to come."),
        Reason.END_NOT_AFTER_START: _("The meeting must end after it starts, for example 13:00-15:00."),
        Reason.DAY_TAKEN: _("There is already a meeting that day; the KKR meets at most once a day."),
        Reason.NOTHING_CHANGED: _("That is how the meeting already is, so there is nothing to change."),
        Reason.AFTER_NEXT_CONSTITUENT: _(
            "A meeting of this council must be held before the next constituent meeting, which opens the next "
            "council's period. Choose an earlier date."
        ),
        Reason.CONSTITUENT_TOO_LATE: _(
            "The constituent meeting is held after the municipal election and at the latest 31 January of the "
            "year after it. Choose a date in that time."
        ),
    }
    return texts.get(error.reason, str(error.reason))


def warning_text(warning: MeetingWarning, _: Translator) -> str:
    texts = {
        MeetingWarning.NOT_FRIDAY: _("Note: the new day is not a Friday; the KKR usually meets on Fridays."),
        MeetingWarning.CLOSED_DAY: _("Note: the new day is a public holiday or otherwise not a working day."),
        MeetingWarning.OUTSIDE_HOURS: _("Note: the meeting starts outside 08:00–18:00."),
    }
    return texts[warning]


def describe_change(effect: Effect, _: Translator) -> str:
    after = effect.after
    if after.cancelled:
        return _("Cancel the meeting {when}, {place}.", when=meeting_when(after, _), place=where(after))
    if effect.before is None:
        return _("Add an extra meeting {when}, {place}.", when=meeting_when(after, _), place=where(after))
    return _(
        "Move the meeting {before}, {old_place} to {when}, {place}.",
        before=meeting_when(effect.before, _),
        old_place=where(effect.before),
        when=meeting_when(after, _),
        place=where(after),
    )


# --- reading the chat's words ----------------------------------------------------------------------------


class BadTime(ValueError):
    """A word written as a time that is no time of day ("26:00"); the message is the word."""


def read_times(words: Sequence[str]) -> tuple[time | None, time | None, int]:
    """A start and an optional end at the start of `words` ("13:00-15:00", "13:00", "kl. 13.00") and how many
    words they took. A bare "13.00" is read as a time only after "kl.", since "12.02" is a date. A time that
    cannot be (26:00) raises BadTime rather than becoming the place."""
    used = 1 if words and words[0].lower() in _CLOCK_WORDS else 0
    if len(words) <= used:
        return None, None, 0
    word = words[used]
    match = _TIMES.fullmatch(word)
    if match is None or (used == 0 and ":" not in word):
        return None, None, 0
    start, end = (clock_time(part) if part else None for part in (match[1], match[2]))
    if start is None or (match[2] and end is None):
        raise BadTime(word)
    return start, end, used + 1


def clock_time(text: str) -> time | None:
    """ "13:00" or "13.00" as a time of day."""
    match = _TIME.fullmatch(text)
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        return None
    return time(int(match[1]), int(match[2]))


class BadDate(ValueError):
    """Words after the meeting's date that are meant as the new date but are no date: one that does not exist
    (31.02.2027) or a relative one ("næste fredag"), which the bot does not guess at. Never a place."""

    def __init__(self, text: str, *, relative: bool) -> None:
        super().__init__(text)
        self.text = text
        self.relative = relative


# Words that make a date relative to today ("næste fredag", "i morgen"): the bot asks for the date itself.
_RELATIVE = frozenset(
    {"næste", "naeste", "kommende", "førstkommende", "imorgen", "overmorgen", "idag", "next", "tomorrow", "today"}
)
_RELATIVE_IF_FOLLOWED = frozenset({"i", "om", "på", "paa", "in", "this", "coming"})
_RELATIVE_AFTER = frozenset({"morgen", "overmorgen", "dag", "uge", "ugen", "uger", "dage", "week", "weeks", "days"})


def date_attempt_error(words: Sequence[str]) -> BadDate | None:
    """What is wrong with the words after the meeting's date when they are meant as a new date the parser could
    not read: a relative date, or a word with a digit or a month's or weekday's name. None when they are not
    meant as a date (a place)."""
    if not words:
        return None
    first = words[0].lower().rstrip(".,")
    second = words[1].lower().rstrip(".,") if len(words) > 1 else ""
    if first in _RELATIVE or (
        first in _RELATIVE_IF_FOLLOWED and (is_weekday_name(second) or second in _RELATIVE_AFTER)
    ):
        alone = not second or first in ("tomorrow", "today", "imorgen", "idag", "overmorgen")
        return BadDate(words[0] if alone else " ".join(words[:2]), relative=True)
    if any(c.isdigit() for c in first) or month_number(first) is not None or is_weekday_name(first):
        return BadDate(date_attempt(words), relative=False)
    return None


def place_and_address(text: str) -> tuple[str | None, str | None]:
    """ "Hjørring Rådhus, Springvandspladsen 5" is a place and its address (TextFieldError for a character
    that has no place in them, or more than PLACE_LIMIT characters: bot.storage.text_fields)."""
    place, _comma, address = text.partition(",")
    place, address = clean_text(place.strip(), PLACE_LIMIT), clean_text(address.strip(), PLACE_LIMIT)
    return place or None, address or None


def _at(turn: Turn, day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=turn.settings.tz)


def move_from(
    meeting: Meeting,
    zone: ZoneInfo,
    now: datetime,
    day: date | None,
    first: time | None,
    last: time | None,
    place: str | None,
    address: str | None,
) -> MoveMeeting:
    """A move as the chat and the command line give it: a new day keeps the time of day, a new start without
    an end keeps the length (kkrcore), and what is not given stays."""
    local = meeting.start.astimezone(zone)
    new_day = day or local.date()
    start = datetime.combine(new_day, first or local.time(), tzinfo=zone) if day or first else None
    end = datetime.combine(new_day, last, tzinfo=zone) if last else None
    return MoveMeeting(meeting_id=meeting.id, made_at=now, start=start, end=end, place=place, address=address)


def move_of(turn: Turn, meeting: Meeting, words: Sequence[str]) -> MoveMeeting:
    """`[NEW-DATE] [HH:MM[-HH:MM]] [PLACE[, ADDRESS]]` after the meeting's date: what is not written stays."""
    day, used = read_date(words, local_today(turn))
    first, last, clock_words = read_times(words[used:])
    if day is None and clock_words == 0 and (error := date_attempt_error(words)):
        raise error
    place, address = place_and_address(" ".join(words[used + clock_words :]))
    return move_from(meeting, turn.settings.tz, turn.now, day, first, last, place, address)


# --- the chat ----------------------------------------------------------------------------------------------


def usage(turn: Turn) -> str:
    return turn._(
        "Write {command} and what to change:\n"
        "{command} {move} 12.02 13:00-15:00 Hjørring Town Hall, Springvandspladsen 5\n"
        "{command} {cancel} 12.02 The reason, which members see\n"
        "{command} {extra} 05.03.2027 10:00-12:00 Aalborg\n"
        "Leave out what stays as it is. You see a preview before anyone is told.",
        command=turn.command("meeting"),
        move=MOVE[0] if turn._.language == "da" else MOVE[1],
        cancel=CANCEL[0] if turn._.language == "da" else CANCEL[1],
        extra=EXTRA[0] if turn._.language == "da" else EXTRA[1],
    )


async def meeting_change_case(turn: Turn) -> None:
    """/moede flyt|aflys|ekstra …: a preview with Send / Cancel; the buttons `meeting send|drop DRAFT-ID`."""
    _ = turn._
    args = turn.args
    coming = upcoming_meetings(await turn.meetings(), turn.now)
    if len(args) == 2 and args[0] in ("send", "drop") and is_number(args[1]):
        await _button(turn, args[0], int(args[1]))
        return
    if not args or args[0].lower() not in MOVE + CANCEL + EXTRA:
        turn.reply(usage(turn), title=_("Change a meeting"), buttons=meeting_choices(turn, "meetings", coming))
        return
    try:
        requested = await _requested_change(turn, args[0].lower(), args[1:], coming)
    except BadTime as error:
        turn.reply(
            _("I cannot read “{text}” as a time. Write for example 13:00-15:00.", text=quoted(str(error)))
            + "\n\n"
            + usage(turn)
        )
        return
    except TextFieldError as error:
        turn.reply(text_problem_text(error.problem, _))
        return
    if requested is None:
        return
    change, reason = requested
    try:
        effect = await effect_of(turn, change)
    except InvalidInput as error:
        turn.reply(refusal_text(error, _), buttons=meeting_choices(turn, "meetings", coming))
        return
    assert turn.person is not None
    draft = await save_draft(turn.conn, change, reason=reason, by=turn.person.id, now=turn.now)
    lines = [describe_change(effect, _)]
    if reason:
        lines.append(_("The reason members see: {reason}", reason=quoted(reason)))
    if effect.closed:
        lines.append(
            _p(
                turn,
                "{count} absence for it will be closed.",
                "{count} absences for it will be closed.",
                len(effect.closed),
            )
        )
    if effect.retimed and effect.standing:
        lines.append(
            _(
                "Members who reported absence are asked whether it still stands, and their substitutes are asked "
                "again for the new time."
            )
        )
    lines.extend(warning_text(warning, _) for warning in effect.warnings)
    if effect.unloaded:
        lines.append(unloaded_council_text(_))
    else:
        lines.append(_("{count} people will be told.", count=effect.reachable))
    send = _("Save the change") if effect.unloaded else _("Send to {count}", count=effect.reachable)
    turn.reply(
        "\n".join(capitalised(line) for line in lines),
        title=_("Preview: {title}", title=meeting_title(effect.after, _)),
        buttons=[
            [
                turn.button(send, f"meeting send {draft}"),
                turn.button(_("Cancel"), f"meeting drop {draft}"),
            ]
        ],
    )


async def _requested_change(
    turn: Turn, action: str, words: Sequence[str], coming: Sequence[Meeting]
) -> tuple[MeetingChange, str | None] | None:
    """The change and the reason the words ask for, or None after saying what is missing."""
    _ = turn._
    written = f"{turn.command('meeting')} {turn.args[0].lower()}"  # the command as typed, for the examples
    if action in EXTRA:
        day, used = read_date(words, local_today(turn))
        if day is None and words:
            # A day that does not exist is said so, as every other command says it (meeting_from_words).
            problem = impossible_date(date_attempt(words))
            turn.reply(
                no_such_date(problem, _)
                + " "
                + _("Write for example {command} 05.03.2027 10:00-12:00 Aalborg.", command=written)
                if problem
                else _(
                    "I cannot read “{text}” as a date. Write for example {command} 05.03.2027 10:00-12:00 Aalborg.",
                    text=quoted(date_attempt(words)),
                    command=written,
                )
            )
            return None
        first, last, clock_words = read_times(words[used:])
        place, address = place_and_address(" ".join(words[used + clock_words :]))
        if day is None or first is None or last is None or place is None:
            turn.reply(_("An extra meeting needs a date, a time from-to and a place.") + "\n\n" + usage(turn))
            return None
        start, end = _at(turn, day, first), _at(turn, day, last)
        return AddMeeting(made_at=turn.now, start=start, end=end, place=place, address=address), None
    found = await meeting_from_words(turn, "meetings", words, coming, example=written)
    if found is None:
        return None
    meeting, rest = found
    if action in CANCEL:
        reason = turn.text_after(1 + len(words) - len(rest)) or None
        return CancelMeeting(meeting_id=meeting.id, made_at=turn.now), reason
    try:
        return move_of(turn, meeting, rest), None
    except BadDate as error:
        turn.reply(bad_date_text(error, meeting, written, turn), buttons=meeting_choices(turn, "meetings", coming))
        return None


def bad_date_text(error: BadDate, meeting: Meeting, written: str, turn: Turn) -> str:
    """Why the new date is refused, with the command as it should be written (the meeting a week later as the
    example), so the next try works."""
    _ = turn._
    local = meeting.start.astimezone(turn.settings.tz)
    example = f"{written} {local:%d.%m.%Y} {local + timedelta(days=7):%d.%m.%Y} 13:00-15:00"
    if error.relative:
        return _(
            "“{text}” depends on today's date; write the new date itself, for example {example}",
            text=quoted(error.text),
            example=example,
        )
    return _(
        "I cannot read “{text}” as the new date: no such day exists or it is not written as a date. Write the "
        "meeting's date, then the new date, time and place, for example {example}",
        text=quoted(error.text),
        example=example,
    )


async def _button(turn: Turn, action: str, draft_id: int) -> None:
    _ = turn._
    settled = await settle_draft(turn.conn, draft_id, turn.now)
    turn.buttons_used()
    if settled is None:
        turn.reply(_("That change was already carried out or dropped; nothing more happens."))
        return
    if action == "drop":
        turn.reply(_("Nothing was changed, and nobody was told."))
        return
    change, reason = settled
    try:
        # Judged again now: the plan may have changed since the preview.
        effect = await carry_out(turn, change.model_copy(update={"made_at": turn.now}), reason=reason)
    except InvalidInput as error:
        turn.reply(refusal_text(error, _))
        return
    turn.reply(
        capitalised(describe_change(effect, _))
        + "\n"
        + (
            unloaded_council_text(_)
            if effect.unloaded
            else _("Done: {count} people are being told.", count=effect.reachable)
        ),
        buttons=[[turn.button(_("Show the meeting"), f"meetings {effect.after.id}")]],
    )
