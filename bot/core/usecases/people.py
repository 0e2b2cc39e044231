"""Who substitutes whom, and the members by municipality or by party."""

from __future__ import annotations

import unicodedata

from bot.core.turn import Turn, describe_role, display_name
from bot.storage.roster import Person, Role, Roster


def _fold(text: str) -> str:
    """'Morsø', 'morsoe' and 'MORSO' all find Morsø."""
    text = text.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if c.isalnum())


async def substitute_case(turn: Turn) -> None:
    _ = turn._
    assert turn.person is not None
    roster = await turn.roster()
    lines = []
    if turn.person.role is Role.MEMBER:
        substitute_id = roster.substitute_of.get(turn.person.id)
        substitute = roster.by_id.get(substitute_id) if substitute_id else None
        if substitute is None:
            lines.append(_("You have no substitute in the roster. Please contact the secretariat."))
        elif turn.person.mayor:
            lines.append(
                _(
                    "As mayor you are substituted by the viceborgmester: {name}, {role}.",
                    name=display_name(substitute, _),
                    role=describe_role(substitute, _),
                )
            )
        else:
            lines.append(
                _(
                    "Your personal substitute is {name}, {role}.",
                    name=display_name(substitute, _),
                    role=describe_role(substitute, _),
                )
            )
    for member in roster.substitutes_for(turn.person.id):
        lines.append(
            _(
                "You substitute for {name}, {role}.",
                name=display_name(member, _),
                role=describe_role(member, _),
            )
        )
    if not lines:
        lines.append(_("You are neither a member nor a substitute."))
    turn.reply(
        "\n".join(lines),
        title=_("Substitutes"),
        buttons=[[turn.button(_("Next meeting"), "next"), turn.button(_("Members"), "members")]],
    )


def _member_line(member: Person, roster: Roster, turn: Turn) -> str:
    _ = turn._
    substitute_id = roster.substitute_of.get(member.id)
    substitute = roster.by_id.get(substitute_id) if substitute_id else None
    kind = _("mayor") if member.mayor else _("elected")
    line = f"{display_name(member, _)} ({member.party}, {member.municipality}, {kind})"
    if substitute:
        line += "\n   " + _("substitute: {name}", name=display_name(substitute, _))
    return line


async def members_case(turn: Turn) -> None:
    _ = turn._
    roster = await turn.roster()
    members = roster.members
    by_buttons = [[turn.button(_("By municipality"), "members kommune"), turn.button(_("By party"), "members parti")]]
    query = " ".join(turn.args).strip()
    if not query:
        turn.reply(_("Show the members by municipality or by party?"), title=_("Members"), buttons=by_buttons)
        return
    folded = _fold(query)
    municipalities = {_fold(m.name): m.name for m in turn.dataset.municipalities}
    parties = sorted({m.party for m in members if m.party})
    if folded in ("kommune", "kommuner", "municipality", "municipalities"):
        groups = [(name, [m for m in members if m.municipality == name]) for name in sorted(municipalities.values())]
    elif folded in ("parti", "partier", "party", "parties"):
        groups = [(party, [m for m in members if m.party == party]) for party in parties]
    elif folded in municipalities:
        name = municipalities[folded]
        groups = [(name, [m for m in members if m.municipality == name])]
    elif query.upper() in parties:
        groups = [(query.upper(), [m for m in members if m.party == query.upper()])]
    else:
        turn.reply(
            _(
                "I do not know “{query}”. Write a municipality (for example Aalborg) or a party letter "
                "(for example A), or choose below.",
                query=query,
            ),
            buttons=by_buttons,
        )
        return
    lines = []
    for heading, group in groups:
        lines.append(f"\n{heading} ({len(group)})")
        lines.extend(f"• {_member_line(member, roster, turn)}" for member in group)
        if not group:
            lines.append("• " + _("no members"))
    turn.reply("\n".join(lines).strip(), title=_("Members"), buttons=by_buttons)
