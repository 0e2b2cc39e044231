"""The roster files the secretariat keeps (issue 23): Excel workbooks (.xlsx), CSV with commas or with
semicolons (Danish Excel's default), in UTF-8 or Windows-1252, and YAML.

Only the bytes are handled here; `bot.storage.roster` checks the rows the same way whatever the file, so a
workbook gets the same row-numbered refusals as a CSV (row 1 is the header in both).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from bot.storage.files import csv_cell

FORMATS = ("csv", "semicolon", "xlsx", "yaml")
HOW_TO_SAVE = "save it from Excel as “CSV UTF-8” or as an Excel workbook (.xlsx)"
# Characters no roster cell holds; a decoded file full of them is not text (a binary file read as 1252).
_CONTROL = {chr(c) for c in range(32)} - {"\t", "\n", "\r"}


class RosterFileError(ValueError):
    """The file cannot be read as a roster at all; the message names it and says what to do."""


def format_for(path: Path, wanted: str | None = None) -> str:
    """The format asked for, or the one the file's suffix says (CSV with commas by default)."""
    if wanted is not None:
        return wanted
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".xlsx":
        return "xlsx"
    return "csv"


def decode_text(raw: bytes, source: str) -> str:
    """UTF-8 (with or without Excel's byte-order mark), else Windows-1252 as Danish Excel saves "CSV
    (semikolonsepareret)"; anything else is refused with how to save the file."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        raise RosterFileError(f"{source} is neither UTF-8 nor Windows-1252 text: {HOW_TO_SAVE}") from None
    if any(c in _CONTROL for c in text):
        raise RosterFileError(f"{source} is not a text file: {HOW_TO_SAVE}")
    return text


def csv_dialect(text: str) -> str:
    """The separator of a CSV roster, read from its header row: `;` when it has semicolons and no commas."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def xlsx_records(raw: bytes, source: str) -> list[dict[str, str | None]]:
    """The first sheet as CSV-like records: row 1 the header, each later row one person (trailing empty rows
    dropped, empty rows between kept so the row numbers in a refusal are the sheet's)."""
    # Imported where a workbook is read or written: openpyxl is the heaviest import of all, and the running bot
    # never reads a workbook (issue 25: start and memory).
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise RosterFileError(f"{source} is not an Excel workbook (.xlsx): {exc}".splitlines()[0]) from None
    try:
        sheet = workbook.worksheets[0]
        table = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    while table and all(cell in (None, "") for cell in table[-1]):
        table.pop()
    if not table:
        return []
    header = [(cell or "").strip() for cell in table[0]]
    while header and not header[-1]:
        header.pop()
    records: list[dict[str, str | None]] = []
    for row in table[1:]:
        if any(cell not in (None, "") for cell in row[len(header) :]):
            raise RosterFileError(f"{source}: row {len(records) + 2}: more cells than header columns")
        records.append({name: (row[i] if i < len(row) else None) for i, name in enumerate(header) if name})
    return records


def xlsx_bytes(header: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    """A workbook with one sheet, "roster": the header row, then one row per person, every cell text (so a
    phone number or an id keeps its leading zeros and "+")."""
    from openpyxl import Workbook  # where it is used, as in xlsx_records

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "roster"
    sheet.append(list(header))
    for row in rows:
        sheet.append([csv_cell(cell) for cell in row])  # a name starting with "=" stays text, not a formula
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(header: Sequence[str], rows: Sequence[Sequence[str]], *, semicolon: bool) -> bytes:
    """Comma CSV in UTF-8; semicolon CSV with a byte-order mark, so Danish Excel opens it with æ, ø, å."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if semicolon else ",", lineterminator="\n")
    writer.writerow(header)
    writer.writerows([csv_cell(cell) for cell in row] for row in rows)
    return out.getvalue().encode("utf-8-sig" if semicolon else "utf-8")
