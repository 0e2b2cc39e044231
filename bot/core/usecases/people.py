"""Who substitutes whom, and the members by municipality or by party."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from bot.core.turn import Turn, _p, display_name, who
from bot.core.usecases.period import ended_note, period_name
from bot.core.usecases.seats import vacant_seats_line
from bot.storage.composition_lots import council_composition
from bot.storage.roster import Person, Role, Roster
from bot.storage.roster_seats import vacancies
from kkrcore.draw import TieUnresolved
from kkrcore.models import Dataset


def fold(text: str) -> str:
    """'Morsø', 'morsoe', 'morso' and 'MORSØ' all find Morsø; 'Læsø' is found as 'laeso' and 'laesoe' too."""
    text = text.lower().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    text = text.replace("oe", "o").replace("aa", "a")
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if c.isalnum())


# "aalborg kommune", "Aalborg Municipality": the suffix names nothing more.
SUFFIXES = ("kommunes", "kommune", "municipality")


def _without_suffix(folded: str) -> str:
    for suffix in SUFFIXES:
        if folded.endswith(suffix) and len(folded) > len(suffix):
            return folded[: -len(suffix)]
    return folded


def named_group(query: str, dataset: Dataset) -> tuple[str, str] | None:
    """What /medlemmer and /udsend read a word as (issue 23: one parser): ("municipality", "Aalborg") for
    "aalborg kommune" or "Aalborg Municipality", ("party", "V") for "V", "v" or "Venstre", or None."""
    municipalities = {fold(m.name): m.name for m in dataset.municipalities}
    if (folded := _without_suffix(fold(query))) in municipalities:
        return "municipality", municipalities[folded]
    parties = {party.letter: party.name for party in dataset.parties}
    if query.strip().upper() in parties:
        return "party", query.strip().upper()
    by_name = {fold(name): letter for letter, name in parties.items()}
    return ("party", by_name[fold(query)]) if fold(query) in by_name else None


async def substitute_case(turn: Turn) -> None:
    _ = turn._
    assert turn.person is not None
    roster = await turn.roster()
    ended = await ended_note(turn)  # R-PER-1: the period is over and the next one not loaded: say what was
    lines = [ended] if ended else []
    # A member as the roster has them now (R-MEM-1, R-MEM-5: from 1 January after the election a new mayor is
    # one and a mayor who lost is not, bot/core/usecases/period.py roster_in_window).
    lines += _seat_lines(turn, roster, ended=bool(ended))
    coming = turn.conversation.next_period_at(turn.now)
    council = turn.conversation.council_roster(coming) if coming is not None and not lines else None
    joining = council.by_id.get(turn.person.id) if council is not None else None
    if coming is not None and council is not None and joining is not None and joining.role is not Role.SECRETARIAT:
        # R-PER-1: a person of the loaded next council with no seat today; say where they sit from its meeting.
        lines.append(
            _(
                "You join the council of {period} at the constituent meeting {when}.",
                period=period_name(coming.constituent),
                when=_.date(coming.constituent.start),
            )
        )
        lines += _seat_lines(turn, council, ended=False)
    if len(lines) == bool(ended):
        lines.append(_("You are neither a member nor a substitute."))
    turn.reply(
        "\n".join(lines),
        title=_("Substitutes"),
        buttons=[[turn.button(_("Next meeting"), "next"), turn.button(_("Members"), "members")]],
    )


def _seat_lines(turn: Turn, roster: Roster, *, ended: bool) -> list[str]:
    """The asker's substitute and whom they substitute for, in `roster` (today's, or a loaded next council's)."""
    _ = turn._
    assert turn.person is not None
    lines = []
    if turn.person.id in roster.substitute_of:
        substitute_id = roster.substitute_of.get(turn.person.id)
        substitute = roster.by_id.get(substitute_id) if substitute_id else None
        if substitute is None:
            lines.append(_("You have no substitute in the roster. Please contact the secretariat."))
        elif roster.by_id[turn.person.id].mayor:
            lines.append(_mayor_substitute(turn, substitute, roster, ended=ended))
        elif ended:
            lines.append(_("Your personal substitute was {person}.", person=who(substitute, _)))
        else:
            lines.append(_("Your personal substitute is {person}.", person=who(substitute, _)))
    for member in roster.substitutes_for(turn.person.id):
        line = (
            _("You were the substitute for {person}.", person=who(member, _))
            if ended
            else _("You substitute for {person}.", person=who(member, _))
        )
        if member.mayor and (turn.person.vice_mayor_rank or 1) > 1:  # R-MEM-2's second half is inferred
            line += " " + _(
                "As 2nd deputy mayor, because the 1st deputy mayor is a member of the KKR already (inferred: the "
                "sources name only the deputy mayor; one known case had the 2nd stand in)."
            )
        lines.append(line)
    return lines


