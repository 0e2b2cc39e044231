"""Which council period a meeting belongs to (R-PER-1), in one place.

A period runs from one constituent meeting to the next. The bot holds one period's data: the votes of the
municipal election before it, its members, its plan. The next constituent meeting is in that plan, but it
belongs to the next council: its valgforbund, its chair election and its members rest on the next election's
votes and on the members elected there, not on today's council. So everything about it is refused, with the
reason, until the next period's data is loaded.

`in_loaded_period` is the hook for that loading (issue 24): `opened` names the constituent meetings whose period's
data the bot holds and acts on (`Turn.opened`: the period it was started with, and each period loaded with
`kkrbot period load`, bot/storage/periods.py), and every caller follows; `council_for` says whose council a
meeting is (a loaded next period's for its constituent meeting, before it starts).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.i18n import Translator
from bot.storage.periods import StoredPeriod
from bot.storage.roster import Person, Role, Roster, as_members
from kkrcore.days import municipal_election_date
from kkrcore.models import Dataset, Meeting, MeetingKind
from kkrcore.periods import council_at, term_start_at

if TYPE_CHECKING:
    from bot.core.turn import Turn

PERIOD_YEARS = 4
"""R-DAY-2: a municipal election every four years; a council period runs from one constituent meeting to the next."""


def opening_of(meeting: Meeting, meetings: Sequence[Meeting]) -> Meeting | None:
    """The constituent meeting that opens the period `meeting` belongs to: the last one at or before it (itself,
    for a constituent meeting), or None for a meeting before the plan's first constituent meeting."""
    openings = [m for m in meetings if m.kind is MeetingKind.CONSTITUENT and m.start <= meeting.start]
    return meeting if meeting.kind is MeetingKind.CONSTITUENT else max(openings, key=lambda m: m.start, default=None)


def current_period_meetings(meetings: Sequence[Meeting], now: datetime, opened: Collection[str]) -> list[Meeting]:
    """R-PER-1: the meetings of the current period (of those whose data the bot holds, `opened`, the one whose
    constituent meeting started last) and the constituent meeting that ends it; not the earlier periods'
    meetings, nor a loaded next period's later ones. Without a loaded next period, the bot stays with its period
    after the next constituent meeting has started."""
    constituent = sorted((m for m in meetings if m.kind is MeetingKind.CONSTITUENT), key=lambda m: m.start)
    current = max((m for m in constituent if m.id in opened and m.start <= now), key=lambda m: m.start, default=None)
    ending = next((m for m in constituent if current is None or m.start > current.start), None)
    return [m for m in meetings if m is ending or opening_of(m, meetings) == current]


def in_loaded_period(meeting: Meeting, meetings: Sequence[Meeting], opened: Collection[str]) -> bool:
    """R-PER-1: whether the bot holds the data of the period `meeting` belongs to (its votes and members)."""
    opening = opening_of(meeting, meetings)
    return opening is None or opening.id in opened


def period_constituent_meeting(meetings: Sequence[Meeting], opened: Collection[str]) -> Meeting | None:
    """The constituent meeting that opened (or, before it, opens) the period whose data the bot acts on: the
    latest one it holds."""
    held = [m for m in meetings if m.kind is MeetingKind.CONSTITUENT and m.id in opened]
    return max(held, key=lambda m: m.start, default=None)


def next_period_meeting(meetings: Sequence[Meeting], opened: Collection[str]) -> Meeting | None:
    """The first meeting of a period whose data is not loaded (the next constituent meeting), if the plan has one."""
    return next((m for m in sorted(meetings, key=lambda m: m.start) if not in_loaded_period(m, meetings, opened)), None)


@dataclass(frozen=True)
class Council:
    """The council a meeting belongs to: its roster (members, substitutes, secretariat) and its data (votes,
    composition). `incoming`: a loaded next period's council, for its constituent meeting before it starts."""

    roster: Roster
    dataset: Dataset
    incoming: bool


async def council_for(turn: Turn, meeting: Meeting) -> Council:
    """R-PER-1: a loaded next period's constituent meeting (and its later meetings) belong to the new council, its
    members and its votes; every other meeting to the council of the current period."""
    coming = turn.conversation.next_period_at(turn.now)
    if coming is not None:
        opening = opening_of(meeting, await turn.meetings())
        if opening is not None and opening.id == coming.constituent.id:
            return Council(turn.conversation.council_roster(coming), coming.dataset, incoming=True)
    return Council(await turn.roster(), turn.dataset, incoming=False)


async def member_at(turn: Turn, meeting: Meeting) -> bool:
    """Whether the asker is a member of the council that meets (R-PER-1): who may report absence for it."""
    person = turn.person
    return person is not None and any(m.id == person.id for m in (await council_for(turn, meeting)).roster.members)


def term_begins(coming: StoredPeriod) -> datetime:
    """When the municipal term of a loaded next period's election starts: 1 January after it (kkrcore.periods)."""
    return term_start_at(coming.dataset.election_date, ZoneInfo(coming.dataset.timezone))


