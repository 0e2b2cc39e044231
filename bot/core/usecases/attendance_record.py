"""The attendance of record (R-MEET-4) and what the secretariat's views say from it: `/fremmoede`, `/referat`
and `kkrbot minutes` state who came only from the record the secretariat keeps; without one they say the text
rests on the notices and answers, never the forecast as fact.

`/fremmoede registrer [DATO] [corrections]` (`/attendance record`, and `kkrbot attendance record`) starts from
the latest record, or else from the notices and answers, applies the corrections written after the date and
shows the result with Save / Cancel (the command line saves at once). Corrections, one keyword and then seats:
`fraværende a-medlem-1,v-medlem-2` (absent), `til_stede a-medlem-3` (the member came), `stedfortræder a-medlem-4`
(their substitute came) or `stedfortræder a-medlem-4=PERSON-ID` (another substitute came)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import aiosqlite

from bot.core.commands import is_number
from bot.core.turn import Turn, display_name
from bot.core.usecases.absence_notices import (
    absence_records,
    has_started,
    held_in_period,
    meeting_for_secretariat,
    minutes_line,
    minutes_name,
    no_absences_line,
    show_attendance_from_notices,
)
from bot.core.usecases.general import main_menu
from bot.core.usecases.meetings import is_over, meeting_choices, meeting_from_words, meeting_when
from bot.core.usecases.period import in_loaded_period, next_period_refusal
from bot.i18n import Translator
from bot.storage.absences import Answer, active_absences_for
from bot.storage.attendance import (
    AttendanceRecord,
    Presence,
    Seat,
    latest_record,
    record_versions,
    save_draft,
    save_record,
    settle_draft,
)
from bot.storage.composition_lots import council_seats
from bot.storage.roster import Role, Roster
from kkrcore.meetings import Quorum, quorum_of_record
from kkrcore.models import Dataset, Meeting
from kkrcore.reasons import InvalidInput

RECORD = ("registrer", "record")
_KEYWORDS: dict[str, Presence] = {
    "fraværende": Presence.ABSENT,
    "fravaerende": Presence.ABSENT,
    "absent": Presence.ABSENT,
    "til_stede": Presence.MEMBER,
    "tilstede": Presence.MEMBER,
    "present": Presence.MEMBER,
    "stedfortræder": Presence.SUBSTITUTE,
    "stedfortraeder": Presence.SUBSTITUTE,
    "substitute": Presence.SUBSTITUTE,
}
_WORDS = {"da": ("fraværende", "til_stede", "stedfortræder"), "en": ("absent", "present", "substitute")}


async def record_quorum(conn: aiosqlite.Connection, seats: Sequence[Seat], dataset: Dataset) -> Quorum:
    """kkrcore's quorum from the seats of a record, against the composition's seats (R-MEET-4, R-MEM-7);
    InvalidInput(DUPLICATE_PERSON) if one person sits twice."""
    attendees = {s.member_id: s.attendee for s in seats if s.attendee is not None}
    return quorum_of_record(await council_seats(conn, dataset, len(seats)), attendees)


async def seats_from_notices(conn: aiosqlite.Connection, roster: Roster, meeting: Meeting) -> tuple[Seat, ...]:
    """What the notices and answers let expect, seat by seat: where a record starts when there is none."""
    by_member = {a.member_id: a for a in await active_absences_for(conn, meeting.id)}
    seats = []
    for member in roster.members:
        absence = by_member.get(member.id)
        if absence is None:
            seats.append(Seat(member_id=member.id, presence=Presence.MEMBER))
        elif absence.answer is Answer.ACCEPTED and absence.substitute_id:
            seats.append(Seat(member_id=member.id, presence=Presence.SUBSTITUTE, substitute_id=absence.substitute_id))
        else:
            seats.append(Seat(member_id=member.id, presence=Presence.ABSENT))
    return tuple(seats)


class BadCorrection(ValueError):
    """A correction the bot cannot apply; the message is the whole answer, in the asker's language."""


