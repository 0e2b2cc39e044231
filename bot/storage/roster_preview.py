"""`kkrbot roster import FILE --dry-run` (issue 23): who an import would add, update and remove, and the
seats it would leave empty, computed by the import itself inside a transaction that is then rolled back."""

from __future__ import annotations

from collections.abc import Sequence

from bot.storage.roster import ImportResult, Person, Role
from kkrcore.models import Dataset


class DryRun(Exception):
    """Raised inside the import's transaction to roll it back; its message is the preview."""


def _names(people: Sequence[Person]) -> str:
    return ", ".join(f"{p.id} ({p.name})" for p in people) or "nobody"


def vacancies(incoming: Sequence[Person], dataset: Dataset) -> list[str]:
    """The seats the file leaves empty: a municipality without its mayor, a mayor without a viceborgmester
    (the mayor's substitute, R-MEM-2)."""
    found = []
    for municipality in sorted(m.name for m in dataset.municipalities):
        here = [p for p in incoming if p.municipality == municipality]
        if not any(p.mayor for p in here):
            found.append(f"{municipality} has no mayor")
        elif not any(p.vice_mayor_rank for p in here if p.role is Role.SUBSTITUTE):
            found.append(f"{municipality} has no viceborgmester")
    return found


def preview(current: Sequence[Person], incoming: Sequence[Person], result: ImportResult, dataset: Dataset) -> str:
    before = {p.id: p for p in current}
    after = {p.id for p in incoming}
    added = [p for p in incoming if p.id not in before]
    updated = [p for p in incoming if p.id in before and before[p.id] != p]
    removed = [p for p in current if p.id not in after]
    lines = [
        result.summary().split(";")[0],
        f"added: {_names(added)}",
        f"updated: {_names(updated)}",
        f"removed: {_names(removed)}",
        "vacancies: " + ("; ".join(vacancies(incoming, dataset)) or "none"),
    ]
    return "\n".join(lines)
