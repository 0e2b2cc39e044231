"""`kkrbot period load DATA ROSTER [--dry-run]` (issue 24): the next council period's data file and roster.

The data file is checked as every data file is (one-line errors naming the entry), then against the current
period (it must be the next one, R-PER-1); the roster with the same checks as `roster import`, against the
composition kkrcore computes from the new votes. The dry run shows that composition, the members with their
substitutes, and what changes for whom; without it both are stored in one transaction. Loading again before
the new period's constituent meeting replaces what was loaded.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.app import open_conversation, utc_now
from bot.cli_grammar import add_json, dump_json
from bot.config import Settings
from bot.storage.composition_lots import LOT_JOINER, composition_with_lots, replace_composition_lots
from bot.storage.meeting_changes import plan
from bot.storage.periods import PeriodError, store_next_period
from bot.storage.roster import Person, Role, RosterError, all_people, import_refusal, load_roster_file, vice_mayor_of
from kkrcore.composition import Composition
from kkrcore.dataset import load_model
from kkrcore.draw import TieUnresolved
from kkrcore.models import Dataset
from kkrcore.periods import check_next_period, constituent_meeting, describe_problem
from kkrcore.reasons import InvalidInput

PERIOD_JSON = (
    '{"period", "stored", "replaced", "notices", "composition": {PARTY: {"mayors", "supplementary", "total"}}, '
    '"members": [{"id", "name", "party", "municipality", "mayor", "substitute_id"}], '
    '"continuing", "new", "leaving", "renamed": [{"id", "was", "now"}]}'
)


def add_parsers(commands: Any) -> None:
    period = commands.add_parser(
        "period", help="load the next council period: its data file and its roster (before its constituent meeting)"
    ).add_subparsers(dest="period_command", required=True)
    load = period.add_parser("load", help="check and store the next period's data file (JSON) and roster")
    load.add_argument("data", type=Path, metavar="DATA", help="the next period's data file (docs/data-format.md)")
    load.add_argument("roster", type=Path, metavar="ROSTER", help="its roster (.xlsx, .csv or .yaml, as roster import)")
    load.add_argument(
        "--dry-run", action="store_true", help="show the composition, the members and what changes; store nothing"
    )
    load.add_argument(
        "--force", action="store_true", help="as roster import --force (fewer members, a substitute of another party)"
    )
    load.add_argument(
        "--lot",
        action="append",
        default=[],
        metavar="WINNER",
        help="the party that won the lot drawn for a tie in the new composition; one --lot per tie, "
        "a tie for two seats as B,Ø",
    )
    add_json(load, PERIOD_JSON)


@dataclass(frozen=True)
class Changes:
    """Who the new period changes things for, by roster id."""

    continuing: list[Person]
    new: list[Person]
    leaving: list[Person]
    renamed: list[tuple[Person, Person]]


def changes(current: Sequence[Person], incoming: Sequence[Person]) -> Changes:
    """Continuing (in both rosters), new, leaving; a continuing id under another name is flagged: the same id
    for two people would carry one person's binding to the other."""
    before = {p.id: p for p in current}
    after = {p.id: p for p in incoming}
    return Changes(
        continuing=[p for p in incoming if p.id in before],
        new=[p for p in incoming if p.id not in before],
        leaving=[p for p in current if p.id not in after],
        renamed=[(before[p.id], p) for p in incoming if p.id in before and before[p.id].name != p.name],
    )


def next_composition(dataset: Dataset, lots: tuple[tuple[str, ...], ...] = ()) -> Composition:
    """The new composition, a tie settled by the lots drawn (`--lot`, R-COMP-6): the next period's lots are
    recorded with it at the load, since its composition must be known to check its roster."""
    try:
        composition = composition_with_lots(dataset, lots)
    except TieUnresolved as tie:
        raise RosterError(
            f"refused, nothing stored: the new composition has a tie that only a lot can settle "
            f"({', '.join(tie.report.tied)} for {tie.report.seats} seat(s)); draw the lot and load again with "
            f"--lot WINNER (one --lot per tie)"
        ) from None
    except InvalidInput as wrong:
        raise RosterError(f"refused, nothing stored: --lot does not fit the tie ({wrong.detail})") from None
    if lots:
        try:
            composition_with_lots(dataset, lots[:-1])
        except TieUnresolved:
            return composition  # every lot given settles a tie
        raise RosterError(f"refused, nothing stored: --lot {LOT_JOINER.join(lots[-1])}: no tie needs this lot")
    return composition


