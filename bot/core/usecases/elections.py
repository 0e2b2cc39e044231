"""Valgforbund and the election of chair and vice-chair at the constituent meeting (seed, items 1.1, 1.3, 1.4).

kkrcore decides everything: who may form a valgforbund (R-ELEC-2), the deadline (R-ELEC-4), and the result
(R-ELEC-1..3); this module records the notices, the secretariat's decisions and the result, and says so in
the member's language. A tie is never settled here: the secretariat records the lot drawn at the meeting.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta

import aiosqlite

from bot.core.commands import is_number
from bot.core.commands import word as command_word
from bot.core.dates import parse_date
from bot.core.turn import Turn, _p, display_name, quoted
from bot.core.usecases.meetings import local_today
from bot.core.usecases.period import (
    council_for,
    next_period_meeting,
    next_period_refusal,
    period_constituent_meeting,
    period_name,
)
from bot.delivery.message import Button, Message
from bot.i18n import Translator
from bot.storage import elections as store
from kkrcore.composition import CompositionInput, eligibility
from kkrcore.draw import RecordedDraw, TieUnresolved
from kkrcore.elections import ChairElection, alliance_groups, chair_election, valgforbund_deadline
from kkrcore.meetings import upcoming_meetings
from kkrcore.models import Dataset, Meeting, MeetingKind
from kkrcore.reasons import InvalidInput, Reason

APPROVE = ("godkend", "approve")
REJECT = ("afvis", "reject")
RECEIVED = ("modtaget", "received")
"""`/valgforbund A+F modtaget 22.01.2030`: the secretariat registers a notice by the day it received it (R-ELEC-4)."""
LOT = ("lod", "lot")
# Day words for the day received, and how many days before today each names. The bot does not read a date that
# depends on the day it is typed (as for a moved meeting, docs/secretariat.md): the answer gives the command with
# the day written out, so the record says the day the deadline was judged by (R-ELEC-4).
DAY_WORDS = {"i dag": 0, "idag": 0, "today": 0, "i går": 1, "igår": 1, "yesterday": 1, "i forgårs": 2, "iforgårs": 2}


def received_day(words: Sequence[str], today: date) -> date | None:
    """The day received as written after "modtaget"; a day and month without a year is the last such day up to
    today (a notice cannot be received in the future), not the next one."""
    text = " ".join(words)
    day = parse_date(text, today)
    if day is not None and day > today:  # the first such day in the year up to today; a written year stays
        day = parse_date(text, today - timedelta(days=365))
    return day


def reason_text(reason: Reason, detail: str, _: Translator) -> str:
    """A kkrcore reason code in the reader's words. kkrcore's detail is English ("round 1: 38 > 20"): only its
    numbers go into the sentence."""
    numbers = [int(n) for n in re.findall(r"\d+", detail)] + [0, 0, 0]
    texts = {
        Reason.INELIGIBLE_PARTY: _(
            "{detail} cannot take part: it is under 2 % of the votes or has no council seat.", detail=detail
        ),
        Reason.UNKNOWN_PARTY: _("{detail} is not a party letter of this period.", detail=detail),
        Reason.PARTY_IN_TWO_ALLIANCES: _(
            "{detail} is already in another valgforbund; a party can be in one valgforbund only.", detail=detail
        ),
        Reason.EMPTY_ALLIANCE: _("A valgforbund needs at least two parties, e.g. A+F."),
        Reason.PARTY_TWICE_IN_ALLIANCE: _("{detail} is named twice; name each party once, e.g. A+F.", detail=detail),
        Reason.NOT_COUNCIL_MEMBER: _(
            "{detail} is not a council member; only council members of the region's municipalities can be appointed.",
            detail=detail,
        ),
        Reason.OUTSIDE_REGION: _(
            "{detail} is not a council member in the region; only council members of the region's municipalities "
            "can be appointed.",
            detail=detail,
        ),
        Reason.MORE_VOTES_THAN_PRESENT: _(
            "More votes than members present in round {round}: {votes} votes, {present} present.",
            round=numbers[0],
            votes=numbers[1],
            present=numbers[2],
        ),
        Reason.NOT_IN_RUNOFF: _("Round 3 is between the two leaders of round 2 only, not {detail}.", detail=detail),
        Reason.TOO_MANY_ROUNDS: _("The election was already decided in round {round}.", round=numbers[0]),
        Reason.NO_CANDIDATES: _("A round needs at least one candidate with votes."),
        Reason.NEGATIVE_VOTES: _("Votes cannot be negative ({detail}).", detail=detail),
        Reason.RECORDED_LOT_MISMATCH: _("That lot does not name one of the tied ({detail}).", detail=detail),
        Reason.RECORDED_LOTS_EXHAUSTED: _("Another tie needs a lot as well ({detail}).", detail=detail),
        Reason.NO_PARTIES: _("No group has recorded a list yet: record the lists first (/forum liste)."),
        Reason.NO_VOTES: _("No votes are recorded yet."),
        Reason.SEATS_BELOW_ONE: _("There must be at least one seat."),
    }
    return texts.get(reason, _("Not possible: {detail}", detail=f"{reason} {detail}".strip()))


def next_constituent_meeting(meetings: Sequence[Meeting], now: datetime) -> Meeting | None:
    """The constituent meeting whose valgforbund and chair election are current: the next one to start (a
    cancelled one is not coming)."""
    return next((m for m in upcoming_meetings(meetings, now) if m.kind is MeetingKind.CONSTITUENT), None)


async def constituent_meeting_or_say_none(turn: Turn) -> Meeting | None:
    """The constituent meeting of the period the bot holds (R-PER-1), which the valgforbund and the chair election
    are for; without one, the person is told."""
    meeting = period_constituent_meeting(await turn.meetings(), turn.opened)
    if meeting is None:
        turn.reply(
            turn._("There is no constituent meeting in this period's plan."),
            buttons=[[turn.button(turn._("Help"), "help")]],
        )
    return meeting


def eligible_parties(dataset: Dataset) -> list[str]:
    return eligibility(CompositionInput.from_dataset(dataset))[0]


async def valgforbund_case(turn: Turn) -> None:
    """`/valgforbund` lists the approved valgforbund; `/valgforbund A+F+B+Ø` notifies one (members);
    `/valgforbund godkend|afvis N` decides a notice (secretariat)."""
    _ = turn._
    assert turn.person is not None
    meeting = await constituent_meeting_or_say_none(turn)
    if meeting is None:
        return
    args = turn.args
    if args and args[0].lower() in APPROVE + REJECT and not turn.is_secretariat:
        # Item 1.3: the council decides a notice at its constituent meeting; only the secretariat records it.
        turn.reply(
            _("Only the secretariat records the council's approval or rejection of a valgforbund.")
            + " "
            + _("Nothing was recorded."),
            buttons=[[turn.button(_("Valgforbund"), "valgforbund")]],
        )
    elif args and args[0].lower() in APPROVE + REJECT:
        # The council decides at the constituent meeting (item 1.3), so the decision is recorded also after it starts.
        await _decide(turn, meeting, args)
    elif meeting.start <= turn.now:
        await _held(turn, meeting, refused=bool(args))
    elif args:
        # A+V as the rules write it, and A,V or A V as people also do (/udsend takes commas).
        at = next((i for i, arg in enumerate(args) if arg.lower() in RECEIVED), len(args))
        await _notify(turn, meeting, "+".join(args[:at]).replace(",", "+").upper(), received=args[at + 1 :])
    else:
        await _list(turn, meeting)


async def _held(turn: Turn, meeting: Meeting, *, refused: bool) -> None:
    """After the period's constituent meeting: its valgforbund, as recorded, and why the next constituent
    meeting's are not taken (R-PER-1)."""
    _ = turn._
    approved = [n.name for n in await store.valgforbund_for(turn.conn, meeting.id) if n.status == "approved"]
    lines = [_("Nothing was recorded.")] if refused else []
    lines.append(
        _(
            "Valgforbund for the election of chair and vice-chair of {period} were to be notified for the "
            "constituent meeting {when}, where the council approves them and elects the chair and vice-chair.",
            period=period_name(meeting),
            when=_.date(meeting.start),
        )
    )
    lines.append(
        _("Approved, as recorded in the bot: {list}", list=", ".join(approved))
        if approved
        else _("No approved valgforbund is recorded in the bot.")
    )
    buttons = _pending(turn, lines, await store.valgforbund_for(turn.conn, meeting.id))
    coming = next_period_meeting(await turn.meetings(), turn.opened)
    if coming is not None:
        lines += ["", next_period_refusal(coming, _, turn.now)]
    turn.reply(
        "\n".join(lines), title=_("Valgforbund"), buttons=[*buttons, [turn.button(_("Chair election"), "chair")]]
    )


