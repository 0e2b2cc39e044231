"""The crossing into a loaded council period, when its constituent meeting starts (R-PER-1, R-MEM-5).

A scheduled check, run with every tick: once the clock passes the constituent meeting of a period loaded with
`kkrbot period load`, its roster becomes `persons`. People in both periods keep their row and their bindings;
the others are archived (their absences and minutes lines stay) after a goodbye, which is queued in the same
transaction, before their bindings go. `record_crossing` marks the period crossed in that transaction too, so the
crossing happens exactly once, however many ticks, processes or restarts see the moment.
"""

from __future__ import annotations

from bot.core.turn import Turn, display_name
from bot.core.usecases.period import period_name
from bot.delivery.message import Message
from bot.delivery.outbox import enqueue
from bot.i18n import Translator
from bot.storage.periods import current_row, record_crossing
from bot.storage.roster import Person, all_people, replace_roster
from kkrcore.models import Meeting


async def cross_into_period(turn: Turn) -> None:
    """R-PER-1: the period whose constituent meeting started last is current; its roster replaces the last one."""
    row = current_row(turn.conversation.periods, turn.now)
    if row is None or row.crossed_at is not None or not await record_crossing(turn.conn, row.name, turn.now):
        return
    incoming = {p.id for p in row.people}
    leaving = [p for p in await all_people(turn.conn) if p.id not in incoming]
    conversation = turn.conversation
    for person in leaving:
        _ = await conversation.translator_for(turn.conn, person.id)
        message = goodbye(person, row.constituent, _)
        for channel, address in await conversation.router.routes(turn.conn, person.id):
            await enqueue(turn.conn, channel, address, person.id, message, turn.now)
    result = await replace_roster(turn.conn, row.people, turn.now)
    await turn.notify_secretariat(
        lambda _: Message(
            title=_("Council period {period} has begun", period=period_name(row.constituent)),
            text=_(
                "The constituent meeting {when} has started: the bot now works for the council of {period}. "
                "Joined the roster: {added}. Left it, archived and told goodbye: {names}. Their history stays for "
                "the minutes.",
                when=_.date(row.constituent.start),
                period=period_name(row.constituent),
                added=result.added,
                names=", ".join(display_name(p, _) for p in leaving) or "-",
            ),
        )
    )


def goodbye(person: Person, constituent: Meeting, _: Translator) -> Message:
    return Message(
        title=_("Goodbye from the KKR bot"),
        text=_(
            "The council period ended with the constituent meeting {when}, and you are not in the roster of the new "
            "council, {period}. This chat with the KKR bot therefore ends here; you will get no more messages. Your "
            "absences and the minutes stay with the secretariat. Thank you, {name}.",
            when=_.date(constituent.start),
            period=period_name(constituent),
            name=display_name(person, _),
        ),
    )
