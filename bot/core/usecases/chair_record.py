"""The chair and vice-chair of the period, as the council elected them and the secretariat records them.

kkrcore's chair election yields groups (a party or a valgforbund), never people: the council elects two of its
members (R-ELEC-1) at the constituent meeting, and only the secretariat can say whom. So the bot shows the
record beside its own computation; a record that does not match the computation is shown as such, not refused,
because the bot may lack a valgforbund the council approved (R-PER-1: until a result is recorded, the bot knows
only the computed expectation).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.commands import is_number
from bot.core.turn import Turn, display_name
from bot.core.usecases.elections import (
    compute_chair,
    constituent_meeting_or_say_none,
    expected_chair_case,
    extra_words_note,
    inferred_mechanics,
    valgforbund_decided,
)
from bot.core.usecases.period import council_for, next_period_meeting, next_period_refusal, period_name
from bot.delivery.message import Button
from bot.i18n import Translator
from bot.storage import elections as store
from bot.storage.roster import Person, Role, Roster
from kkrcore.draw import TieUnresolved
from kkrcore.elections import ALLIANCE_JOINER, ChairElection
from kkrcore.models import Meeting

RECORD = ("registrer", "record")
SEND = ("send",)
CANCEL = ("annuller", "cancel")


async def chair_case(turn: Turn) -> None:
    """`/formandsvalg`: before the period's constituent meeting the expected result; after it the record (or that
    it is missing) beside the computation; `/formandsvalg registrer …` records the elected (secretariat)."""
    meeting = await constituent_meeting_or_say_none(turn)
    if meeting is None:
        return
    if turn.args and turn.args[0].lower() in RECORD:
        await record_chair_case(turn, meeting, turn.args[1:])
        return
    note = extra_words_note(turn)
    if note:
        turn.reply(note)
    if meeting.start <= turn.now:
        await period_chair_case(turn, meeting, await turn.meetings())
        return
    await expected_chair_case(turn, meeting, convener_text((await council_for(turn, meeting)).roster, turn._))


class ChairRecordError(Exception):
    """A request the secretariat can correct; the text says how."""


def convener_text(roster: Roster, _: Translator) -> str:
    """R-MEET-2: who leads the constituent meeting until the chair is elected: the roster's longest-serving mayor,
    a field the secretariat sets (the data set's name is a real person's, not the roster's)."""
    mayor = next((p for p in roster.members if p.longest_serving and p.mayor), None)
    if mayor is None:
        return _(
            "Until the chair is elected, the longest-serving mayor leads the meeting; the roster does not say who "
            "that is (the secretariat marks it in the roster)."
        )
    return _(
        "Until the chair is elected, the longest-serving mayor, {name} ({municipality}), leads the meeting.",
        name=display_name(mayor, _),
        municipality=mayor.municipality,
    )


def person_line(person: Person | None, person_id: str, roster: Roster, _: Translator) -> str:
    """A recorded chair or vice-chair; a post whose holder is no longer a member is vacant (R-MEM-5)."""
    if person is None:
        return person_id
    current = roster.by_id.get(person.id)
    if current is None or current.role is not Role.MEMBER:
        return _("vacant: {name} has left the KKR", name=display_name(person, _))
    return _("{name} ({party}, {municipality})", name=display_name(person, _), party=person.party,
             municipality=person.municipality)  # fmt: skip


async def computed(turn: Turn, meeting: Meeting) -> ChairElection | None:
    """The bot's computation for the meeting: stored (with its recorded lots), or from the valgforbund approved in
    the bot; None when a tie in it has no recorded lot."""
    stored = await store.chair_result(turn.conn, meeting.id)
    if stored is not None:
        return ChairElection.model_validate(stored)
    alliances, _pending = await valgforbund_decided(turn.conn, meeting)
    try:
        return compute_chair((await council_for(turn, meeting)).dataset, alliances, [])
    except TieUnresolved:
        return None


def computed_text(result: ChairElection | None, alliances: Sequence[str], _: Translator) -> str:
    if result is None:
        return _("The bot's computation ties, and no lot is recorded in the bot.")
    computed = _(
        "The bot's computation from the votes and the valgforbund approved in the bot ({alliances}) gives the "
        "chair's post to {chair} and the vice-chair's to {vice}. It yields groups, not people.",
        alliances=", ".join(alliances) if alliances else _("none"),
        chair=result.chair,
        vice=result.vice_chair,
    )
    return computed + " " + inferred_mechanics(_)


def mismatches(result: ChairElection | None, chair: Person | None, vice: Person | None, _: Translator) -> list[str]:
    """A recorded person whose party is not in the group the computation gives the post: shown, never refused."""
    if result is None:
        return []
    sentences = (
        _(
            "The recorded chair's party, {party}, is not in the group the computation gives the chair's post "
            "({group}). The record stands; the bot may lack a valgforbund the council approved.",
            party=chair.party if chair else "",
            group=result.chair,
        ),
        _(
            "The recorded vice-chair's party, {party}, is not in the group the computation gives the vice-chair's "
            "post ({group}). The record stands; the bot may lack a valgforbund the council approved.",
            party=vice.party if vice else "",
            group=result.vice_chair,
        ),
    )
    posts = ((chair, result.chair), (vice, result.vice_chair))
    return [
        sentence
        for sentence, (person, group) in zip(sentences, posts, strict=True)
        if person is not None and person.party not in group.split(ALLIANCE_JOINER)
    ]


async def period_chair_case(turn: Turn, meeting: Meeting, meetings: Sequence[Meeting]) -> None:
    """`/formandsvalg` after the period's constituent meeting: the record, or that the election was held and is
    not recorded; beside it the computation; and why the next constituent meeting is not computed."""
    _ = turn._
    roster = await turn.roster()
    record = await store.chair_record(turn.conn, meeting.id)
    result = await computed(turn, meeting)
    alliances = [ALLIANCE_JOINER.join(a) for a in (await valgforbund_decided(turn.conn, meeting))[0]]
    lines: list[str] = []
    if record is not None:
        chair, vice = roster.ever_by_id.get(record.chair_id), roster.ever_by_id.get(record.vice_chair_id)
        lines += [
            _("Chair: {person}", person=person_line(chair, record.chair_id, roster, _)),
            _("Vice-chair: {person}", person=person_line(vice, record.vice_chair_id, roster, _)),
            _("Elected at the constituent meeting {when}, as recorded by the secretariat.", when=_.date(meeting.start)),
            "",
            computed_text(result, alliances, _),
            *mismatches(result, chair, vice, _),
        ]
    elif meeting.end > turn.now:  # under way: the election may not have been held yet
        lines += [
            _(
                "The chair and vice-chair of {period} are elected at the constituent meeting {when}, which is under "
                "way; the election is not recorded in the bot yet.",
                period=period_name(meeting),
                when=_.date(meeting.start),
            )
        ]
    else:
        lines += [
            _(
                "The chair and vice-chair of {period} were elected at the constituent meeting {when}; the election "
                "is not recorded in the bot.",
                period=period_name(meeting),
                when=_.date(meeting.start),
            )
        ]
        if turn.is_secretariat:
            lines.append(_("Record them: {command} {record} CHAIR-ID VICE-CHAIR-ID", command=turn.command("chair"),
                           record=RECORD[0] if _.language == "da" else RECORD[1]))  # fmt: skip
        lines += ["", computed_text(result, alliances, _)]
    coming = next_period_meeting(meetings, turn.opened)
    if coming is not None:
        lines += ["", next_period_refusal(coming, _, turn.now)]
    turn.reply(
        "\n".join(lines),
        title=_("Chair and vice-chair {period}", period=period_name(meeting)),
        buttons=[[turn.button(_("Valgforbund"), "valgforbund"), turn.button(_("Members"), "members")]],
    )


def _member(roster: Roster, person_id: str, _: Translator) -> Person:
    person = roster.by_id.get(person_id)
    if person is None or person.role is not Role.MEMBER:
        raise ChairRecordError(
            _(
                "{id} is not a member of the council; the chair and vice-chair are elected among its members.",
                id=person_id,
            )
        )
    return person


async def record_chair_case(turn: Turn, meeting: Meeting, args: Sequence[str]) -> None:
    """`/formandsvalg registrer CHAIR-ID VICE-CHAIR-ID`: a preview with Send / Cancel; `… send N`, `… annuller N`
    settle the preview once."""
    _ = turn._
    back = [[turn.button(_("Chair election"), "chair")]]
    try:
        if not turn.is_secretariat:
            raise ChairRecordError(_("Only the KKR secretariat can do that."))
        if len(args) == 2 and args[0].lower() in SEND + CANCEL and is_number(args[1]):
            await _settle(turn, meeting, int(args[1]), send=args[0].lower() in SEND)
            return
        if len(args) != 2:
            raise ChairRecordError(
                _("Write {command} {record} CHAIR-ID VICE-CHAIR-ID, with the two members' ids from the roster.",
                  command=turn.command("chair"), record=RECORD[0] if _.language == "da" else RECORD[1])
            )  # fmt: skip
        draft_id = await draft_chair_record(turn, meeting, args[0], args[1])
    except ChairRecordError as exc:
        turn.reply(str(exc), buttons=back)
        return
    roster = await turn.roster()
    chair, vice = roster.by_id[args[0]], roster.by_id[args[1]]
    result = await computed(turn, meeting)
    alliances = [ALLIANCE_JOINER.join(a) for a in (await valgforbund_decided(turn.conn, meeting))[0]]
    lines = [
        _("Record as elected at the constituent meeting {when}:", when=_.date(meeting.start)),
        _("Chair: {person}", person=person_line(chair, chair.id, roster, _)),
        _("Vice-chair: {person}", person=person_line(vice, vice.id, roster, _)),
        "",
        computed_text(result, alliances, _),
        *mismatches(result, chair, vice, _),
    ]
    word = "annuller" if _.language == "da" else "cancel"
    turn.reply(
        "\n".join(lines),
        title=_("Record the chair and vice-chair: preview"),
        buttons=[
            [
                Button(label=_("Record"), action=f"chair {RECORD[0]} send {draft_id}"),
                Button(label=_("Cancel"), action=f"chair {RECORD[0]} {word} {draft_id}"),
            ]
        ],
    )


async def draft_chair_record(turn: Turn, meeting: Meeting, chair_id: str, vice_id: str) -> int:
    """Checks the two (R-ELEC-1: members of the period, two different people) and keeps them as a draft."""
    _ = turn._
    if meeting.start > turn.now:
        raise ChairRecordError(
            _(
                "The chair and vice-chair are elected at the constituent meeting {when}; record them after it.",
                when=_.date(meeting.start),
            )
        )
    roster = await turn.roster()
    chair, vice = _member(roster, chair_id, _), _member(roster, vice_id, _)
    if chair.id == vice.id:
        raise ChairRecordError(_("The chair and the vice-chair are two different members."))
    by = turn.person.id if turn.person else None
    return await store.add_chair_draft(turn.conn, meeting.id, chair.id, vice.id, by, turn.now)


async def _settle(turn: Turn, meeting: Meeting, draft_id: int, *, send: bool) -> None:
    _ = turn._
    draft = await store.get_chair_draft(turn.conn, draft_id)
    if draft is None or draft.meeting_id != meeting.id:
        raise ChairRecordError(_("I cannot find that preview. Record the chair and vice-chair again."))
    if not await store.settle_chair_draft(turn.conn, draft.id, "sent" if send else "cancelled", turn.now):
        raise ChairRecordError(_("That preview is settled already."))
    turn.buttons_used()
    if not send:
        turn.reply(_("Nothing was recorded."), buttons=[[turn.button(_("Chair election"), "chair")]])
        return
    await period_chair_case(turn, meeting, await turn.meetings())