def _pending(turn: Turn, lines: list[str], notices: Sequence[store.Valgforbund]) -> list[list[Button]]:
    """For the secretariat: the notices awaiting the council's decision, a line and a pair of buttons each."""
    _ = turn._
    buttons: list[list[Button]] = []
    if not turn.is_secretariat:
        return buttons
    for notice in notices:
        if notice.status == "pending":
            lines.append(_("Awaiting the council's decision: no. {id}: {parties}", id=notice.id, parties=notice.name))
            buttons.append(
                [
                    turn.button(
                        _("Council approved {parties}", parties=notice.name), f"valgforbund godkend {notice.id}"
                    ),
                    turn.button(_("Council rejected {parties}", parties=notice.name), f"valgforbund afvis {notice.id}"),
                ]
            )
    return buttons


async def _list(turn: Turn, meeting: Meeting) -> None:
    _ = turn._
    notices = await store.valgforbund_for(turn.conn, meeting.id)
    deadline = valgforbund_deadline(meeting.start.date())
    approved = [n.name for n in notices if n.status == "approved"]
    lines = [
        _(
            "Valgforbund for the election of chair and vice-chair at the constituent meeting {when} must be "
            "notified by {deadline} (three working days before).",
            when=_.date(meeting.start),
            deadline=_.date(deadline),
        ),
        "",
        _("Approved by the council: {list}", list=", ".join(approved))
        if approved
        else _("No valgforbund approved by the council yet."),
    ]
    buttons = _pending(turn, lines, notices)
    buttons.append([turn.button(_("Chair election"), "chair")])
    turn.reply("\n".join(lines), title=_("Valgforbund"), buttons=buttons)