def roster_in_window(current: Roster, coming: StoredPeriod) -> Roster:
    """R-MEM-1, R-MEM-5 between the municipal term's start and the constituent meeting (kkrcore.periods.council_at,
    inferred where the seeds are silent): the new mayors are members, with the new viceborgmestre as their
    substitutes; an old mayor who is not a mayor of the new term has left; the old elected members stay, with
    their personal substitutes, until the constituent meeting. Whoever is in no seat is still found by id (their
    history, their own questions), as a loaded period's new people are."""
    council = council_at(
        as_members(current.people),
        as_members(coming.people),
        term_begins(coming),
        term_begins=term_begins(coming),
        constituent_start=coming.constituent.start,
    )
    new = {p.id: p for p in coming.people}
    old = current.by_id
    people: dict[str, Person] = {p.id: p for p in current.secretariat}
    for seat in council.seats:  # the members first: a viceborgmester may be an elected member too (R-MEM-2)
        people[seat.member.person_id] = (new if seat.member.mayor else old)[seat.member.person_id]
    for seat in council.seats:
        member = seat.member
        if member.mayor:  # the municipality's viceborgmestre of the new term (R-MEM-2)
            for vice in coming.people:
                if vice.municipality == member.municipality and vice.vice_mayor_rank and vice.id not in people:
                    people[vice.id] = vice.model_copy(update={"role": Role.SUBSTITUTE, "mayor": False})
        elif member.personal_substitute in old and member.personal_substitute not in people:
            people[member.personal_substitute] = old[member.personal_substitute]
    others = [p for p in [*current.people, *current.pending] if p.id not in people]
    return Roster(list(people.values()), current.archived, others)


def period_name(constituent: Meeting) -> str:
    """The period a constituent meeting opens, as the seeds write it: "2026-2030"."""
    year = constituent.start.year
    return f"{year}–{year + PERIOD_YEARS}"


def held_period_name(meetings: Sequence[Meeting], opened: Collection[str], dataset: Dataset) -> str:
    """The period whose data the bot holds and acts on, as the seeds write it ("2026–2030"): from the constituent
    meeting that opened it, or the data file's name when the plan has none."""
    opening = period_constituent_meeting(meetings, opened)
    return period_name(opening) if opening else dataset.period


def next_period_refusal(meeting: Meeting, _: Translator, now: datetime) -> str:
    """Why the bot cannot act on the next council's constituent meeting yet, in the reader's language; once the
    meeting has begun, in the past tense (today's roster is then the old council's, not a council that sits)."""
    if meeting.start <= now:
        return _(
            "The constituent meeting {when} opened the next council period, {period}. Its valgforbund, its election "
            "of chair and vice-chair and its members rest on the municipal election of {election} and on the "
            "council elected there. The bot can take them once the next period's data is loaded.",
            when=_.date(meeting.start),
            period=period_name(meeting),
            election=_.date(municipal_election_date(meeting.start.year - 1)),
        )
    return _(
        "The constituent meeting {when} opens the next council period, {period}. Its valgforbund, its election of "
        "chair and vice-chair and its members rest on the municipal election of {election} and on the council "
        "elected there, not on today's council. The bot can take them once the next period's data is loaded.",
        when=_.date(meeting.start),
        period=period_name(meeting),
        election=_.date(municipal_election_date(meeting.start.year - 1)),
    )


def ended_at(meetings: Sequence[Meeting], opened: Collection[str], now: datetime) -> Meeting | None:
    """R-PER-1: the constituent meeting that ended the period whose data the bot holds, once it has started while
    the next period's data is not loaded (None otherwise): from then on today's roster, composition and plan are
    the old council's, not a council that sits."""
    coming = next_period_meeting(meetings, opened)
    return coming if coming is not None and coming.start <= now else None


async def ended_note(turn: Turn, *, meetings_known: bool = True) -> str | None:
    """After the period ended without the next one loaded: that it ended, that what follows is the old council's
    data (or, `meetings_known=False`, that no meeting to come is known), and who loads the next period, with the
    command for the secretariat (docs/secretariat.md "Next period"). None while the period lasts."""
    meetings = await turn.meetings()
    ending = ended_at(meetings, turn.opened, turn.now)
    if ending is None:
        return None
    _ = turn._
    period = held_period_name(meetings, turn.opened, turn.dataset)
    ended = _(
        "The period {period} ended at the constituent meeting of {date}.", period=period, date=_.date(ending.start)
    )
    loaded = (
        _(
            "The next period's data (members, substitutes and meetings) is not loaded in the bot yet, so here is the "
            "old council's data, as it was."
        )
        if meetings_known
        else _(
            "The next period's data (members, substitutes and meetings) is not loaded in the bot yet, so it knows "
            "no meeting to come."
        )
    )
    load = (
        _("Load the next period with kkrbot period load (docs/secretariat.md, “Next period”).")
        if turn.is_secretariat
        else _("The secretariat loads the next period.")
    )
    return f"{ended} {loaded} {load}"


async def no_meetings_text(turn: Turn) -> str:
    """Why there is no meeting to come: the plan of this period has no more, or the period has ended and the
    next one is not loaded (R-PER-1)."""
    return await ended_note(turn, meetings_known=False) or turn._("There are no more meetings planned in this period.")


def unloaded_council_text(_: Translator) -> str:
    """A change to the next council's constituent meeting before its period is loaded (R-PER-1, R-MEET-2): the
    secretariat may set it, but today's council does not meet there and the next one's members are not known."""
    return _(
        "This is the next council's constituent meeting. Today's council does not meet there, and the next "
        "council's members are not loaded yet, so nobody is told now: tell the next council's members once the "
        "next period is loaded (kkrbot period load)."
    )


async def told_council(turn: Turn, meeting: Meeting) -> Roster | None:
    """The roster of the council a change to `meeting` is told to: the council that meets (`council_for`), or
    None for the next council's constituent meeting before its period is loaded (nobody is known to tell)."""
    if not in_loaded_period(meeting, await turn.meetings(), turn.opened):
        return None
    return (await council_for(turn, meeting)).roster
