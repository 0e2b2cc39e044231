"""The council's composition as kkrcore computes it, how it was computed, and the quorum."""

from __future__ import annotations

from bot.core.turn import Turn
from bot.i18n import Translator
from kkrcore.apportionment import Method
from kkrcore.composition import LOCAL_LISTS, Composition, CompositionInput, compute_composition
from kkrcore.meetings import quorum


def method_name(method: Method, _: Translator) -> str:
    names = {
        Method.HARE: _("largest remainder (Hare)"),
        Method.DHONDT: _("d'Hondt"),
        Method.SAINTE_LAGUE: _("Sainte-Laguë"),
    }
    return names[method]


def party_label(party: str, _: Translator) -> str:
    return _("local lists") if party == LOCAL_LISTS else party


def composition_table(composition: Composition, _: Translator) -> str:
    party_label, mayors_label, added_label, total_label = _("Party"), _("Mayors"), _("Added"), _("Total")
    rows = [f"{party_label:<6}{mayors_label:>9}{added_label:>8}{total_label:>7}"]
    for party, seats in sorted(composition.parties.items()):
        rows.append(f"{party:<6}{seats.mayors:>9}{seats.supplementary:>8}{seats.total:>7}")
    mayors = sum(s.mayors for s in composition.parties.values())
    added = sum(s.supplementary for s in composition.parties.values())
    all_label = _("All")
    rows.append(f"{all_label:<6}{mayors:>9}{added:>8}{composition.size:>7}")
    return "\n".join(rows)


async def composition_case(turn: Turn) -> None:
    _ = turn._
    composition = compute_composition(CompositionInput.from_dataset(turn.dataset))
    excluded = ", ".join(sorted(party_label(e.party, _) for e in composition.excluded))
    lines = [
        _(
            "The seats are shared in proportion to the parties' votes in the region at the municipal election, "
            "by {method}. Every mayor is a member and counts inside their party's share.",
            method=method_name(composition.method, _),
        )
    ]
    if excluded:
        lines.append(
            _(
                "Not taking part (under 2 % of the votes, or no council seat): {parties}.",
                parties=excluded,
            )
        )
    for party in composition.overhang:
        lines.append(
            _(
                "{party} has more mayors than its proportional share, keeps them all and gets no added seats; "
                "the other parties share the rest.",
                party=party,
            )
        )
    if turn.args:
        # Another period or any other word: this bot holds one period's data, and its text says so first.
        lines.insert(0, _("I only hold the period {period}; here is its composition.", period=turn.dataset.period))
    q = quorum(composition.size, composition.size)
    lines.append(
        _(
            "Quorum: at least {required} of the {members} members present.",
            required=q.required,
            members=q.members,
        )
    )
    turn.reply(
        "\n".join(lines),
        title=_("Composition {period}: {size} members", period=turn.dataset.period, size=composition.size),
        pre=composition_table(composition, _),
        buttons=[[turn.button(_("Members by party"), "members parti"), turn.button(_("Next meeting"), "next")]],
    )