async def _notify(turn: Turn, meeting: Meeting, text: str, *, received: Sequence[str] = ()) -> None:
    """A member notifies a valgforbund; the secretariat registers one it received by mail, on time by the day it
    received it (`received`: the words after "modtaget", empty for today), so that a notice typed in after the
    deadline but received before it counts (R-ELEC-4)."""
    _ = turn._
    assert turn.person is not None
    retry = [[turn.button(_("Approved valgforbund"), "valgforbund"), turn.button(_("Help"), "help")]]
    # R-PER-1: the members of the council that meets (a loaded next period's, for its constituent meeting); the
    # secretariat registers a notice it received by mail.
    council = await council_for(turn, meeting)
    notifier = next((m for m in council.roster.members if m.id == turn.person.id), None)
    if notifier is None and not turn.is_secretariat:
        turn.reply(_("Only members of the KKR can notify a valgforbund."), buttons=retry)
        return
    deadline = valgforbund_deadline(meeting.start.date())
    today = local_today(turn)
    day = received_day(received, today) if received else today
    keyword = _("received")  # RECEIVED has it in both languages
    command = f"/{command_word('alliance', _.language)} {text or 'A+F'} {keyword}"
    example = f"{command} {deadline:%d.%m.%Y}"
    if received and not turn.is_secretariat:
        turn.reply(_("Only the secretariat registers a notice it received by mail."), buttons=retry)
        return
    written = " ".join(received).lower()
    if day is None and written in DAY_WORDS:
        named = today - timedelta(days=DAY_WORDS[written])
        turn.reply(
            _(
                "“{text}” depends on today's date; write the day the notice was received itself: {example}",
                text=quoted(" ".join(received)),
                example=f"{command} {named:%d.%m.%Y}",
            ),
            buttons=retry,
        )
        return
    if day is None:
        turn.reply(
            _("Write the day the notice was received as DD.MM.YYYY, e.g. {example}", example=example), buttons=retry
        )
        return
    if day > today:
        turn.reply(_("The day received, {day}, is after today. Nothing was recorded.", day=_.date(day)), buttons=retry)
        return
    if day > deadline:
        lines = [
            _(
                "Too late: a valgforbund had to be notified by {deadline}, three working days before the "
                "constituent meeting {when}. Nothing was recorded.",
                deadline=_.date(deadline),
                when=_.date(meeting.start),
            )
        ]
        if received:
            lines.append(_("It was received {day}.", day=_.date(day)))
        elif turn.is_secretariat:
            lines.append(
                _(
                    "If the secretariat received it by {deadline}, give the day it was received: {example}",
                    deadline=_.date(deadline),
                    example=example,
                )
            )
        turn.reply(" ".join(lines), buttons=retry)
        return
    parties = tuple(p for p in text.split("+") if p)
    existing = [n for n in await store.valgforbund_for(turn.conn, meeting.id) if n.status != "rejected"]
    dataset = council.dataset
    try:
        unknown = [party for party in parties if party not in dataset.votes[0]]
        if unknown:
            raise InvalidInput(Reason.UNKNOWN_PARTY, unknown[0])
        if len(parties) < 2:
            raise InvalidInput(Reason.EMPTY_ALLIANCE)
        if notifier is not None and notifier.party not in parties:  # (inferred: a notifier speaks for their party)
            turn.reply(
                _("You can notify a valgforbund that your own party, {party}, is part of.", party=notifier.party),
                buttons=retry,
            )
            return
        alliance_groups(dataset.votes[0], eligible_parties(dataset), [*(n.parties for n in existing), parties])
    except InvalidInput as exc:
        turn.reply(
            _("Valgforbund {parties} not recorded.", parties="+".join(parties) or text)
            + " "
            + reason_text(exc.reason, exc.detail, _)
            + " "
            + _("The deadline is {deadline}.", deadline=_.date(deadline)),
            buttons=retry,
        )
        return
    # A notice received on an earlier day is stored as made at that day's start: the deadline counts days.
    made = turn.now if day == today else datetime.combine(day, time(), turn.now.tzinfo)
    notice_id = await store.add_valgforbund(turn.conn, meeting.id, parties, turn.person.id, made)
    name = "+".join(parties)
    if notifier is None:
        turn.reply(
            (
                _(
                    "Valgforbund {parties} is registered as a notice the secretariat received (no. {id}), in time "
                    "for the deadline {deadline}. Record the council's decision at the constituent meeting {when}.",
                    parties=name,
                    id=notice_id,
                    deadline=_.date(deadline),
                    when=_.date(meeting.start),
                )
                if day == today
                else _(
                    "Valgforbund {parties} is registered as a notice the secretariat received {day} (no. {id}), in "
                    "time for the deadline {deadline}. Record the council's decision at the constituent meeting "
                    "{when}.",
                    parties=name,
                    day=_.date(day),
                    id=notice_id,
                    deadline=_.date(deadline),
                    when=_.date(meeting.start),
                )
            ),
            buttons=[decision_buttons(_, notice_id, name)],
        )
        return
    turn.reply(
        _(
            "Valgforbund {parties} is notified to the secretariat (no. {id}), in time for the deadline {deadline}. "
            "The council approves valgforbund at the constituent meeting; the secretariat records its decision, "
            "and you will be told.",
            parties=name,
            id=notice_id,
            deadline=_.date(deadline),
        ),
        buttons=retry,
    )
    notifier = turn.person
    await turn.notify_secretariat(
        lambda _: Message(
            title=_("Valgforbund notified"),
            text=_(
                "{who} notified valgforbund {parties} (no. {id}).",
                who=display_name(notifier, _),
                parties=name,
                id=notice_id,
            ),
            buttons=(
                (
                    Button(
                        label=_("Council approved {parties}", parties=name), action=f"valgforbund godkend {notice_id}"
                    ),
                    Button(
                        label=_("Council rejected {parties}", parties=name), action=f"valgforbund afvis {notice_id}"
                    ),
                ),
            ),
        ),
    )