def corrected(seats: tuple[Seat, ...], words: Sequence[str], roster: Roster, _: Translator) -> tuple[Seat, ...]:
    """The seats with the corrections written in `words`; BadCorrection says which word is wrong and why."""
    by_member = {s.member_id: s for s in seats}
    presence: Presence | None = None
    for token in re.split(r"[,\s]+", " ".join(words)):
        word = token.lower().rstrip(":")
        if not word:
            continue
        if word in _KEYWORDS:
            presence = _KEYWORDS[word]
            continue
        if presence is None:
            raise BadCorrection(_("Write what “{word}” is first: absent, present or substitute.", word=token))
        member_id, _equals, substitute_id = word.partition("=")
        if member_id not in by_member:
            raise BadCorrection(_("“{word}” is not a member's seat in the roster.", word=member_id))
        if presence is not Presence.SUBSTITUTE:
            by_member[member_id] = Seat(member_id=member_id, presence=presence)
            continue
        substitute_id = substitute_id or roster.substitute_of.get(member_id) or ""
        substitute = roster.by_id.get(substitute_id)
        if substitute is None:
            raise BadCorrection(
                _("{member} has no substitute in the roster; write {member}=PERSON-ID.", member=member_id)
                if not substitute_id
                else _("“{word}” is not in the roster.", word=substitute_id)
            )
        if substitute.role is not Role.SUBSTITUTE or substitute.id == member_id:
            raise BadCorrection(_("{person} cannot sit in another member's place.", person=display_name(substitute, _)))
        by_member[member_id] = Seat(member_id=member_id, presence=Presence.SUBSTITUTE, substitute_id=substitute.id)
    return tuple(by_member[s.member_id] for s in seats)


def seat_line(seat: Seat, roster: Roster, _: Translator) -> str:
    member = roster.ever_by_id.get(seat.member_id)
    name = f"{display_name(member, _)} ({seat.member_id})" if member else seat.member_id
    if seat.presence is Presence.MEMBER:
        return _("{member}: present", member=name)
    if seat.presence is Presence.ABSENT:
        return _("{member}: absent", member=name)
    substitute = roster.ever_by_id.get(seat.substitute_id or "")
    return _(
        "{member}: absent; {substitute} attended in their place",
        member=name,
        substitute=f"{display_name(substitute, _)} ({seat.substitute_id})" if substitute else seat.substitute_id,
    )


def recorded_line(q: Quorum, _: Translator) -> str:
    line = _(
        "Recorded attendance: {present} of {members}; the quorum needed {required}.",
        present=q.present,
        members=q.members,
        required=q.required,
    )
    return line + " " + (_("The meeting was quorate.") if q.quorate else _("The meeting was not quorate."))


def basis_line(record: AttendanceRecord | None, roster: Roster, _: Translator) -> str:
    """What the text rests on: the attendance of record (which version, when, by whom), or only the notices."""
    if record is None:
        return _("According to absences and answers; who came is not recorded.")
    by = roster.ever_by_id.get(record.recorded_by or "")
    return _(
        "Recorded attendance (version {version}, {date} at {time}, by {person}).",
        version=record.version,
        date=_.date(record.recorded_at),
        time=_.time(record.recorded_at),
        person=display_name(by, _) if by else _("the secretariat"),
    )


def history_line(earlier: Sequence[AttendanceRecord], roster: Roster, _: Translator) -> str:
    """The versions a correction replaced: they stay, so the record's history can be read."""
    versions = []
    for record in earlier:
        by = roster.ever_by_id.get(record.recorded_by or "")
        versions.append(
            _(
                "version {version} ({date} at {time}, {person})",
                version=record.version,
                date=_.date(record.recorded_at),
                time=_.time(record.recorded_at),
                person=display_name(by, _) if by else _("the secretariat"),
            )
        )
    return _("Earlier versions: {versions}.", versions="; ".join(versions))


def minutes_sentence(seat: Seat, roster: Roster, _: Translator) -> str:
    """The minutes' sentence for a seat its member did not fill."""
    member = roster.ever_by_id.get(seat.member_id)
    name = minutes_name(member, _) if member else seat.member_id
    if seat.presence is not Presence.SUBSTITUTE:
        return _("{member} was absent.", member=name)
    substitute = roster.ever_by_id.get(seat.substitute_id or "")
    return _(
        "{member} was absent, and {substitute} attended instead.",
        member=name,
        substitute=minutes_name(substitute, _) if substitute else seat.substitute_id,
    )


def minutes_lines_of_record(record: AttendanceRecord, roster: Roster, _: Translator) -> list[str]:
    """The minutes' sentences from the record: each seat not filled by its member."""
    lines = [minutes_sentence(s, roster, _) for s in record.seats if s.presence is not Presence.MEMBER]
    return lines or [_("All members were present.")]


