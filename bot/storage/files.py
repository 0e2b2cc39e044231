"""Files the bot writes for people: CSV made safe for spreadsheets, and personal data kept owner-only.

A roster name such as `=HYPERLINK(...)` is a formula once a CSV is opened in a spreadsheet; OWASP's rule for
CSV injection is to start any cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return with a
single quote, which the spreadsheet shows as text. Every CSV the bot writes or prints goes through `csv_text`;
the roster import reads such a cell back as it was (`from_csv_cell`), so an export imports back unchanged.

A file with personal data (the roster with phones and e-mails, minutes, attendance, a person's own data) is
created 0600, whatever the umask, with `write_private`; only the public calendar keeps the umask.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

# OWASP, "CSV Injection": what a spreadsheet may read as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """`value` as a spreadsheet shows it as text: a leading quote before a formula's first character."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def from_csv_cell(value: str) -> str:
    """The value `csv_cell` was given (a cell the bot exported, read back by the import)."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value


def csv_text(rows: Iterable[Sequence[str]]) -> str:
    """Rows as CSV text (a header is a row like any other), every cell neutralised, lines ending in `\\n`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return out.getvalue()


def write_private(path: Path, content: str | bytes) -> None:
    """Writes `content` to `path`, readable and writable by the owner only (0600), also when `path` existed
    with wider permissions (it is narrowed before anything is written)."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)