def decision_buttons(_: Translator, notice_id: int, parties: str) -> list[Button]:
    """The secretariat records the council's decision on a notice (item 1.3: the council approves valgforbund)."""
    return [
        Button(label=_("Council approved {parties}", parties=parties), action=f"valgforbund godkend {notice_id}"),
        Button(label=_("Council rejected {parties}", parties=parties), action=f"valgforbund afvis {notice_id}"),
    ]


async def _decide(turn: Turn, meeting: Meeting, args: Sequence[str]) -> None:
    _ = turn._
    assert turn.person is not None
    back = [[turn.button(_("Valgforbund"), "valgforbund")]]
    notice = await store.get_valgforbund(turn.conn, int(args[1])) if len(args) > 1 and is_number(args[1]) else None
    approve = args[0].lower() in APPROVE
    if notice is None or not await store.decide_valgforbund(
        turn.conn, notice.id, "approved" if approve else "rejected", turn.person.id, turn.now
    ):
        turn.reply(_("There is no valgforbund notice awaiting a decision with that number."), buttons=back)
        return
    decided = (
        _("The council's approval of valgforbund {parties} is recorded.", parties=notice.name)
        if approve
        else _("The council's rejection of valgforbund {parties} is recorded.", parties=notice.name)
    )
    turn.reply(decided, buttons=back)
    await turn.notify(
        notice.notified_by,
        lambda _: Message(
            text=_("The council approved valgforbund {parties}.", parties=notice.name)
            if approve
            else _("The council rejected valgforbund {parties}.", parties=notice.name),
            buttons=((Button(label=_("Valgforbund"), action="valgforbund"),),),
        ),
    )


