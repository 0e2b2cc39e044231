"""`kkrbot election …` and `kkrbot forum …`: the secretariat's elections from the command line (issue #11).

The same storage and the same kkrcore calls as the chat (`bot.core.usecases.elections`, `.fora`), so a result
decided here is the result the chat shows, and `--json` prints kkrcore's own JSON, comparable with `kkrcore`.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any
from zoneinfo import ZoneInfo

from bot.app import open_conversation, utc_now
from bot.channels.console import render_plain
from bot.config import Settings
from bot.core.conversation import Conversation
from bot.core.turn import Turn
from bot.core.usecases.chair_record import ChairRecordError, draft_chair_record, period_chair_case
from bot.core.usecases.elections import elect_chair, valgforbund_decided
from bot.core.usecases.fora import ForumError, forum_action
from bot.core.usecases.period import period_constituent_meeting
from bot.storage import elections as store
from bot.storage.meeting_changes import plan
from bot.storage.roster import Roster
from kkrcore.draw import TieUnresolved
from kkrcore.elections import valgforbund_deadline
from kkrcore.reasons import InvalidInput


class ElectionError(Exception):
    """One line for the secretariat at the terminal."""


def add_parsers(commands: Any) -> None:
    election = commands.add_parser("election", help="valgforbund and the election of chair and vice-chair")
    sub = election.add_subparsers(dest="election_command", required=True)
    listing = sub.add_parser("alliances", help="the valgforbund notified for this period's constituent meeting")
    listing.add_argument("--json", action="store_true")
    decide = sub.add_parser("decide", help="approve or reject a valgforbund notice")
    decide.add_argument("notice", type=int)
    decide.add_argument("decision", choices=["approve", "reject"])
    chair = sub.add_parser(
        "chair",
        help="elect chair and vice-chair with the approved valgforbund; stored once the deadline for "
        "notifying valgforbund (three working days before the constituent meeting) has passed, "
        "with every notice decided",
    )
    chair.add_argument("--lot", action="append", default=[], help="the group that won a drawn lot, in order")
    chair.add_argument("--json", action="store_true")

    chair_record = commands.add_parser("chair", help="the chair and vice-chair the council elected")
    sub = chair_record.add_subparsers(dest="chair_command", required=True)
    record = sub.add_parser(
        "record",
        help="record the chair and vice-chair elected at this period's constituent meeting (two members); shown "
        "beside the computed groups, a mismatch shown, not refused",
    )
    record.add_argument("chair", metavar="CHAIR-ID")
    record.add_argument("vice_chair", metavar="VICE-CHAIR-ID")
    record.add_argument("--as", dest="actor", help="the secretariat person acting (default: the first one)")

    forum = commands.add_parser("forum", help="regional fora and appointments")
    sub = forum.add_subparsers(dest="forum_command", required=True)
    listing = sub.add_parser("list", help="the fora, their seats and who is appointed")
    listing.add_argument("--json", action="store_true")
    show = sub.add_parser("show", help="a forum's stored kkrcore result")
    show.add_argument("forum")
    show.add_argument("--json", action="store_true")
    # The secretariat's actions, as in the chat's /forum (the same use case, acting as a secretariat person).
    new = sub.add_parser("new", help="create a forum: one seat is a flertalsvalg, several a forholdstalsvalg")
    new.add_argument("forum", help="a short id: lower-case letters, digits and '-'")
    new.add_argument("seats", type=int, help="the number of seats")
    new.add_argument("name", nargs="+")
    new.add_argument("--substitutes", action="store_true", help="personal substitutes are appointed as well")
    new.add_argument("--gender", action="store_true", help="gender balance is required")
    votes = sub.add_parser("votes", help="record the next round of a flertalsvalg")
    votes.add_argument("forum")
    votes.add_argument("present", type=int, help="members present")
    votes.add_argument("votes", nargs="+", metavar="PERSON=VOTES")
    correct = sub.add_parser("correct", help="record the last round of a flertalsvalg again, typed right")
    correct.add_argument("forum")
    correct.add_argument("present", type=int, help="members present at that round")
    correct.add_argument("votes", nargs="+", metavar="PERSON=VOTES")
    candidate = sub.add_parser(
        "candidate",
        help="a council member of the region who is not in the roster, as a candidate; the municipality "
        "is checked, council membership cannot be",
    )
    candidate.add_argument("id", help="a new id: lower-case letters, digits and '-'")
    candidate.add_argument("municipality")
    candidate.add_argument("party", help="the party letter")
    candidate.add_argument("name", nargs="+")
    group = sub.add_parser("group", help="record a group's list for a forholdstalsvalg")
    group.add_argument("forum")
    group.add_argument("group")
    group.add_argument("members", type=int, help="the group's members")
    group.add_argument("candidates", help="PERSON,PERSON,... in the list's order")
    allocate = sub.add_parser("allocate", help="share the seats on the recorded lists (d'Hondt)")
    allocate.add_argument("forum")
    lot = sub.add_parser("lot", help="record the lot drawn at a tie, by the winner's name")
    lot.add_argument("forum")
    lot.add_argument("winner", nargs="+")
    for action in (new, votes, correct, candidate, group, allocate, lot):
        action.add_argument("--as", dest="actor", help="the secretariat person acting (default: the first one)")


async def run(settings: Settings, args: argparse.Namespace) -> str:
    conversation = await open_conversation(settings)
    try:
        if args.command == "chair":
            return await _record_chair(conversation, args)
        if args.command == "forum" and args.forum_command in FORUM_ACTIONS:
            return await _forum_action(conversation, args)
        async with conversation.db.transaction() as conn:
            if args.command == "election":
                return await _election(conn, conversation, args, settings.tz)
            return await _forum(conn, args)
    finally:
        await conversation.db.close()


FORUM_ACTIONS = ("new", "votes", "correct", "candidate", "group", "allocate", "lot")


def _forum_words(args: argparse.Namespace) -> list[str]:
    """The chat's /forum words for a command-line action."""
    if args.forum_command == "new":
        flags = [flag for flag, on in (("substitutes", args.substitutes), ("gender", args.gender)) if on]
        return ["new", args.forum, str(args.seats), *flags, *args.name]
    if args.forum_command in ("votes", "correct"):
        return [args.forum_command, args.forum, str(args.present), *args.votes]
    if args.forum_command == "candidate":
        return ["candidate", args.id, args.municipality, args.party, *args.name]
    if args.forum_command == "group":
        return ["list", args.forum, args.group, str(args.members), args.candidates]
    if args.forum_command == "allocate":
        return ["allocate", args.forum]
    return ["lot", args.forum, *args.winner]