async def minutes_lines(
    conn: aiosqlite.Connection, roster: Roster, meeting: Meeting, held: bool, _: Translator, *, under_way: bool = False
) -> list[str]:
    """The minutes text, the same in the chat and `kkrbot minutes`: labelled as input to KL's minutes
    (R-MEET-3), then what it rests on, then one sentence a seat or absence."""
    lines = [_("Input for KL's minutes: the meetings are not public, and KL publishes the minutes.")]
    record = await latest_record(conn, meeting.id)
    if record is not None:
        return [*lines, basis_line(record, roster, _), "", *minutes_lines_of_record(record, roster, _)]
    if under_way:  # /moeder marks it "under way" too: neither held nor still to come
        lines.append(_("The meeting is under way; this is the text as it stands now."))
    elif not held:
        lines.append(_("The meeting has not been held yet; this is the text as it stands now."))
    lines.append(basis_line(None, roster, _))
    texts = [minutes_line(r, _, held=held) for r in await absence_records(conn, roster, meeting)]
    return [*lines, "", *(texts or [no_absences_line(meeting, _, held=held)])]


async def minutes_case(turn: Turn) -> None:
    _ = turn._
    meeting = await meeting_for_secretariat(turn, "minutes", default_held=True)
    if meeting is None:
        return
    if not in_loaded_period(meeting, await turn.meetings(), turn.opened):  # R-PER-1: not today's council's meeting
        turn.reply(next_period_refusal(meeting, _, turn.now), buttons=main_menu(turn))
        return
    held = is_over(meeting, turn.now)
    under_way = has_started(meeting, turn.now) and not held
    lines = await minutes_lines(turn.conn, await turn.roster(), meeting, held, _, under_way=under_way)
    turn.reply(
        "\n".join(lines),
        title=_("For the minutes: {when}", when=meeting_when(meeting, _)),
        buttons=[[turn.button(_("Attendance"), f"attendance {meeting.id}")]],
    )


async def attendance_case(turn: Turn) -> None:
    """/fremmoede [DATO]: the attendance of record when there is one, else the notices and answers; and the
    record's own flow (`registrer`, and the preview's buttons `attendance save|drop DRAFT-ID`)."""
    args = turn.args
    if len(args) == 2 and args[0] in ("save", "drop") and is_number(args[1]):
        await _button(turn, args[0], int(args[1]))
        return
    if args and args[0].lower() in RECORD:
        await record_attendance(turn, args[1:], save_now=turn.request.channel == "cli")
        return
    meeting = await meeting_for_secretariat(turn, "attendance", default_held=False)
    if meeting is None:
        return
    record = await latest_record(turn.conn, meeting.id)
    if record is None:
        await show_attendance_from_notices(turn, meeting)
        return
    _ = turn._
    roster = await turn.roster()
    lines = [basis_line(record, roster, _)]
    if earlier := (await record_versions(turn.conn, meeting.id))[:-1]:
        lines.append(history_line(earlier, roster, _))
    lines.append("")
    lines += ["• " + seat_line(s, roster, _) for s in record.seats if s.presence is not Presence.MEMBER]
    lines += ["", recorded_line(await record_quorum(turn.conn, record.seats, turn.dataset), _)]
    turn.reply(
        "\n".join(lines),
        title=_("Attendance: {when}", when=meeting_when(meeting, _)),
        buttons=[
            [
                turn.button(_("Text for the minutes"), f"minutes {meeting.id}"),
                turn.button(_("Correct the attendance"), f"attendance record {meeting.id}"),
            ]
        ],
    )


def written(turn: Turn) -> str:
    """`/fremmoede registrer` as this person writes it (`/attendance record` in English); on the command line,
    `kkrbot attendance record`, which takes the same words after the date."""
    if turn.request.channel == "cli":
        return "kkrbot attendance record"
    return f"{turn.command('attendance')} {RECORD[0] if turn._.language == 'da' else RECORD[1]}"


def usage(turn: Turn, meeting: Meeting, seats: Sequence[Seat]) -> str:
    """How to correct the record, with the keywords in the reader's language and seats of this roster."""
    absent, present, substitute = _WORDS["da" if turn._.language == "da" else "en"]
    first, second, third, fourth = ([s.member_id for s in seats][-4:] + ["MEMBER-ID"] * 4)[:4]
    return turn._(
        "To correct it, write what differs after the date, for example:\n"
        "{command} {date} {absent} {first},{second}\n"
        "{command} {date} {present} {third} {substitute} {fourth}\n"
        "({substitute} MEMBER-ID: their own substitute came; MEMBER-ID=PERSON-ID: another one.)",
        command=written(turn),
        date=f"{meeting.start.astimezone(turn.settings.tz):%d.%m.%Y}",
        absent=absent,
        present=present,
        substitute=substitute,
        first=first,
        second=second,
        third=third,
        fourth=fourth,
    )