async def valgforbund_decided(conn: aiosqlite.Connection, meeting: Meeting) -> tuple[list[list[str]], int]:
    """The approved valgforbund, and how many notices still await the secretariat's decision."""
    notices = await store.valgforbund_for(conn, meeting.id)
    return [list(n.parties) for n in notices if n.status == "approved"], sum(n.status == "pending" for n in notices)


def compute_chair(dataset: Dataset, alliances: list[list[str]], lots: Sequence[str]) -> ChairElection:
    """R-ELEC-1..3 with the approved valgforbund; recorded lots settle ties in the order they occur."""
    draw = recorded_draw(lots)
    return chair_election(dataset.votes[0], eligible_parties(dataset), alliances, draw)


def inferred_mechanics(_: Translator) -> str:
    """R-ELEC-3 is inferred: every computed chair election says so."""
    return _(
        "Inferred: the sources do not spell out how the posts are computed; the bot divides each group's votes by "
        "1, 2, 3, … (d'Hondt), the largest quotient taking the chair and the next the vice-chair."
    )


def chair_text(result: ChairElection, _: Translator, *, shares: bool) -> tuple[str, str]:
    """The posts and the quotient table that decided them; with `shares` (a data set without absolute vote
    counts) the table's "votes" are the shares in tenths of a percentage point, and the text says so."""
    lines = [
        _("Chair's post: {group}", group=result.chair),
        _("Vice-chair's post: {group}", group=result.vice_chair),
        inferred_mechanics(_),
    ]
    for tie in result.ties:
        lines.append(_("Decided by the recorded lot between {tied}: {winner}.", tied=", ".join(tie.tied),
                       winner=", ".join(tie.winners)))  # fmt: skip
    lines.append(
        _(
            "The parties' regional votes, pooled per valgforbund and divided by 1, 2, 3, …: the largest quotient "
            "takes the chair, the next the vice-chair (inferred: the sources do not spell out how)."
        )
    )
    if shares:
        lines.append(
            _(
                "The data set has no vote counts, only each party's share in tenths of a percentage point "
                "(276 = 27.6 %): the quotients are computed from those."
            )
        )
    group_label, divisor_label, quotient_label = _("Group"), _("Divisor"), _("Quotient")
    table = [f"{group_label:<14}{divisor_label:>8}{quotient_label:>10}"]
    table += [f"{q.group:<14}{q.divisor:>8}{_.decimal(float(q.value)):>10}" for q in result.quotients]
    return "\n".join(lines), "\n".join(table)


