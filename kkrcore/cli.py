"""`kkrcore`: the rules engine from the command line, for the secretariat and for checking the bot's answers.

Every failure the user can cause ends in one line on stderr and exit status 2, never a traceback.
"""

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, StrictInt

from kkrcore.apportionment import Apportionment, Method
from kkrcore.composition import Composition, CompositionInput, compute_composition, eligibility
from kkrcore.dataset import DatasetError, load_dataset, load_model
from kkrcore.days import workdays_before
from kkrcore.draw import Draw, SeededDraw, TieReport, TieUnresolved
from kkrcore.elections import (
    ALLIANCE_JOINER,
    Ballot,
    ChairElection,
    MajorityElection,
    chair_election,
    majority_election,
)
from kkrcore.elections import proportional_election as run_proportional
from kkrcore.meetings import Quorum, next_meeting, quorum
from kkrcore.models import Dataset, Meeting
from kkrcore.reasons import InvalidInput

PROG = "kkrcore"
USAGE_ERROR = 2


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse prints the whole usage before an error; we want the one line only."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


class _GroupsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)

    groups: dict[str, StrictInt]


class _RoundFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)

    present: StrictInt
    votes: dict[str, StrictInt]


class _VotesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)

    rounds: list[_RoundFile]


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _datetime(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date and time (ISO 8601): {text!r}") from None


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {value}")
    return value


def _parser() -> _Parser:
    parser = _Parser(prog=PROG, description="KKR Nordjylland rules engine.")
    output = _Parser(add_help=False)
    output.add_argument("--json", action="store_true", help="print JSON instead of a table")
    data = _Parser(add_help=False)
    data.add_argument("--data", type=Path, help="dataset file (default: the bundled one)")
    lots = _Parser(add_help=False)
    lots.add_argument("--seed", type=int, help="seed for drawing lots when a tie decides")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub = commands.add_parser("composition", parents=[output, data, lots], help="seats per party (R-COMP)")
    sub.add_argument("--method", type=Method, choices=list(Method), default=Method.HARE)

    sub = commands.add_parser("chair-election", parents=[output, data, lots], help="chair, vice-chair (R-ELEC-1..3)")
    sub.add_argument(
        "--alliance", action="append", default=[], help="an electoral alliance (valgforbund), e.g. A+F+B+Ø"
    )

    sub = commands.add_parser(
        "proportional", parents=[output, data, lots], help="proportional election (forholdstalsvalg, R-ELEC-6)"
    )
    sub.add_argument("--seats", type=int, required=True)
    sub.add_argument(
        "--groups", type=Path, required=True, metavar="FILE", help='a JSON file: {"groups": {"name": members}}'
    )

    sub = commands.add_parser(
        "majority", parents=[output, data, lots], help="majority election (flertalsvalg, R-ELEC-5)"
    )
    sub.add_argument(
        "--votes",
        type=Path,
        required=True,
        metavar="FILE",
        help='a JSON file: {"rounds": [{"present": N, "votes": {...}}, ...]}',
    )

    sub = commands.add_parser("next-meeting", parents=[output, data], help="the next KKR meeting (R-MEET-1)")
    sub.add_argument("--at", type=_datetime, help="ISO date-time (default: now; without offset: the dataset's zone)")

    sub = commands.add_parser("quorum", parents=[output, data], help="is the meeting quorate (R-MEET-4)")
    sub.add_argument("--members", type=int, help="default: the council's size, computed from the dataset")
    sub.add_argument("--present", type=int, required=True)

    sub = commands.add_parser(
        "deadline", parents=[output, data], help="N working days (hverdage) before a date (R-DAY-1)"
    )
    sub.add_argument("--before", type=_date, required=True)
    sub.add_argument("--workdays", type=_non_negative, required=True)
    return parser


def _table(rows: Sequence[Sequence[object]]) -> str:
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def _show_composition(c: Composition) -> str:
    rows: list[Sequence[object]] = [("party", "mayors", "supplementary", "total")]
    rows += [(p, s.mayors, s.supplementary, s.total) for p, s in c.parties.items()]
    seats = c.parties.values()
    rows.append(("total", sum(s.mayors for s in seats), sum(s.supplementary for s in seats), c.size))
    lines = [f"{c.size} seats (cap {c.cap}), method {c.method}", _table(rows)]
    if c.overhang:
        lines.append(f"overhang: {', '.join(c.overhang)}")
    if c.excluded:
        lines.append("excluded: " + ", ".join(f"{e.party} ({e.reason})" for e in c.excluded))
    return "\n".join(lines + _lots(c.ties))


def _lots(ties: Sequence[TieReport]) -> list[str]:
    """A tie that decided a seat is never settled silently (R-COMP-6): one line per lot, as in the JSON."""
    lines = []
    for t in ties:
        how = f"{t.decided_by}, seed {t.seed}" if t.seed is not None else str(t.decided_by)
        lines.append(f"lot: {', '.join(t.tied)} tied for {t.seats} -> {', '.join(t.winners)} ({t.context}; {how})")
    return lines


def _show_chair(e: ChairElection) -> str:
    rows: list[Sequence[object]] = [("group", "divisor", "quotient")]
    rows += [(q.group, q.divisor, f"{float(q.value):.2f}") for q in e.quotients]
    return "\n".join([f"chair: {e.chair}", f"vice-chair: {e.vice_chair}", _table(rows), *_lots(e.ties)])


def _show_apportionment(a: Apportionment) -> str:
    return "\n".join([_table([("group", "seats"), *a.seats.items()]), *_lots(a.ties)])


def _show_majority(e: MajorityElection) -> str:
    if e.elected is not None:
        text = f"{e.elected} elected in round {e.round} ({e.reason})"
    else:
        between = f" between {' and '.join(e.candidates)}" if e.candidates else ""
        text = f"round {e.round} needed{between} ({e.reason})"
    return "\n".join([text, *_lots(e.ties)])


def _show_meeting(m: Meeting | None) -> str:
    if m is None:
        return "no upcoming meeting"
    where = f"{m.place}, {m.address}" if m.address else m.place
    text = f"{m.start:%Y-%m-%d %H:%M}-{m.end:%H:%M} {where} ({m.kind})"
    if m.group_meetings_start and m.group_meetings_end:
        text += f"\ngroup meetings {m.group_meetings_start:%H:%M}-{m.group_meetings_end:%H:%M}"
    return text


def _show_quorum(q: Quorum) -> str:
    return f"{q.present} of {q.members} present, {q.required} required: {q.reason}"


def _draw(args: argparse.Namespace) -> Draw | None:
    return None if args.seed is None else SeededDraw(args.seed)


def _dataset(args: argparse.Namespace) -> Dataset:
    return load_dataset(args.data)


def _run(args: argparse.Namespace) -> tuple[Any, Callable[[Any], str]]:
    """The result of the command, and how to show it as text."""
    if args.command == "composition":
        inp = CompositionInput.from_dataset(_dataset(args))
        return compute_composition(inp, args.method, _draw(args)), _show_composition
    if args.command == "chair-election":
        ds = _dataset(args)
        eligible, _ = eligibility(CompositionInput.from_dataset(ds))
        alliances = [a.split(ALLIANCE_JOINER) for a in args.alliance]
        return chair_election(ds.votes[0], eligible, alliances, _draw(args)), _show_chair
    if args.command == "proportional":
        groups = load_model(args.groups, _GroupsFile).groups
        return run_proportional(groups, args.seats, _draw(args)), _show_apportionment
    if args.command == "majority":
        votes = load_model(args.votes, _VotesFile)
        ballots = [Ballot(present=r.present, votes=r.votes) for r in votes.rounds]
        return majority_election(ballots, _draw(args)), _show_majority
    if args.command == "next-meeting":
        ds = _dataset(args)
        zone = ZoneInfo(ds.timezone)
        at = args.at or datetime.now(zone)
        return next_meeting(ds.meetings, at if at.tzinfo else at.replace(tzinfo=zone)), _show_meeting
    if args.command == "quorum":
        members = args.members
        if members is None:
            members = compute_composition(CompositionInput.from_dataset(_dataset(args))).size
        elif args.data is not None:
            _dataset(args)  # every command takes --data; a wrong file is reported here too
        return quorum(members, args.present), _show_quorum
    if args.data is not None:
        _dataset(args)  # accepted by every command, and checked; these commands need nothing from it
    deadline = workdays_before(args.before, args.workdays)
    return {"deadline": deadline.isoformat()}, lambda r: r["deadline"]


def _as_json(result: Any) -> str:
    data = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
    return json.dumps(data, ensure_ascii=False, indent=2)


def _error_line(exc: Exception) -> str:
    if isinstance(exc, InvalidInput):
        reason = exc.reason.replace("_", " ")
        return f"{reason}: {exc.detail}" if exc.detail else reason
    if isinstance(exc, TieUnresolved):
        return f"{exc} - a lot is needed, rerun with --seed N"
    return str(exc)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        result, show = _run(args)
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0
    except (_UsageError, InvalidInput, TieUnresolved, DatasetError) as exc:
        print(f"{PROG}: error: {_error_line(exc)}", file=sys.stderr)
        return USAGE_ERROR
    except Exception as exc:  # every failure is one line and exit 2, never a traceback
        print(f"{PROG}: error: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
        return USAGE_ERROR
    print(_as_json(result) if args.json else show(result))
    return 0