async def record_attendance(turn: Turn, words: Sequence[str], *, save_now: bool) -> bool:
    """The record for a meeting that has begun: from the latest version, or else from the notices and answers,
    with the corrections in `words`; a preview with Save / Cancel, or saved at once from the command line.
    False when nothing could be recorded or previewed (the reply says why)."""
    _ = turn._
    meetings = await turn.meetings()
    held = held_in_period(meetings, turn.now, turn.opened)
    if not words and not held:
        turn.reply(_("No meeting has been held yet, so there is no attendance to record."))
        return False
    meeting, rest = held[-1], tuple(words)
    if words:
        found = await meeting_from_words(turn, "attendance record", words, held[-3:][::-1], example=written(turn))
        if found is None:
            return False
        meeting, rest = found
    # R-PER-1: today's council did not sit at the next one's meeting
    if not in_loaded_period(meeting, meetings, turn.opened):
        choices = meeting_choices(turn, "attendance record", held[-3:][::-1])
        turn.reply(next_period_refusal(meeting, _, turn.now), buttons=choices)
        return False
    if meeting.cancelled or not has_started(meeting, turn.now):
        turn.reply(
            _("The meeting {when} is cancelled, so nobody attended it.", when=meeting_when(meeting, _))
            if meeting.cancelled
            else _(
                "The meeting {when} has not begun; who came can be recorded once it has.",
                when=meeting_when(meeting, _),
            ),
            buttons=meeting_choices(turn, "attendance record", held[-3:][::-1]),
        )
        return False
    roster = await turn.roster()
    previous = await latest_record(turn.conn, meeting.id)
    base = previous.seats if previous else await seats_from_notices(turn.conn, roster, meeting)
    try:
        seats = corrected(base, rest, roster, _)
        q = await record_quorum(turn.conn, seats, turn.dataset)
    except BadCorrection as error:
        turn.reply(str(error) + "\n\n" + usage(turn, meeting, base))
        return False
    except InvalidInput as error:
        turn.reply(
            _("One person counts once: {people} cannot sit in two seats.", people=error.detail)
            + "\n\n"
            + usage(turn, meeting, base)
        )
        return False
    assert turn.person is not None
    if save_now:
        record = await save_record(turn.conn, meeting.id, seats, by=turn.person.id, now=turn.now)
        turn.reply(saved_text(record, meeting, q, _))
        return True
    draft = await save_draft(turn.conn, meeting.id, seats, by=turn.person.id, now=turn.now)
    start = (
        _("Correcting version {version} of the record:", version=previous.version)
        if previous
        else _("Starting from the absences and answers; check it against who came:")
    )
    lines = [start, ""]
    lines += ["• " + seat_line(s, roster, _) for s in seats]
    lines += ["", _("{present} of {members} seats filled; the quorum needs {required}.", present=q.present,
                    members=q.members, required=q.required), "", usage(turn, meeting, seats)]  # fmt: skip
    turn.reply(
        "\n".join(lines),
        title=_("Preview: attendance of record {when}", when=meeting_when(meeting, _)),
        buttons=[
            [turn.button(_("Save"), f"attendance save {draft}"), turn.button(_("Cancel"), f"attendance drop {draft}")]
        ],
    )
    return True


def saved_text(record: AttendanceRecord, meeting: Meeting, q: Quorum, _: Translator) -> str:
    return (
        _(
            "The attendance of record for {when} is saved (version {version}).",
            when=meeting_when(meeting, _),
            version=record.version,
        )
        + "\n"
        + recorded_line(q, _)
    )


async def _button(turn: Turn, action: str, draft_id: int) -> None:
    _ = turn._
    settled = await settle_draft(turn.conn, draft_id, turn.now)
    turn.buttons_used()
    if settled is None:
        turn.reply(_("That record was already saved or dropped; nothing more happens."))
        return
    if action == "drop":
        turn.reply(_("Nothing was recorded."))
        return
    meeting_id, seats = settled
    meeting = next((m for m in await turn.meetings() if m.id == meeting_id), None)
    assert turn.person is not None
    if meeting is None:
        turn.reply(_("That meeting is no longer in the plan; nothing was recorded."))
        return
    record = await save_record(turn.conn, meeting_id, seats, by=turn.person.id, now=turn.now)
    turn.reply(
        saved_text(record, meeting, await record_quorum(turn.conn, seats, turn.dataset), _),
        buttons=[
            [
                turn.button(_("Attendance"), f"attendance {meeting_id}"),
                turn.button(_("Text for the minutes"), f"minutes {meeting_id}"),
            ]
        ],
    )
