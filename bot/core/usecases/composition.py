"""The council's composition as kkrcore computes it, how it was computed, and the quorum."""

from __future__ import annotations

from bot.core.turn import Turn, _p
from bot.core.usecases.period import ended_note
from bot.core.usecases.seats import vacant_seats_line
from bot.i18n import Translator
from bot.storage.composition_lots import (
    composition_lots,
    composition_with_lots,
    council_composition,
    record_composition_lot,
)
from kkrcore.apportionment import Method
from kkrcore.composition import LOCAL_LISTS, Composition
from kkrcore.draw import TieUnresolved
from kkrcore.meetings import quorum
from kkrcore.reasons import Reason

LOT = ("lod", "lot")


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


def exclusion_lines(composition: Composition, _: Translator) -> list[str]:
    """Who takes no part, each for its own reason (R-COMP-1): local lists are out because they are no party."""
    lines = []
    below = sorted(e.party for e in composition.excluded if e.reason is Reason.BELOW_THRESHOLD)
    unrepresented = sorted(e.party for e in composition.excluded if e.reason is Reason.NOT_REPRESENTED)
    if below:
        lines.append(_("Not taking part, with under 2 % of the votes: {parties}.", parties=", ".join(below)))
    if unrepresented:
        lines.append(_("Not taking part, without a seat in any of the councils: {parties}.",
                       parties=", ".join(unrepresented)))  # fmt: skip
    if any(e.party == LOCAL_LISTS for e in composition.excluded):
        lines.append(_("Local lists outside a listesamarbejde take no part: they are no party."))
    return lines


async def composition_case(turn: Turn) -> None:
    _ = turn._
    if turn.args and turn.args[0].lower() in LOT:
        await _record_lot(turn)
        return
    try:
        composition = await council_composition(turn.conn, turn.dataset)
    except TieUnresolved as tie:
        _ask_for_lot(turn, tie)
        return
    lines = [
        _(
            "The seats are shared in proportion to the parties' votes in the region at the municipal election of "
            "{election}, by {method} (inferred: the sources do not name the method; it reproduces the published "
            "table). Every mayor is a member and counts inside their party's share.",
            election=_.date(turn.dataset.election_date),  # after the next election, "the election" is ambiguous
            method=method_name(composition.method, _),
        )
    ]
    lines.extend(exclusion_lines(composition, _))
    for party in composition.overhang:
        lines.append(
            _(
                "{party} has more mayors than its proportional share, keeps them all and gets no added seats; "
                "the other parties share the rest.",
                party=party,
            )
        )
    for drawn in composition.ties:
        lines.append(_("Decided by the recorded lot between {tied}: {winners}.", tied=", ".join(drawn.tied),
                       winners=", ".join(drawn.winners)))  # fmt: skip
    if turn.args:
        # Another period or any other word: this bot holds one period's data, and its text says so first.
        lines.insert(0, _("I only hold the period {period}; here is its composition.", period=turn.dataset.period))
    q = quorum(composition.size, composition.size)
    ended = await ended_note(turn)  # R-PER-1: the period is over and the next one not loaded
    if ended:
        lines.insert(0, ended)
    lines.append(
        _(
            "The council was quorate with at least {required} of the {members} members present.",
            required=q.required,
            members=q.members,
        )
        if ended
        else _(
            "Quorum: at least {required} of the {members} members present.",
            required=q.required,
            members=q.members,
        )
    )
    if vacant := await vacant_seats_line(turn):
        lines.append(vacant)
    turn.reply(
        "\n".join(lines),
        title=_("Composition {period}: {size} members", period=turn.dataset.period, size=composition.size),
        pre=composition_table(composition, _),
        buttons=[[turn.button(_("Members by party"), "members parti"), turn.button(_("Next meeting"), "next")]],
    )


def _ask_for_lot(turn: Turn, tie: TieUnresolved) -> None:
    """R-COMP-6: a tie is settled by lot, drawn by people; the bot asks for it and never picks."""
    _ = turn._
    report = tie.report
    text = _p(
        turn,
        "{tied} are tied for {count} seat: only a lot can decide (inferred: the sources do not say how).",
        "{tied} are tied for {count} seats: only a lot can decide (inferred: the sources do not say how).",
        report.seats,
        tied=", ".join(report.tied),
    )
    if turn.is_secretariat:
        lot = LOT[0] if _.language == "da" else LOT[1]
        text += "\n" + _(
            "Record the lot drawn: {command} {lot} WINNER (several winners with commas).",
            command=turn.command("composition"),
            lot=lot,
        )
    else:
        text += "\n" + _("The secretariat records the lot; until then the seats are not known.")
    buttons = (
        [[turn.button(party, f"composition {LOT[1]} {party}") for party in report.tied]]
        if turn.is_secretariat and report.seats == 1
        else []
    )
    turn.reply(text, title=_("Composition: a lot is needed"), buttons=buttons)


async def _record_lot(turn: Turn) -> None:
    _ = turn._
    again = [[turn.button(_("Composition"), "composition")]]
    if not turn.is_secretariat:
        turn.reply(_("Only the secretariat records a lot."), buttons=again)
        return
    winners = [w.strip().upper() for w in " ".join(turn.args[1:]).replace(" ", ",").split(",") if w.strip()]
    waiting: TieUnresolved | None = None
    try:
        composition_with_lots(turn.dataset, await composition_lots(turn.conn, turn.dataset))
    except TieUnresolved as tie:
        waiting = tie
    if waiting is None:
        turn.reply(_("No tie in the composition waits for a lot."), buttons=again)
        return
    if not _fits(winners, waiting):
        tied = ", ".join(waiting.report.tied)
        turn.reply(_("The lot must name {count} of the tied: {tied}.", count=waiting.report.seats, tied=tied),
                   buttons=again)  # fmt: skip
        return
    await record_composition_lot(turn.conn, turn.dataset, winners, turn.person.id if turn.person else None, turn.now)
    await composition_case_after_lot(turn)


def _fits(winners: list[str], tie: TieUnresolved) -> bool:
    return len(set(winners)) == tie.report.seats == len(winners) and set(winners) <= set(tie.report.tied)


async def composition_case_after_lot(turn: Turn) -> None:
    """The composition again, with the lot just recorded (or the next tie's question)."""
    turn.request = turn.request.model_copy(update={"args": ()})
    await composition_case(turn)