async def secretariat_actor(conversation: Conversation, wanted: str | None) -> str:
    """The secretariat person a command-line action is made as: the one named, or the first one."""
    async with conversation.db.read() as conn:
        roster = await Roster.load(conn)
    secretariat = [p.id for p in roster.secretariat]
    actor = wanted or (secretariat[0] if secretariat else None)
    if actor is None or actor not in secretariat:
        raise ElectionError(f"{actor or 'nobody'} is not in the secretariat (see: kkrbot roster list)")
    return actor


async def _forum_action(conversation: Conversation, args: argparse.Namespace) -> str:
    actor = await secretariat_actor(conversation, args.actor)
    words = _forum_words(args)
    try:
        outcome = await conversation.act(actor, "forum", words, lambda turn: forum_action(turn, words))
    except ForumError as exc:
        # The reason without the chat's syntax (/forum stemmer ...), which the command line does not take.
        reason = str(exc).split("\n\n")[0]
        if reason.startswith(("Secretariat: /forum", "Sekretariatet: /forum")):
            reason = "the forum command is incomplete"
        raise ElectionError(f"{reason} (see: kkrbot forum {args.forum_command} --help)".replace("\n", " ")) from None
    return "\n\n".join(render_plain(reply) for reply in outcome.replies)


async def _record_chair(conversation: Conversation, args: argparse.Namespace) -> str:
    """`kkrbot chair record`: typed at the terminal, the command is its own confirmation (no preview to press)."""
    actor = await secretariat_actor(conversation, args.actor)
    words = ["registrer", args.chair, args.vice_chair]

    async def record(turn: Turn) -> None:
        meeting = period_constituent_meeting(await turn.meetings(), turn.opened)
        if meeting is None:
            raise ChairRecordError("there is no constituent meeting in this period's plan")
        draft = await draft_chair_record(turn, meeting, args.chair, args.vice_chair)
        await store.settle_chair_draft(turn.conn, draft, "sent", turn.now)
        await period_chair_case(turn, meeting, await turn.meetings())

    try:
        outcome = await conversation.act(actor, "chair", words, record)
    except ChairRecordError as exc:
        raise ElectionError(str(exc).replace("\n", " ")) from None
    return "\n\n".join(render_plain(reply) for reply in outcome.replies)