async def load_period(settings: Settings, args: argparse.Namespace, now: datetime | None = None) -> str:
    """`now`: the clock (the tests'; the command line's is the machine's)."""
    dataset = load_model(args.data, Dataset)
    conversation = await open_conversation(settings)
    try:
        now = now or utc_now()
        holding = conversation.dataset_at(now, with_next=False)  # a reload is checked as the first load was
        async with conversation.db.read() as conn:
            current_plan = await plan(conn, holding)
        problems = check_next_period(holding, dataset, current_plan)
        if blocking := [p for p in problems if p.blocking]:
            raise PeriodError(f"{describe_problem(args.data.name, blocking[0])} (not the next period; nothing stored)")
        notices = [describe_problem(args.data.name, p) for p in problems]
        lots = tuple(tuple(w.strip() for w in lot.replace("+", ",").split(",") if w.strip()) for lot in args.lot)
        composition = next_composition(dataset, lots)
        if lots:
            notices.append(f"composition tie settled by the lot drawn: {'; '.join(LOT_JOINER.join(w) for w in lots)}")
        people = load_roster_file(args.roster, dataset, composition=composition, force=args.force)
        refusal = import_refusal((), people, composition.size, force=args.force)
        if refusal:
            raise RosterError(f"{args.roster}: refused, nothing stored: {refusal}")
        async with conversation.db.transaction() as conn:
            current = await all_people(conn)
            replaced = False
            if not args.dry_run:
                replaced = await store_next_period(conn, dataset, people, now)
                await replace_composition_lots(conn, dataset, lots, now)
    finally:
        await conversation.db.close()
    found = changes(current, people)
    if args.json:
        shown = as_json(dataset, composition, people, found, stored=not args.dry_run, replaced=replaced)
        return dump_json(shown | {"notices": notices})
    return "\n".join([*notices, report(dataset, composition, people, found, dry_run=args.dry_run, replaced=replaced)])


def _names(people: Sequence[Person]) -> str:
    return ", ".join(f"{p.id} ({p.name})" for p in people) or "nobody"


def _members(people: Sequence[Person]) -> list[tuple[Person, str | None]]:
    member_ids = {p.id for p in people if p.role is Role.MEMBER}
    return [
        (p, vice_mayor_of(p, people, member_ids) if p.mayor else p.substitute_id)
        for p in people
        if p.role is Role.MEMBER
    ]


def report(
    dataset: Dataset, composition: Composition, people: Sequence[Person], found: Changes, *, dry_run: bool,
    replaced: bool,
) -> str:  # fmt: skip
    opening = constituent_meeting(dataset)
    head = (
        f"dry run, nothing stored: period {dataset.period} would be loaded"
        if dry_run
        else f"period {dataset.period} {'loaded again (the earlier load is replaced)' if replaced else 'loaded'}"
    )
    lines = [
        f"{head}; its constituent meeting {opening.meeting.start:%d.%m.%Y %H:%M} opens it, convened by "
        f"{opening.convener.name} ({opening.convener.municipality}), the longest-serving mayor; valgforbund "
        f"by {opening.valgforbund_deadline:%d.%m.%Y}",
        f"composition ({composition.size} seats, computed from the votes of {dataset.election_date:%d.%m.%Y}): "
        + ", ".join(
            f"{letter} {seats.total} ({seats.mayors} mayor{'' if seats.mayors == 1 else 's'})"
            for letter, seats in sorted(composition.parties.items())
        ),
        "members and substitutes:",
    ]
    by_id = {p.id: p for p in people}
    for member, substitute in _members(people):
        sub = by_id.get(substitute or "")
        role = f"mayor of {member.municipality}" if member.mayor else f"{member.party}, {member.municipality}"
        lines.append(f"  {member.id} ({member.name}, {role}): substitute {_names([sub]) if sub else 'none'}")
    lines += [
        f"continuing: {len(found.continuing)}; bindings stay",
        f"new: {_names(found.new)}",
        f"leaving at the constituent meeting (archived, told goodbye): {_names(found.leaving)}",
    ]
    if found.renamed:
        lines.append(
            "check: same id, another name: "
            + ", ".join(f"{old.id} ({old.name} -> {new.name})" for old, new in found.renamed)
        )
    if not dry_run:
        lines.append("invite the new people: kkrbot invite --all")
    return "\n".join(lines)


def as_json(
    dataset: Dataset, composition: Composition, people: Sequence[Person], found: Changes, *, stored: bool,
    replaced: bool,
) -> dict[str, object]:  # fmt: skip
    return {
        "period": dataset.period,
        "stored": stored,
        "replaced": replaced,
        "composition": {
            letter: {"mayors": s.mayors, "supplementary": s.supplementary, "total": s.total}
            for letter, s in sorted(composition.parties.items())
        },
        "members": [
            {
                "id": m.id,
                "name": m.name,
                "party": m.party,
                "municipality": m.municipality,
                "mayor": m.mayor,
                "substitute_id": s,
            }
            for m, s in _members(people)
        ],
        "continuing": [p.id for p in found.continuing],
        "new": [p.id for p in found.new],
        "leaving": [p.id for p in found.leaving],
        "renamed": [{"id": old.id, "was": old.name, "now": new.name} for old, new in found.renamed],
    }
