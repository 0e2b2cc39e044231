"""Appointments to regional fora (seed, item 1.5): one seat by flertalsvalg (R-ELEC-5), several by
forholdstalsvalg on the groups' lists (R-ELEC-6), council members of the region only (R-ELEC-7).

The secretariat records what happened at the meeting (`/forum`); kkrcore says what it means. Members ask
where they, or anyone, are appointed (`/udpegninger`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.core.commands import is_number
from bot.core.turn import Turn, _p, display_name, quoted
from bot.core.usecases.elections import LOT, lot_buttons, reason_text, recorded_draw, recorded_lots
from bot.core.usecases.people import find_people, fold
from bot.core.usecases.period import period_name
from bot.i18n import Translator
from bot.storage import elections as store
from bot.storage.periods import StoredPeriod
from bot.storage.roster import Person, Role, Roster
from kkrcore.apportionment import Apportionment
from kkrcore.draw import TieUnresolved
from kkrcore.elections import Ballot, MajorityElection, appointable, majority_election, proportional_election
from kkrcore.reasons import InvalidInput, Reason

NEW = ("ny", "new")
VOTES = ("stemmer", "votes")
LIST = ("liste", "list")
ALLOCATE = ("fordel", "allocate")
CORRECT = ("ret", "correct")
CANDIDATE = ("kandidat", "candidate")
SEND = ("send",)
CANCEL = ("annuller", "cancel")
PREVIEWED = VOTES + LIST + CORRECT + ALLOCATE + LOT
"""What records a forum's votes, lists and appointments (the seats allocated, a lot drawn): each is previewed, and
recorded only on Send."""
_FORUM_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")  # a word of a button's data (commands.parse_action)
_VOTE = re.compile(r"^(.+)=(\d+)$")


class ForumError(Exception):
    """A request the secretariat can correct; the text says how."""


def check_appointable(
    person_id: str,
    roster: Roster,
    extra: dict[str, store.Candidate],
    region: Sequence[str],
    _: Translator,
    coming: StoredPeriod | None = None,
) -> None:
    """R-ELEC-7, or a ForumError naming the person and the rule. A roster member or substitute is a council
    member of their municipality; a recorded candidate's municipality was checked when it was recorded. A person
    of the loaded next period (`coming`) is not in the roster yet (as /udtraedelse says): her council appoints
    for its own period (seed item 1.5), and whether she sits on a municipal council today the bot cannot tell, so
    the secretariat records her as a candidate if she does."""
    if person_id in extra:
        return
    person = roster.by_id.get(person_id)
    if person is None:
        raise ForumError(
            _("There is nobody with id {id} in the roster or among the recorded candidates (/forum kandidat).",
              id=person_id)
        )  # fmt: skip
    if coming is not None and person in roster.pending:
        raise ForumError(
            _("{name} is not in the roster yet: they join it with the council of {period} at the constituent meeting "
              "{when}, and that council appoints for its own period. Nothing was recorded. If {name} sits on a "
              "municipal council in the region now, record them as a candidate with an id of their own: /forum "
              "kandidat ID MUNICIPALITY PARTY NAME",
              name=display_name(person, _), period=period_name(coming.constituent),
              when=_.date(coming.constituent.start))
        )  # fmt: skip
    council = person.municipality if person.role in (Role.MEMBER, Role.SUBSTITUTE) else None
    check = appointable(council, region)
    if not check.allowed:
        raise ForumError(reason_text(check.reason, display_name(person, _), _))


async def candidate_names(turn: Turn) -> dict[str, str]:
    """Everyone who can stand, by id: the roster (archived people too, for past results) and the candidates."""
    _ = turn._
    roster = await turn.roster()
    names = {p.id: display_name(p, _) for p in roster.ever_by_id.values()}
    for candidate in (await store.candidates(turn.conn)).values():
        names[candidate.id] = _("{name} ({party}, {municipality})", name=candidate.name, party=candidate.party,
                                municipality=candidate.municipality)  # fmt: skip
    return names


def no_number(args: Sequence[str], at: int, _: Translator) -> None:
    """A ForumError when the word at `at` (seats, members present, a list's members) is written but is no number:
    the fault first, then the usage (only the usage when the word is missing)."""
    if len(args) > at + 1 and not is_number(args[at]):
        raise ForumError(
            _("“{word}” is not a number; write it in digits, for example 22.", word=quoted(args[at]))
            + "\n\n"
            + forum_usage(_)
        )


def forum_usage(_: Translator) -> str:
    return _(
        "Secretariat: /forum ny ID SEATS [substitutes] [gender] NAME; /forum stemmer ID PRESENT PERSON=VOTES ...; "
        "/forum ret ID PRESENT PERSON=VOTES ... (corrects the last round); /forum liste ID GROUP MEMBERS "
        "PERSON,PERSON,...; /forum fordel ID; /forum lod ID WINNER; /forum kandidat ID MUNICIPALITY PARTY NAME "
        "(a council member who is not in the roster)."
    )


async def forum_case(turn: Turn) -> None:
    """`/forum`: the overview, or the secretariat's actions on a forum (`forum_action`)."""
    _ = turn._
    args = turn.args
    try:
        if args and args[0].lower() in PREVIEWED:
            await _preview(turn, args)
        elif len(args) == 2 and args[0].lower() in SEND + CANCEL and is_number(args[1]):
            await _settle(turn, int(args[1]), send=args[0].lower() in SEND)
        else:
            await forum_action(turn, args)
    except ForumError as exc:
        turn.reply(
            str(exc), buttons=[[turn.button(_("Fora"), "forum"), turn.button(_("Appointments"), "appointments")]]
        )


async def forum_action(turn: Turn, args: Sequence[str]) -> None:
    """One action on the fora; a ForumError says what to correct (the chat replies with it, `kkrbot forum`
    prints it and exits 2)."""
    if not args:
        await _overview(turn)
        return
    action = args[0].lower()
    if action in NEW:
        await _new(turn, args[1:])
    elif action in VOTES:
        await _record_round(turn, args[1:])
    elif action in CORRECT:
        await _record_round(turn, args[1:], correct=True)
    elif action in CANDIDATE:
        await _candidate(turn, args[1:])
    elif action in LIST:
        await _record_list(turn, args[1:])
    elif action in ALLOCATE:
        await _allocate(turn, args[1:2], [])
    elif action in LOT and len(args) >= 3:
        await _lot(turn, args[1], list(args[2:]))
    else:
        raise ForumError(forum_usage(turn._))


async def _overview(turn: Turn) -> None:
    _ = turn._
    fora = await store.all_fora(turn.conn)
    lines = [] if fora else [_("No forum has been created yet.")]
    for forum in fora:
        state = _("decided") if forum.result else _("open")
        seats = _p(turn, "{id}: {name}, {count} seat, {state}", "{id}: {name}, {count} seats, {state}", forum.seats,
                   id=forum.id, name=forum.name, state=state)  # fmt: skip
        lines.append(seats)
    lines.append("")
    lines.append(forum_usage(_))
    turn.reply("\n".join(lines), title=_("Regional fora"), buttons=[[turn.button(_("Appointments"), "appointments")]])


async def _forum(turn: Turn, forum_id: str) -> store.Forum:
    forum = await store.get_forum(turn.conn, forum_id.lower())
    if forum is None:
        raise ForumError(turn._("There is no forum {id}. /forum lists them.", id=forum_id))
    if forum.result is not None:
        raise ForumError(turn._("The appointment to {name} is already decided.", name=forum.name))
    return forum


async def _new(turn: Turn, args: Sequence[str]) -> None:
    _ = turn._
    if len(args) >= 3 and is_number(args[1]) and int(args[1]) < 1:  # the reason, where it is known (issue 23)
        raise ForumError(_("There must be at least one seat.") + "\n\n" + forum_usage(_))
    no_number(args, 1, _)
    if len(args) < 3 or not is_number(args[1]):
        raise ForumError(forum_usage(_))
    forum_id = args[0].lower()  # looked up in lower case too (_forum)
    if not _FORUM_ID.match(forum_id):
        raise ForumError(
            _(
                "A forum's id is one word of letters a-z, digits and hyphens, at most 32 (for example trafik), "
                "not “{id}”.",
                id=args[0],
            )
            + "\n\n"
            + forum_usage(_)
        )
    flags = {a.lower() for a in args[2:4]}
    substitutes = bool(flags & {"suppleanter", "substitutes"})
    gender = bool(flags & {"ligestilling", "gender"})
    name = " ".join(a for a in args[2:] if a.lower() not in {"suppleanter", "substitutes", "ligestilling", "gender"})
    if not name:
        raise ForumError(forum_usage(_))
    if not await store.add_forum(turn.conn, forum_id, name, int(args[1]), substitutes, gender, turn.now):
        raise ForumError(_("A forum with id {id} exists already.", id=forum_id))
    seats = int(args[1])
    how = (
        _("One seat: a flertalsvalg of up to three rounds (R-ELEC-5). Record each round: /forum stemmer {id} PRESENT "
          "PERSON=VOTES ...", id=forum_id)
        if seats == 1
        else _("{seats} seats: a forholdstalsvalg on the groups' lists (R-ELEC-6). Record each list: /forum liste {id} "
               "GROUP MEMBERS PERSON,PERSON,... then /forum fordel {id}", seats=seats, id=forum_id)
    )  # fmt: skip
    extras = []
    if substitutes:
        extras.append(_("Personal substitutes are to be appointed as well."))
    if gender:
        extras.append(_("Gender balance is required."))
    turn.reply("\n".join([how, *extras]), title=_("Forum {name} created", name=name))


async def _preview(turn: Turn, args: Sequence[str]) -> None:
    """What a round, list, allocation or lot would record and what follows, worked out inside a savepoint that is
    rolled back (`Turn.rehearse`); Send records it (`_settle`). A mistake the rules refuse is answered at once, as
    before, and so is what records nothing (a tie, which asks for the lot with its buttons)."""
    _ = turn._
    replies, changes = await turn.rehearse(lambda: forum_action(turn, args))
    if not changes:
        turn.outcome.replies.extend(replies)
        return
    shown = [reply.text for reply in replies]
    draft_id = await store.add_forum_draft(
        turn.conn, args[1].lower(), list(args), turn.person.id if turn.person else None, turn.now
    )
    turn.reply(
        "\n\n".join([_("Nothing is recorded until you press Send. If it is recorded, the bot answers:"), *shown]),
        title=_("Check before recording"),
        buttons=[
            [turn.button(_("Send"), f"forum send {draft_id}"), turn.button(_("Cancel"), f"forum annuller {draft_id}")]
        ],
    )


async def _settle(turn: Turn, draft_id: int, *, send: bool) -> None:
    """Send or Cancel a previewed round, list, allocation or lot, once (a second press or a replayed update
    records nothing)."""
    _ = turn._
    words = await store.open_forum_draft(turn.conn, draft_id)
    if words is None:
        raise ForumError(_("That preview is settled already, or I cannot find it. /forum shows the fora."))
    if send:
        await forum_action(turn, words)
    else:
        turn.reply(_("Nothing was recorded."), buttons=[[turn.button(_("Fora"), "forum")]])
    await store.settle_forum_draft(turn.conn, draft_id, "sent" if send else "cancelled", turn.now)
    turn.buttons_used()


async def _record_round(turn: Turn, args: Sequence[str], *, correct: bool = False) -> None:
    """The next round of a flertalsvalg, with the members present at it; `correct`: the last round again, typed
    right (before the next round; a decision it made is undone and judged anew)."""
    _ = turn._
    no_number(args, 1, _)
    if len(args) < 3 or not is_number(args[1]):
        raise ForumError(forum_usage(_))
    forum = await store.get_forum(turn.conn, args[0].lower()) if correct else await _forum(turn, args[0])
    if forum is None:
        raise ForumError(turn._("There is no forum {id}. /forum lists them.", id=args[0]))
    if forum.seats != 1:
        raise ForumError(_("{name} has several seats: record the groups' lists instead.", name=forum.name))
    roster = await turn.roster()
    extra = await store.candidates(turn.conn)
    region = [m.name for m in turn.dataset.municipalities]
    votes: dict[str, int] = {}
    for item in args[2:]:
        match = _VOTE.match(item)
        if not match:
            raise ForumError(
                _("“{item}” is not a vote: write PERSON=VOTES, for example a-medlem-2=12.", item=quoted(item))
                + "\n\n"
                + forum_usage(_)
            )
        check_appointable(match[1], roster, extra, region, _, turn.conversation.next_period_at(turn.now))
        votes[match[1]] = int(match[2])
    present = int(args[1])
    if sum(votes.values()) > present:  # said here in the reader's words; kkrcore's detail is for the CLI
        raise ForumError(_("{votes} votes are more than the {present} members present.", votes=sum(votes.values()),
                           present=present))  # fmt: skip
    rounds = await store.forum_rounds(turn.conn, forum.id)
    if correct:
        if not rounds:
            raise ForumError(_("No round of {name} is recorded yet, so there is nothing to correct.", name=forum.name))
        await store.drop_last_round(turn.conn, forum.id)
        rounds = rounds[:-1]
    try:
        result = majority_election([*rounds, Ballot(present=present, votes=votes)])
    except InvalidInput as exc:
        raise ForumError(reason_text(exc.reason, exc.detail, _)) from exc
    except TieUnresolved as tie:
        await store.add_forum_round(turn.conn, forum.id, len(rounds) + 1, present, votes, turn.now)
        await _ask_lot(turn, forum, tie)
        return
    await store.add_forum_round(turn.conn, forum.id, len(rounds) + 1, present, votes, turn.now)
    await _majority_outcome(turn, forum, result)


async def _candidate(turn: Turn, args: Sequence[str]) -> None:
    """`/forum kandidat ID MUNICIPALITY PARTY NAME`: anyone on a municipal council in the region may be appointed
    (R-ELEC-7), not only the roster. The bot checks the municipality; it cannot check council membership."""
    _ = turn._
    if len(args) < 4:
        raise ForumError(forum_usage(_))
    candidate_id = args[0].lower()
    if not _FORUM_ID.match(candidate_id) or candidate_id in (await turn.roster()).ever_by_id:
        raise ForumError(
            _("A candidate's id is one new word of letters a-z, digits and hyphens (for example jens-hansen), "
              "not one in the roster: “{id}”.", id=args[0])
        )  # fmt: skip
    region = [m.name for m in turn.dataset.municipalities]
    municipality = next((name for name in region if fold(name) == fold(args[1])), None)
    if municipality is None:
        raise ForumError(
            _("{municipality} is not one of the region's municipalities ({region}); only council members of the "
              "region's municipalities can be appointed.", municipality=quoted(args[1]), region=", ".join(region))
        )  # fmt: skip
    party = args[2].upper()
    if party not in {p.letter for p in turn.dataset.parties}:
        raise ForumError(_("{detail} is not a party letter of this period.", detail=args[2]))
    name = " ".join(args[3:])
    if not await store.add_candidate(turn.conn, candidate_id, name, municipality, party, turn.now):
        raise ForumError(_("A candidate with id {id} exists already.", id=candidate_id))
    turn.reply(
        _("Candidate {name} ({party}, {municipality}) recorded with id {id}. The bot checked that {municipality} is "
          "in the region; it cannot check that {name} sits on its municipal council, which is required (only "
          "council members of the region can be appointed). Please make sure of it.",
          name=name, party=party, municipality=municipality, id=candidate_id),
        buttons=[[turn.button(_("Fora"), "forum")]],
    )  # fmt: skip


async def _majority_outcome(turn: Turn, forum: store.Forum, result: MajorityElection) -> None:
    _ = turn._
    names = await candidate_names(turn)
    if result.elected is not None:
        await store.decide_forum(turn.conn, forum.id, result.model_dump(mode="json"), [result.elected], turn.now)
        why = {
            Reason.ELECTED_BY_MAJORITY: _("a majority of the members present"),
            Reason.ELECTED_AS_ONLY_CANDIDATE: _("votes for that candidate only in round 2"),
            Reason.ELECTED_BY_PLURALITY: _("most votes in round 3"),
            Reason.ELECTED_BY_LOT: _("a recorded lot in round 3"),
        }[result.reason]
        turn.reply(
            _("{name} is appointed to {forum} in round {round}, by {why} (R-ELEC-5).", name=names[result.elected],
              forum=forum.name, round=result.round, why=why),
            buttons=[[turn.button(_("Appointments"), "appointments all")]],
        )  # fmt: skip
        return
    if result.candidates:
        text = _("No one is elected. Round 3 is between {a} and {b}; most votes wins (R-ELEC-5).",
                 a=names.get(result.candidates[0], result.candidates[0]),
                 b=names.get(result.candidates[1], result.candidates[1]))  # fmt: skip
    else:
        text = _("No one has a majority ({majority} of those present): round {round} is needed (R-ELEC-5).",
                 majority=result.majority, round=result.round)  # fmt: skip
    turn.reply(text, buttons=[[turn.button(_("Fora"), "forum")]])


async def _record_list(turn: Turn, args: Sequence[str]) -> None:
    _ = turn._
    no_number(args, 2, _)
    if len(args) < 4 or not is_number(args[2]):
        raise ForumError(forum_usage(_))
    forum = await _forum(turn, args[0])
    if forum.seats == 1:
        raise ForumError(_("{name} has one seat: record the rounds of the flertalsvalg instead.", name=forum.name))
    roster = await turn.roster()
    region = [m.name for m in turn.dataset.municipalities]
    candidates = [c for c in ",".join(args[3:]).split(",") if c]
    extra = await store.candidates(turn.conn)
    coming = turn.conversation.next_period_at(turn.now)
    for candidate in candidates:
        check_appointable(candidate, roster, extra, region, _, coming)
    names = await candidate_names(turn)
    # The lists share the council's members between the groups: together no more than the council has, and a
    # candidate on one list only, or d'Hondt shares the seats on numbers that cannot be.
    others = {g: lst for g, lst in (await store.forum_lists(turn.conn, forum.id)).items() if g != args[1]}
    council = sum(1 for p in roster.people if p.role is Role.MEMBER)
    total = int(args[2]) + sum(members for members, _c in others.values())
    if total > council:
        raise ForumError(_("The groups' members would add up to {total}, more than the council's {council}.",
                           total=total, council=council))  # fmt: skip
    for group, (_m, listed) in others.items():
        for candidate in set(candidates) & set(listed):
            raise ForumError(_("{name} is already on the list of {group}.",
                               name=names[candidate], group=group))  # fmt: skip
    await store.set_forum_list(turn.conn, forum.id, args[1], int(args[2]), candidates, turn.now)
    turn.reply(
        _p(turn, "List of {group} for {forum} recorded: {members} members, {count} candidate.",
           "List of {group} for {forum} recorded: {members} members, {count} candidates.", len(candidates),
           group=args[1], forum=forum.name, members=args[2]),
        buttons=[[turn.button(_("Allocate the seats"), f"forum fordel {forum.id}")]],
    )  # fmt: skip


def allocate(
    lists: dict[str, tuple[int, list[str]]], seats: int, lots: Sequence[str]
) -> tuple[Apportionment, list[str]]:
    """R-ELEC-6: d'Hondt on the groups' member counts; each group's seats go to its candidates in list order."""
    draw = recorded_draw(lots)
    result = proportional_election({g: members for g, (members, _c) in lists.items()}, seats, draw)
    appointed = [c for g, (_m, candidates) in lists.items() for c in candidates[: result.seats[g]]]
    return result, appointed


async def _allocate(turn: Turn, args: Sequence[str], lots: Sequence[str], places: Sequence[int] = ()) -> None:
    _ = turn._
    if not args:
        raise ForumError(forum_usage(_))
    forum = await _forum(turn, args[0])
    lists = await store.forum_lists(turn.conn, forum.id)
    if not lists:
        raise ForumError(_("No lists are recorded for {name} yet.", name=forum.name))
    try:
        result, appointed = allocate(lists, forum.seats, lots)
    except TieUnresolved as tie:
        await _ask_lot(turn, forum, tie, places)
        return
    except InvalidInput as exc:
        raise ForumError(reason_text(exc.reason, exc.detail, _)) from exc
    short = [g for g, (_m, c) in lists.items() if len(c) < result.seats[g]]
    if short:
        raise ForumError(_("{groups} won more seats than their list has candidates; record a longer list.",
                           groups=", ".join(short)))  # fmt: skip
    await store.decide_forum(turn.conn, forum.id, result.model_dump(mode="json"), appointed, turn.now)
    names = await candidate_names(turn)
    lines = [_p(turn, "{group}: {count} seat", "{group}: {count} seats", n, group=g) for g, n in result.seats.items()]
    lines.append(_("Appointed: {names}", names=", ".join(names[p] for p in appointed)))
    turn.reply("\n".join(lines), title=_("{forum}: forholdstalsvalg (R-ELEC-6)", forum=forum.name),
               buttons=[[turn.button(_("Appointments"), "appointments all")]])  # fmt: skip


async def _ask_lot(turn: Turn, forum: store.Forum, tie: TieUnresolved, places: Sequence[int] = ()) -> None:
    """A tie asks for the lot drawn at the meeting: groups by their names, candidates by their names, not ids."""
    _ = turn._
    known = await candidate_names(turn)

    def name(tied: str) -> str:
        return known.get(tied, tied)

    names = [name(tied) for tied in tie.report.tied]
    turn.reply(
        _(
            "{tied} are tied: only a lot can decide. Draw it and record the winner.",
            tied=_("{first} and {last}", first=", ".join(names[:-1]), last=names[-1]),
        ),
        buttons=[lot_buttons(turn, ("forum", "lod", forum.id), places, tie, name)],
    )


async def _lot(turn: Turn, forum_id: str, words: Sequence[str]) -> None:
    """`/forum lod ID WINNER ...`: the lots drawn, tie by tie, by group name or (from a button) place."""
    _ = turn._
    forum = await _forum(turn, forum_id)
    lists = await store.forum_lists(turn.conn, forum.id)
    rounds = await store.forum_rounds(turn.conn, forum.id)
    if forum.seats == 1 and not rounds:  # nothing to draw a lot between yet (issue 23)
        raise ForumError(_("No votes are recorded yet."))

    def attempt(lots: list[str]) -> object:
        if forum.seats > 1:
            return allocate(lists, forum.seats, lots)
        return majority_election(rounds, recorded_draw(lots))

    try:
        lots, places = recorded_lots(words, attempt)
    except InvalidInput as exc:
        raise ForumError(reason_text(exc.reason, exc.detail, _)) from exc
    if forum.seats > 1:
        await _allocate(turn, [forum.id], lots, places)
        return
    try:
        result = majority_election(rounds, recorded_draw(lots))
    except TieUnresolved as tie:
        await _ask_lot(turn, forum, tie, places)
        return
    except InvalidInput as exc:
        raise ForumError(reason_text(exc.reason, exc.detail, _)) from exc
    await _majority_outcome(turn, forum, result)


async def appointments_case(turn: Turn) -> None:
    """`/udpegninger`: my appointments (the secretariat, appointed to none: everyone's); `/udpegninger alle`:
    everyone's; `/udpegninger NAME`: that person's."""
    _ = turn._
    assert turn.person is not None
    roster = await turn.roster()
    query = " ".join(turn.args)
    if not query and turn.is_secretariat:
        people: list[Person] | None = None
    elif not query:
        people = [turn.person]
    elif query.lower() in ("alle", "all"):
        people = None
    else:
        people = find_people(roster, query)
        if not people:
            turn.reply(_("I found nobody called {query}.", query=query),
                       buttons=[[turn.button(_("All appointments"), "appointments all")]])  # fmt: skip
            return
    found: list[tuple[str, str]] = []
    if people is None:
        found = await store.appointments(turn.conn)
    for person in people or []:
        found += await store.appointments(turn.conn, person.id)
    by_person: dict[str, list[str]] = {}
    for forum_name, person_id in found:
        by_person.setdefault(person_id, []).append(forum_name)
    lines: list[str] = []
    names = await candidate_names(turn)
    for person_id, fora in by_person.items():
        lines.append(f"{names.get(person_id, person_id)}: {', '.join(fora)}")
    if not lines:
        lines.append(_("No appointments to regional fora are recorded.") if people is None or query
                     else _("You are not appointed to any regional forum."))  # fmt: skip
    turn.reply("\n".join(lines), title=_("Appointments to regional fora"),
               buttons=[[turn.button(_("All appointments"), "appointments all")]])  # fmt: skip