def _dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


async def _election(conn: Any, conversation: Conversation, args: argparse.Namespace, tz: ZoneInfo) -> str:
    now = conversation.clock()
    dataset = conversation.dataset_at(now)
    meeting = period_constituent_meeting(await plan(conn, dataset), conversation.opened)
    if meeting is None:
        raise ElectionError("there is no constituent meeting in this period's plan")
    if args.election_command == "alliances":
        notices = await store.valgforbund_for(conn, meeting.id)
        rows = [{"id": n.id, "parties": n.name, "status": n.status, "notified_by": n.notified_by} for n in notices]
        if args.json:
            return _dump({"meeting": meeting.id, "valgforbund": rows})
        return "\n".join(f"{r['id']}\t{r['parties']}\t{r['status']}" for r in rows) or "no valgforbund notified"
    if args.election_command == "decide":
        status = "approved" if args.decision == "approve" else "rejected"
        if not await store.decide_valgforbund(conn, args.notice, status, "cli", utc_now()):
            raise ElectionError(f"no valgforbund notice {args.notice} awaits a decision")
        return f"valgforbund {args.notice} {status}"
    stored = await store.chair_result(conn, meeting.id)
    note = ""
    if stored is None:
        now = utc_now()
        try:
            alliances, pending = await valgforbund_decided(conn, meeting)
            result = await elect_chair(
                conn, dataset, meeting, alliances, pending, [lot.upper() for lot in args.lot],
                today=now.astimezone(tz).date(), now=now, by="cli",
            )  # fmt: skip
        except TieUnresolved as tie:
            raise ElectionError(
                f"{' and '.join(tie.report.tied)} are tied for {tie.report.seats} post(s): draw the lot and rerun "
                "with --lot GROUP"
            ) from None
        except InvalidInput as exc:
            raise ElectionError(str(exc)) from None
        stored = result.model_dump(mode="json")
        deadline = valgforbund_deadline(meeting.start.date())
        if now.astimezone(tz).date() <= deadline:
            note = f"preview, not stored: valgforbund can be notified until {deadline.isoformat()}"
        elif pending:
            note = f"preview, not stored: {pending} valgforbund notice(s) await a decision"
    if note:
        print(f"kkrbot: {note}", file=sys.stderr)
    if args.json:
        return _dump(stored)
    return (
        f"chair's post (computed group): {stored['chair']}\nvice-chair's post (computed group): {stored['vice_chair']}"
    )


async def _forum(conn: Any, args: argparse.Namespace) -> str:
    fora = {forum.id: forum for forum in await store.all_fora(conn)}
    appointed: dict[str, list[str]] = {}
    for name, person_id in await store.appointments(conn):
        appointed.setdefault(name, []).append(person_id)
    if args.forum_command == "list":
        rows: list[dict[str, Any]] = [
            {"id": f.id, "name": f.name, "seats": f.seats, "decided": f.result is not None,
             "appointed": appointed.get(f.name, [])}
            for f in fora.values()
        ]  # fmt: skip
        if args.json:
            return _dump(rows)
        return "\n".join(f"{r['id']}\t{r['name']}\t{r['seats']}\t{', '.join(r['appointed'])}" for r in rows) or (
            "no fora"
        )
    forum = fora.get(args.forum)
    if forum is None:
        raise ElectionError(f"no forum {args.forum!r} (see: kkrbot forum list)")
    if forum.result is None:
        raise ElectionError(f"the appointment to {forum.name} is not decided yet")
    if args.json:
        return _dump(forum.result)
    return f"{forum.name}: {', '.join(appointed.get(forum.name, []))}"
