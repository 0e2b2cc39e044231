"""What a restore gives up (issue 23): the records the replaced database had that the backup lacks, so the
operator knows what to re-enter (an afbud reported after the backup) or to tell people about."""

from __future__ import annotations

import sqlite3
from pathlib import Path

# The records a person made or was sent, in words; each table's rows carry an increasing integer id.
_RECORDS = (
    ("absences", "absence notices"),
    ("broadcasts", "broadcasts"),
    ("outbox", "messages"),
    ("meeting_overrides", "meeting changes"),
    ("agenda_versions", "agenda versions"),
)


def _counts(path: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        for table, _words in _RECORDS:
            try:
                counts[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            except sqlite3.Error:
                continue
    return counts


def lacking_in_backup(replaced: Path, restored: Path) -> list[str]:
    """One line: what the replaced database has more of than the restored backup ("3 absence notices, 41
    messages"), or that it had nothing the backup lacks; nothing when the replaced file cannot be read."""
    try:
        old, new = _counts(replaced), _counts(restored)
    except sqlite3.Error:
        return []
    more = [f"{old[t] - new.get(t, 0)} {words}" for t, words in _RECORDS if old.get(t, 0) > new.get(t, 0)]
    if not more:
        return ["the replaced database had nothing the backup lacks"]
    return [
        "the replaced database had what the backup lacks, now only in the kept copy: "
        + ", ".join(more)
        + " (re-enter any afbud and changes made since the backup)"
    ]
