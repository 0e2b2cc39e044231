"""The seats of the council as the members see them: the composition's, each held by a member or vacant.

A seat whose elected member left stays the party's and is vacant until the secretariat records the new member
(R-MEM-7, inferred: the seeds do not say how it is filled); it still counts among the seats for the quorum
(R-MEET-4). Every answer that counts seats says so in the same words.
"""

from __future__ import annotations

from bot.core.turn import Turn, _p
from bot.core.usecases.period import term_begins
from bot.storage.composition_lots import council_seats


async def vacant_seats(turn: Turn) -> int:
    roster = await turn.roster()
    members = len(roster.members)
    return await council_seats(turn.conn, turn.dataset, members) - members


async def vacant_seats_line(turn: Turn) -> str:
    """One sentence on the vacant seats, or "" when every seat is held."""
    vacant = await vacant_seats(turn)
    if vacant <= 0:
        return ""
    coming = turn.conversation.next_period_at(turn.now)
    if coming is not None and turn.now >= term_begins(coming):
        # From the term's start the seats are the window's (kkrcore.periods.council_at): a seat vacated then is
        # filled by the new council at its constituent meeting, not by a member the secretariat records.
        return _p(
            turn,
            "1 seat is vacant until the constituent meeting {when}, when the new council meets, and still counts "
            "for the quorum (inferred: the sources do not say how a seat is filled).",
            "{count} seats are vacant until the constituent meeting {when}, when the new council meets, and still "
            "count for the quorum (inferred: the sources do not say how a seat is filled).",
            vacant,
            when=turn._.date(coming.constituent.start),
        )
    return _p(
        turn,
        "1 seat is vacant until the secretariat records the new member, and still counts for the quorum "
        "(inferred: the sources do not say how a seat is filled).",
        "{count} seats are vacant until the secretariat records the new members, and still count for the quorum "
        "(inferred: the sources do not say how a seat is filled).",
        vacant,
    )
