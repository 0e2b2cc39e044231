"""Where a person stands for each coming meeting: their own absence, and the absences they were asked to
cover. `/status` lists it, and `/naeste`, `/moeder` and the afbud picker mark it, so nobody has to remember
what they answered in an old message."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.turn import Turn, display_name
from bot.delivery.message import Button
from bot.i18n import Translator
from bot.storage.absences import Absence, Answer, active_absences_involving
from bot.storage.roster import Roster


@dataclass(frozen=True)
class Standing:
    own: dict[str, Absence] = field(default_factory=dict)  # my notice, by meeting id
    covering: dict[str, list[Absence]] = field(default_factory=dict)  # notices I was asked to cover, by meeting id


async def standing_of(turn: Turn) -> Standing:
    if turn.person is None:
        return Standing()
    own: dict[str, Absence] = {}
    covering: dict[str, list[Absence]] = {}
    for absence in await active_absences_involving(turn.conn, turn.person.id):
        if absence.member_id == turn.person.id:
            own[absence.meeting_id] = absence
        else:
            covering.setdefault(absence.meeting_id, []).append(absence)
    return Standing(own, covering)


def substitute_status(absence: Absence, _: Translator, *, held: bool = False) -> str:
    """The substitute's answer; after the meeting (`held`), as what they had said: who came is the record's."""
    if held:
        return _held_status(absence, _)
    if absence.answer is Answer.ACCEPTED:
        return _("will attend")
    if absence.answer is Answer.DECLINED:
        return _("cannot attend")
    if absence.asked_again_at is not None:
        return _("is asked again, since the meeting was moved")
    return _("has not answered")


def _held_status(absence: Absence, _: Translator) -> str:
    if absence.answer is Answer.ACCEPTED:
        return _("had said they would attend")
    if absence.answer is Answer.DECLINED:
        return _("had said they could not attend")
    if absence.asked_again_at is not None:
        return _("had been asked again after the meeting was moved, and had not answered")
    return _("had not answered")


def own_absence_line(absence: Absence, roster: Roster, _: Translator, *, held: bool = False) -> str:
    """My notice; after the meeting (`held`), the substitute's answer as what they had said (R-MEET-4)."""
    substitute = roster.by_id.get(absence.substitute_id or "")
    if substitute is None:
        return _("You had reported absence.") if held else _("You have reported absence.")
    if held:
        return _(
            "You had reported absence; your substitute, {substitute}, {status}.",
            substitute=display_name(substitute, _),
            status=substitute_status(absence, _, held=True),
        )
    return _(
        "You have reported absence; your substitute, {substitute}, {status}.",
        substitute=display_name(substitute, _),
        status=substitute_status(absence, _),
    )


def cover_line(absence: Absence, roster: Roster, _: Translator, *, held: bool = False) -> str:
    member = roster.ever_by_id.get(absence.member_id)  # a member who left keeps their name, never a raw id
    name = display_name(member, _) if member else absence.member_id
    if held:  # who came is the secretariat's record, not the answer (R-MEET-4)
        return _(
            "{member} had asked you to attend in their place; you {status}.",
            member=name,
            status=_held_answer(absence, _),
        )
    if absence.answer is Answer.ACCEPTED:
        return _("You attend in place of {member}.", member=name)
    if absence.answer is Answer.DECLINED:
        return _("You said you cannot attend in place of {member}.", member=name)
    if absence.asked_again_at is not None:
        return _("The meeting was moved: can you still attend in place of {member}? Please answer.", member=name)
    return _("{member} has asked you to attend in their place; please answer.", member=name)


def _held_answer(absence: Absence, _: Translator) -> str:
    if absence.answer is Answer.ACCEPTED:
        return _("had said you would attend")
    if absence.answer is Answer.DECLINED:
        return _("had said you could not attend")
    return _("had not answered")


def meeting_marks(
    standing: Standing, meeting_id: str, roster: Roster, _: Translator, *, held: bool = False
) -> list[str]:
    """One line per thing the person has to do with this meeting (none: they simply attend, or not); after
    the meeting (`held`), what they had said."""
    lines = []
    if own := standing.own.get(meeting_id):
        lines.append(own_absence_line(own, roster, _, held=held))
    lines.extend(cover_line(a, roster, _, held=held) for a in standing.covering.get(meeting_id, []))
    return lines


def answer_buttons(absence_id: int, _: Translator) -> list[Button]:
    """The substitute's answer to the alert of absence `absence_id`; the same actions as under the alert itself."""
    return [
        Button(label=_("I will attend"), action=f"cover {absence_id} yes"),
        Button(label=_("I cannot"), action=f"cover {absence_id} no"),
    ]


def change_answer_button(absence: Absence, _: Translator, date: str) -> Button:
    """A substitute may change their mind until the meeting starts (issue 23): the opposite of what they
    answered, with the meeting's date, so a /status listing several meetings stays unambiguous."""
    if absence.answer is Answer.ACCEPTED:
        return Button(label=_("I cannot attend after all ({date})", date=date), action=f"cover {absence.id} no")
    return Button(label=_("I can attend after all ({date})", date=date), action=f"cover {absence.id} yes")