def recorded_lots(words: Sequence[str], attempt: Callable[[list[str]], object]) -> tuple[list[str], list[int]]:
    """The groups that recorded lots name, and each one's place among the tied of its tie. A typed lot names its
    group (`/formandsvalg lod V+I+Ø`); a button carries the place, because a button's data is plain ASCII and
    "V+I+Ø" is not. The tied of each tie are known only once the lots before it are applied (`attempt` runs the
    election with them and raises the next tie), so the lots are resolved in order."""
    groups: list[str] = []
    places: list[int] = []
    for word in words:
        try:
            attempt(groups)
        except TieUnresolved as tie:
            tied = list(tie.report.tied)
            named = [i for i, group in enumerate(tied) if group.casefold() == word.casefold()]
            if is_number(word) and int(word) < len(tied):
                named = [int(word)]
            if named:
                groups.append(tied[named[0]])
                places.append(named[0])
                continue
            raise InvalidInput(Reason.RECORDED_LOT_MISMATCH, ", ".join(tied)) from None
        raise InvalidInput(Reason.RECORDED_LOT_MISMATCH, word)
    return groups, places


def recorded_draw(lots: Sequence[str]) -> RecordedDraw | None:
    """The lots recorded so far, or None: with no lot recorded a tie is unresolved (and asks for one), where an
    empty RecordedDraw would say its lots are used up."""
    return RecordedDraw([[lot] for lot in lots]) if lots else None


def lot_buttons(
    turn: Turn,
    command: Sequence[str],
    places: Sequence[int],
    tie: TieUnresolved,
    name: Callable[[str], str] = str,
) -> list[Button]:
    """One button per tied group or candidate, naming it for the person and carrying its place for the bot."""
    _ = turn._
    return [
        turn.button(_("Lot: {group}", group=name(group)), " ".join([*command, *map(str, places), str(index)]))
        for index, group in enumerate(tie.report.tied)
    ]


def extra_words_note(turn: Turn) -> str:
    """What `/formandsvalg` says when something it does not take follows it; "" when nothing does."""
    _ = turn._
    words = (*LOT, "registrer", "record")
    if not turn.args or (turn.is_secretariat and turn.args[0].lower() in words):
        return ""
    command = turn.command("chair")
    if turn.is_secretariat:
        return _(
            "After {command} only a lot is written, when a tie needs one ({command} {lot} GROUP), or the record of "
            "the elected ({command} {record} CHAIR-ID VICE-CHAIR-ID). Here is where the election stands.",
            command=command,
            lot=LOT[0] if _.language == "da" else LOT[1],
            record="registrer" if _.language == "da" else "record",
        )
    return _("{command} takes nothing after it. Here is where the election stands.", command=command)