def _mayor_substitute(turn: Turn, substitute: Person, roster: Roster, *, ended: bool) -> str:
    """A mayor's substitute is the deputy mayor, or the 2nd when the 1st is a member himself (R-MEM-2): say
    which, and why, so a mayor is not surprised that it is not the deputy mayor she knows."""
    _ = turn._
    assert turn.person is not None
    mayor = roster.by_id[turn.person.id]
    named = (
        _("As mayor you were substituted by {person}.", person=who(substitute, _))
        if ended
        else _("As mayor you are substituted by {person}.", person=who(substitute, _))
    )
    if (substitute.vice_mayor_rank or 1) == 1:
        return named
    first = next(
        (
            p
            for p in roster.people
            if p.municipality == mayor.municipality and p.vice_mayor_rank == 1 and p.role is Role.MEMBER
        ),
        None,
    )
    reason = (
        _(
            "The 1st deputy mayor, {name}, is a member of the KKR already, so the 2nd deputy mayor substitutes "
            "for you (inferred: the sources name only the deputy mayor; one known case had the 2nd stand in).",
            name=display_name(first, _),
        )
        if first
        else _(
            "The 1st deputy mayor is a member of the KKR already, so the 2nd deputy mayor substitutes for you "
            "(inferred: the sources name only the deputy mayor; one known case had the 2nd stand in)."
        )
    )
    return named + " " + reason


def _member_line(member: Person, roster: Roster, turn: Turn) -> str:
    _ = turn._
    substitute_id = roster.substitute_of.get(member.id)
    substitute = roster.by_id.get(substitute_id) if substitute_id else None
    kind = _("mayor") if member.mayor else _("elected")
    line = f"{display_name(member, _)} ({member.party}, {member.municipality}, {kind})"
    if substitute:
        line += "\n   " + _("substitute: {name}", name=display_name(substitute, _))
    else:
        line += "\n   " + _("no substitute")
    return line


async def members_case(turn: Turn) -> None:
    _ = turn._
    roster = await turn.roster()
    members = roster.members
    by_buttons = [[turn.button(_("By municipality"), "members kommune"), turn.button(_("By party"), "members parti")]]
    query = " ".join(turn.args).strip()
    ended = await ended_note(turn)  # R-PER-1: the period is over and the next one not loaded: the old council
    if not query:
        question = _("Show the members by municipality or by party?")
        turn.reply(f"{ended}\n\n{question}" if ended else question, title=_("Members"), buttons=by_buttons)
        return
    folded = _without_suffix(fold(query))
    municipalities = {fold(m.name): m.name for m in turn.dataset.municipalities}
    # A party by its letter or its name, among every party of the data set (M has no members, but is one).
    parties = {party.letter: party.name for party in turn.dataset.parties}
    named = named_group(query, turn.dataset)
    letter = named[1] if named and named[0] == "party" else None
    vacant = await _vacancies(turn, members)
    if folded in ("kommune", "kommuner", "municipality", "municipalities"):
        groups = [(name, [m for m in members if m.municipality == name]) for name in sorted(municipalities.values())]
    elif folded in ("parti", "partier", "party", "parties"):
        present = sorted({m.party for m in members if m.party} | set(vacant))
        groups = [(f"{p} – {parties.get(p, p)}", [m for m in members if m.party == p]) for p in present]
    elif named and named[0] == "municipality":
        name = named[1]
        groups = [(name, [m for m in members if m.municipality == name])]
    elif letter:
        group = [m for m in members if m.party == letter]
        if not group and not vacant.get(letter):
            turn.reply(
                _(
                    "{party} – {name} has no members of the KKR in this period. {composition} shows how the seats "
                    "were shared.",
                    party=letter,
                    name=parties[letter],
                    composition=turn.command("composition"),
                ),
                title=_("Members"),
                buttons=[[turn.button(_("Composition"), "composition"), *by_buttons[0]]],
            )
            return
        groups = [(f"{letter} – {parties[letter]}", group)]
    else:
        turn.reply(
            _(
                "I do not know “{query}”. Write a municipality (for example Aalborg) or a party (for example A or "
                "Venstre), or choose below.",
                query=query,
            ),
            buttons=by_buttons,
        )
        return
    lines = [ended] if ended else []
    for heading, group in groups:
        lines.append(f"\n{heading} ({len(group)})")
        lines.extend(f"• {_member_line(member, roster, turn)}" for member in group)
        party = heading.split(" – ")[0]
        if folded not in municipalities and vacant.get(party):
            lines.append("• " + _p(turn, "{count} seat vacant (inferred)", "{count} seats vacant (inferred)",
                                   vacant[party]))  # fmt: skip
        elif not group:
            lines.append("• " + _("no members"))
    if vacant and (line := await vacant_seats_line(turn)):
        lines.append("\n" + line)
    turn.reply("\n".join(lines).strip(), title=_("Members"), buttons=by_buttons)


async def _vacancies(turn: Turn, members: Sequence[Person]) -> dict[str, int]:
    """Each party's supplementary seats that no elected member holds (R-MEM-7, inferred); none while the
    composition waits for a lot."""
    try:
        composition = await council_composition(turn.conn, turn.dataset)
    except TieUnresolved:
        return {}
    return vacancies((m.party for m in members if not m.mayor), composition)


def find_people(roster: Roster, query: str) -> list[Person]:
    """Roster people whose id is `query`, or whose name contains it ('klitgaard', 'Mikael')."""
    if query in roster.by_id:
        return [roster.by_id[query]]
    folded = fold(query)
    return [p for p in roster.people if folded and folded in fold(p.name)]
