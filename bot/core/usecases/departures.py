"""Someone leaves the KKR (R-MEM-5): a member who leaves the council or the party, a mayor who stops being mayor
(R-MEM-1), or a substitute. What they had standing is closed, and everyone it concerns is told.

A member's seat stays the party's and is vacant until the secretariat records the new member (R-MEM-7,
inferred): the seeds do not say how it is filled, so the bot says nothing about it beyond that. The quorum is
still counted against the composition's seats (R-MEET-4).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.commands import is_number
from bot.core.turn import Turn, _p, display_name, quoted
from bot.core.usecases.absence_notices import check_quorum
from bot.core.usecases.meetings import meeting_when
from bot.core.usecases.period import in_loaded_period, period_constituent_meeting, period_name
from bot.delivery.message import Message
from bot.i18n import Translator
from bot.storage import elections as store
from bot.storage.absences import close_for_departure
from bot.storage.departure_drafts import add_departure_draft, settle_departure_draft
from bot.storage.roster import Person, Role, Roster, archive_people, become_substitute
from kkrcore.meetings import upcoming_meetings
from kkrcore.membership import Tenure, tenure_after_change
from kkrcore.models import Meeting

COUNCIL = ("byraad", "byråd", "council")
PARTY = ("parti", "party")
MAYORALTY = ("borgmester", "mayor")
SEND = ("send",)
CANCEL = ("annuller", "cancel")


async def vacated_posts(turn: Turn, person: Person) -> list[str]:
    """The posts of the period that `person` held and leaves vacant: chair or vice-chair, as the secretariat
    recorded them (R-ELEC-1: the chair and vice-chair are among the members). The record stays as history;
    /formandsvalg shows the post as vacant once its holder is no longer a member."""
    _ = turn._
    constituent = period_constituent_meeting(await turn.meetings(), turn.opened)
    record = await store.chair_record(turn.conn, constituent.id) if constituent is not None else None
    if record is None:
        return []
    return [post for post, holder in ((_("chair"), record.chair_id), (_("vice-chair"), record.vice_chair_id))
            if holder == person.id]  # fmt: skip


def kind_of(word: str) -> str:
    word = word.lower()
    return "council" if word in COUNCIL else "party" if word in PARTY else "mayoralty" if word in MAYORALTY else ""


async def departure_case(turn: Turn) -> None:
    """`/udtraedelse PERSON-ID byraad|parti|borgmester`: a preview of what follows, recorded only on Send
    (`… send N`) and dropped on Cancel (`… annuller N`), once; a refusal is answered at once."""
    _ = turn._
    args = turn.args
    if len(args) == 2 and args[0].lower() in SEND + CANCEL and is_number(args[1]):
        await _settle(turn, int(args[1]), send=args[0].lower() in SEND)
        return
    shown, changes = await turn.rehearse(lambda: _depart(turn, args))
    if not changes:
        turn.outcome.replies.extend(shown)
        return
    by = turn.person.id if turn.person else None
    draft_id = await add_departure_draft(turn.conn, args, by, turn.now)
    turn.reply(
        "\n\n".join([_("Nothing is recorded until you press Send. If it is recorded, the bot answers:"),
                      *(reply.text for reply in shown)]),
        title=_("Check before recording"),
        buttons=[[turn.button(_("Send"), f"departure send {draft_id}"),
                  turn.button(_("Cancel"), f"departure annuller {draft_id}")]],
    )  # fmt: skip


async def _settle(turn: Turn, draft_id: int, *, send: bool) -> None:
    _ = turn._
    words = await settle_departure_draft(turn.conn, draft_id, "sent" if send else "cancelled", turn.now)
    if words is None:
        turn.reply(_("That preview is settled already, or I cannot find it."),
                   buttons=[[turn.button(_("Members"), "members parti")]])  # fmt: skip
        return
    turn.buttons_used()
    if send:
        await _depart(turn, words)
    else:
        turn.reply(_("Nothing was recorded."), buttons=[[turn.button(_("Members"), "members parti")]])


async def _depart(turn: Turn, args: Sequence[str]) -> None:
    """A member or a substitute leaves the KKR."""
    _ = turn._
    assert turn.person is not None
    roster = await turn.roster()
    buttons = [[turn.button(_("Members"), "members parti")]]
    usage = _(
        "Record that someone leaves the KKR: /udtraedelse PERSON-ID byraad (left the municipal council), parti "
        "(left the party) or borgmester (a mayor who is no longer mayor). It works for members and substitutes."
    )
    person = roster.by_id.get(args[0]) if args else None
    kind = kind_of(args[1]) if len(args) > 1 else ""
    gone = roster.ever_by_id.get(args[0]) if args and person is None else None
    if gone is not None:
        turn.reply(
            _("{name} has already left the roster; nothing was recorded again.", name=display_name(gone, _)),
            buttons=buttons,
        )
        return
    coming = turn.conversation.next_period_at(turn.now)
    if person is not None and coming is not None and person.id in {p.id for p in roster.pending}:
        # A person of the loaded next council who has not joined the roster yet (R-PER-1) cannot leave it: what
        # changes is the next period's roster.
        turn.reply(
            _(
                "{name} is not in the roster yet: they join it with the council of {period} at the constituent "
                "meeting {when}. Nothing was recorded. If they will not, correct the next period's roster file and "
                "load it again: kkrbot period load DATA ROSTER (it replaces what was loaded).",
                name=display_name(person, _),
                period=period_name(coming.constituent),
                when=_.date(coming.constituent.start),
            ),
            buttons=buttons,
        )
        return
    if person is None or person.role is Role.SECRETARIAT or not kind or (kind == "mayoralty" and not person.mayor):
        # The reason first where it is known, then how to write it.
        if args and person is None:
            usage = _("There is nobody with the id “{id}” in the roster.", id=quoted(args[0])) + " " + usage
        elif person is not None and person.role is Role.SECRETARIAT:
            usage = _("{name} is not a member of the KKR.", name=display_name(person, _)) + " " + usage
        elif person is not None and kind == "mayoralty":
            usage = _("{name} is not a mayor.", name=display_name(person, _)) + " " + usage
        turn.reply(usage, buttons=buttons)
        return
    if kind == "party" and await store.left_party_before(turn.conn, person.id):
        # A viceborgmester who left the party as a member stays on as viceborgmester: the same record again is
        # nothing new (leaving the council still is).
        turn.reply(_("{name} has already left the party; nothing was recorded again.", name=display_name(person, _)),
                   buttons=buttons)  # fmt: skip
        return
    if person.role is Role.SUBSTITUTE:
        await _substitute_leaves(turn, person, kind, roster)
        return
    tenure = tenure_after_change(
        mayor=person.mayor,
        council_member=kind != "council",
        in_electing_party=kind != "party",
        still_mayor=kind != "mayoralty",
    )
    departure = await store.add_departure(turn.conn, person.id, tenure.reason.value, turn.now)
    if tenure.stays:
        turn.reply(
            _("{name} is mayor and stays a member after changing party; the composition is not recalculated. "
              "Nothing else follows.", name=display_name(person, _)),
            buttons=buttons,
        )  # fmt: skip
        return
    await _member_leaves(turn, person, kind, tenure, departure, roster)


async def _coming(turn: Turn) -> list[Meeting]:
    """The meetings of this period still to come: what a departure closes (held ones stay for the minutes)."""
    meetings = await turn.meetings()
    return [m for m in upcoming_meetings(meetings, turn.now) if in_loaded_period(m, meetings, turn.opened)]


async def _member_leaves(turn: Turn, member: Person, kind: str, tenure: Tenure, departure: int, roster: Roster) -> None:
    _ = turn._
    coming = await _coming(turn)
    own, _covering = await close_for_departure(turn.conn, member.id, [m.id for m in coming], departure, turn.now)
    # Still a council member after losing the mayoralty: appointments to regional fora do not end (R-ELEC-7).
    fora = [] if kind == "mayoralty" else await store.end_appointments(turn.conn, member.id, turn.now)
    posts = await vacated_posts(turn, member)
    substitute_id = roster.substitute_of.get(member.id)
    substitute = roster.by_id.get(substitute_id) if substitute_id else None
    # A viceborgmester who leaves the party (or a mayoralty) is still on the council and still viceborgmester: they
    # stay in the roster as one, and may now be the one who substitutes for the mayor (R-MEM-2).
    still_vice_mayor = bool(member.vice_mayor_rank) and kind != "council"
    if still_vice_mayor:
        await become_substitute(turn.conn, member.id)
    else:
        await archive_people(turn.conn, [member.id], turn.now)
    name = display_name(member, _)
    if kind == "mayoralty":
        lines = [_("{name} is no longer mayor of {municipality} and so no longer a member of the KKR: every mayor "
                   "is a member for being mayor.", name=name, municipality=member.municipality)]  # fmt: skip
    else:
        lines = [_("{name} leaves the KKR: a member leaves on leaving the municipal council, or the party that "
                   "elected them.", name=name)]  # fmt: skip
    if member.mayor:
        lines.append(_("The municipality's new mayor becomes a member. Import them with `kkrbot roster import` and "
                       "invite them."))  # fmt: skip
    else:
        lines.append(_("The seat stays party {party}'s and is vacant until you record the new member (inferred: the "
                       "sources do not say how the seat is filled). The composition is not recalculated, and the "
                       "quorum is still counted against all its seats.", party=member.party))  # fmt: skip
    if own:
        lines.append(_p_closed(turn, len(own)))
    if fora:
        lines.append(_("Appointments that end and must be filled again: {fora}.", fora=", ".join(fora)))
    if kind == "mayoralty":
        lines.append(_("Appointments to regional fora do not end by this: {name} still sits on the municipal "
                       "council.", name=name))  # fmt: skip
    for post in posts:
        lines.append(_("The post of {post} is vacant.", post=post))
    told = [display_name(p, _) for p in _people(roster, [substitute.id] if substitute else [])]
    told += [display_name(p, _) for p in _people(roster, [a.substitute_id or "" for a in own]) if p is not substitute]
    if told:
        lines.append(_("Told: {names}.", names=", ".join(told)))
    if still_vice_mayor:
        lines.extend(await _vice_mayor_stays(turn, member))
    turn.reply("\n".join(lines), title=_("A member leaves"), buttons=[[turn.button(_("Fora"), "forum")]])
    by_id = {m.id: m for m in coming}
    if substitute is not None:
        await turn.notify(substitute.id, lambda _: Message(text=_substitute_told(member, _)))
    for absence in own:
        alerted = roster.by_id.get(absence.substitute_id or "")
        if alerted is not None:
            meeting = by_id[absence.meeting_id]
            await turn.notify(alerted.id, lambda _, meeting=meeting: Message(  # type: ignore[misc]
                title=_("You are not needed after all"),
                text=_("{member} has left the KKR, so you are no longer asked to attend the meeting {when} in their "
                       "place.", member=display_name(member, _), when=meeting_when(meeting, _)),
            ))  # fmt: skip
    await _after(turn, coming)


async def _vice_mayor_stays(turn: Turn, person: Person) -> list[str]:
    """The member who left is still viceborgmester: say who now substitutes for the mayor, and tell the mayor."""
    _ = turn._
    after = await turn.conversation.roster(turn.conn)
    mayor = next((p for p in after.members if p.mayor and p.municipality == person.municipality), None)
    substitute = after.by_id.get(after.substitute_of.get(mayor.id) or "") if mayor else None
    lines = [_("{name} stays in the roster as viceborgmester of {municipality}.", name=display_name(person, _),
               municipality=person.municipality)]  # fmt: skip
    if mayor is not None and substitute is not None:
        lines.append(_("{mayor}'s substitute is now {substitute}.", mayor=display_name(mayor, _),
                       substitute=display_name(substitute, _)))  # fmt: skip
        await turn.notify(mayor.id, lambda _: Message(
            title=_("Your substitute"),
            text=_("Your substitute is now {name}.", name=display_name(substitute, _)),
        ))  # fmt: skip
    return lines


def _substitute_told(member: Person, _: Translator) -> str:
    if member.mayor:
        return _("{name} has left the KKR. The municipality's new mayor becomes a member, and the viceborgmester "
                 "substitutes for the mayor.", name=display_name(member, _))  # fmt: skip
    return _("{name} has left the KKR, so you are no longer their personal substitute. The secretariat records the "
             "new member.", name=display_name(member, _))  # fmt: skip


def _p_closed(turn: Turn, count: int) -> str:
    return _p(turn, "Their absence notice for a coming meeting is closed.",
              "Their {count} absence notices for coming meetings are closed.", count)  # fmt: skip


def _people(roster: Roster, ids: Sequence[str]) -> list[Person]:
    return [p for p in dict.fromkeys(roster.by_id[i] for i in ids if i in roster.by_id)]


async def _substitute_leaves(turn: Turn, substitute: Person, kind: str, roster: Roster) -> None:
    """A substitute leaves: the members they stood in for are left without one (a mayor gets the next
    viceborgmester, R-MEM-2), and the alerts they had are taken back."""
    _ = turn._
    departure = await store.add_departure(turn.conn, substitute.id, f"substitute_{kind}", turn.now)
    coming = await _coming(turn)
    _own, covering = await close_for_departure(turn.conn, substitute.id, [m.id for m in coming], departure, turn.now)
    members = roster.substitutes_for(substitute.id)
    await archive_people(turn.conn, [substitute.id], turn.now)
    after = await turn.conversation.roster(turn.conn)
    name = display_name(substitute, _)
    lines = [_("{name} leaves as a substitute and has left the roster.", name=name)]
    if kind == "party":
        lines.append(_("(Inferred: the sources say a member leaves on leaving their party; the bot treats a "
                       "substitute the same way.)"))  # fmt: skip
    by_id = {m.id: m for m in coming}
    for member in members:
        now_substitute = after.by_id.get(after.substitute_of.get(member.id) or "")
        if now_substitute is not None:
            lines.append(_("{member} is now substituted by {substitute}.", member=display_name(member, _),
                           substitute=display_name(now_substitute, _)))  # fmt: skip
        else:
            lines.append(_("{member} has no substitute until you record a new one (import the roster).",
                           member=display_name(member, _)))  # fmt: skip
        dates = [by_id[a.meeting_id] for a in covering if a.member_id == member.id]
        await turn.notify(
            member.id,
            lambda _, member=member, now_substitute=now_substitute, dates=dates: Message(  # type: ignore[misc]
                title=_("Your substitute has left"),
                text=_member_told(substitute, now_substitute, dates, _),
            ),
        )
    turn.reply("\n".join(lines), title=_("A substitute leaves"), buttons=[[turn.button(_("Members"), "members")]])
    await _after(turn, coming)


def _member_told(substitute: Person, now_substitute: Person | None, dates: Sequence[Meeting], _: Translator) -> str:
    lines = [_("{name} has left the KKR and is no longer your substitute.", name=display_name(substitute, _))]
    if now_substitute is not None:
        lines.append(_("Your substitute is now {name}.", name=display_name(now_substitute, _)))
    else:
        lines.append(_("You have no substitute until the secretariat records a new one."))
    lines.extend(
        _("Nobody is asked to attend the meeting {when} in your place; your absence stands.", when=meeting_when(m, _))
        for m in dates
    )
    return "\n".join(lines)


async def _after(turn: Turn, coming: Sequence[Meeting]) -> None:
    """The quorum of every coming meeting is counted again: a seat left empty, or a substitute no longer coming,
    can put it at risk (the secretariat is told once per change of state)."""
    turn._roster = None  # the rest of the turn sees the roster without the person who left
    for meeting in coming:
        await check_quorum(turn, meeting)