async def expected_chair_case(turn: Turn, meeting: Meeting, leader: str) -> None:
    """`/formandsvalg` before the period's constituent meeting: the expected result, computed from the votes and
    the approved valgforbund (stored, with its lots, once no valgforbund can change it: see `elect_chair`; a tie
    needs a lot: `/formandsvalg lod GROUP`). It yields groups; the council elects people at the meeting, led by
    the longest-serving mayor (`leader`, item 1.1) until then."""
    _ = turn._
    assert turn.person is not None
    buttons = [[turn.button(_("Valgforbund"), "valgforbund")]]
    expected = _(
        "Expected, not elected: computed from the votes and the approved valgforbund, the computation gives posts "
        "to groups; the council elects the chair and vice-chair among its members at the constituent meeting {when}.",
        when=_.date(meeting.start),
    )
    stored = await store.chair_result(turn.conn, meeting.id)
    if stored is not None:
        text, table = chair_text(ChairElection.model_validate(stored), _, shares=turn.dataset.vote_counts is None)
        turn.reply(expected + "\n\n" + text + "\n\n" + leader, title=_("Chair election: expected result"),
                   pre=table, buttons=buttons)  # fmt: skip
        return
    if not turn.is_secretariat:
        turn.reply(_("The chair and vice-chair have not been elected yet.") + " " + leader, buttons=buttons)
        return
    args = turn.args
    alliances, pending = await valgforbund_decided(turn.conn, meeting)
    dataset = (await council_for(turn, meeting)).dataset  # R-PER-1: the votes of the council that meets
    try:
        lots, places = recorded_lots(
            args[1:] if args and args[0].lower() in LOT else (),
            lambda lots: compute_chair(dataset, alliances, lots),
        )
        result = await elect_chair(
            turn.conn,
            dataset,
            meeting,
            alliances,
            pending,
            lots,
            today=local_today(turn),
            now=turn.now,
            by=turn.person.id,
        )
    except TieUnresolved as tie:
        turn.reply(
            _p(
                turn,
                "{tied} have equal quotients ({value}) for {count} post: only a lot can decide. Draw the lot "
                "and record the winner.",
                "{tied} have equal quotients ({value}) for {count} posts: only a lot can decide. Draw the lot "
                "and record the winner.",
                tie.report.seats,
                tied=_("{first} and {last}", first=", ".join(tie.report.tied[:-1]), last=tie.report.tied[-1]),
                value=_.decimal(float(tie.report.value)),
            )
            + " "
            + leader,
            title=_("Chair election: a lot is needed"),
            buttons=[lot_buttons(turn, ("chair", "lod"), places, tie)],
        )
        return
    except InvalidInput as exc:
        turn.reply(reason_text(exc.reason, exc.detail, _), buttons=[[turn.button(_("Chair election"), "chair")]])
        return
    text, table = chair_text(result, _, shares=turn.dataset.vote_counts is None)
    deadline = valgforbund_deadline(meeting.start.date())
    if local_today(turn) <= deadline:
        note = _(
            "A preview with the valgforbund approved so far: valgforbund can be notified until {deadline}, and the "
            "result is stored after that.",
            deadline=_.date(deadline),
        )
        turn.reply(note + "\n\n" + text, title=_("Chair election: preview"), pre=table, buttons=buttons)
    elif pending:
        note = _p(
            turn,
            "A preview: {count} valgforbund notice awaits your decision, and the result is stored once it is decided.",
            "A preview: {count} valgforbund notices await your decision, and the result is stored once they are "
            "decided.",
            pending,
        )
        turn.reply(note + "\n\n" + text, title=_("Chair election: preview"), pre=table, buttons=buttons)
    else:
        turn.reply(expected + "\n\n" + text + "\n\n" + leader, title=_("Chair election: expected result"),
                   pre=table, buttons=buttons)  # fmt: skip


async def elect_chair(
    conn: aiosqlite.Connection,
    dataset: Dataset,
    meeting: Meeting,
    alliances: list[list[str]],
    pending: int,
    lots: Sequence[str],
    *,
    today: date,
    now: datetime,
    by: str,
) -> ChairElection:
    """The chair election with the approved valgforbund (R-ELEC-1..4) (`valgforbund_decided`). It is stored, and so
    final, only when no valgforbund can change it any more: after R-ELEC-4's deadline, with no notice `pending`.
    Before that it is a preview, because a later valgforbund changes the quotients."""
    result = compute_chair(dataset, alliances, lots)
    if today > valgforbund_deadline(meeting.start.date()) and not pending:
        await store.store_chair_result(conn, meeting.id, alliances, result.model_dump(mode="json"), by, now)
    return result
