"""The roster: members, their personal substitutes, the viceborgmestre and the secretariat.

An import is validated whole before anything is written, and an error names the row and the field:
the secretariat fixes the file and tries again, and the database never holds half a roster. An import
that would leave the council unworkable (no secretariat, fewer members than the composition, most people
gone) is refused as well, because a wrong file is far likelier than such a change. People who leave the
roster are archived, not deleted: their absences stay in the minutes, and importing them again restores them.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import aiosqlite
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from bot.storage.account_languages import ACCOUNT_LANGUAGE, person_account_language_sql
from bot.storage.composition_lots import composition_with_lots, council_composition
from bot.storage.db import first_row, rows, utc_text
from bot.storage.files import from_csv_cell, write_private
from bot.storage.roster_files import (
    RosterFileError,
    csv_bytes,
    csv_dialect,
    decode_text,
    format_for,
    xlsx_bytes,
    xlsx_records,
)
from bot.storage.roster_seats import seat_problems
from bot.storage.text_fields import NAME_LIMIT, PLACE_LIMIT, FieldRefused, clean_fields
from kkrcore.composition import Composition
from kkrcore.draw import TieUnresolved
from kkrcore.membership import Member, mayor_substitute, substitute_structure
from kkrcore.models import Dataset
from kkrcore.reasons import Reason

EXAMPLE_ROSTER = Path(__file__).resolve().parent.parent / "data" / "example_roster.yaml"


# Enough to catch a swapped column; the secretariat, not a regex, knows whether an address is right.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9][0-9 ]{6,18}")


class Role(StrEnum):
    MEMBER = "member"
    SUBSTITUTE = "substitute"
    SECRETARIAT = "secretariat"


# Checked on import only (bot.storage.text_fields): what is stored already is shown as it is.
_TEXT_LIMITS = {"name": NAME_LIMIT, "party": PLACE_LIMIT, "phone": PLACE_LIMIT, "email": PLACE_LIMIT}


class RosterError(ValueError):
    """One line for the secretariat: which row, which field, what is wrong."""


class Person(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    id: str
    name: str
    role: Role
    municipality: str | None = None
    party: str | None = None
    mayor: bool = False
    vice_mayor_rank: int | None = None
    substitute_id: str | None = None
    language: str | None = None
    phone: str | None = None
    email: str | None = None
    example: bool = False
    # R-MEET-2: the mayor who convenes the constituent meeting; the secretariat sets it, the bot never guesses.
    longest_serving: bool = False

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        value = value.strip()
        if not value or len(value) > 40 or not all(c.isalnum() or c in "-_" for c in value):
            raise ValueError("must be 1-40 letters, digits, '-' or '_'")
        return value

    @field_validator("name")
    @classmethod
    def _name_present(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    @field_validator("language")
    @classmethod
    def _language_known(cls, value: str | None) -> str | None:
        if value is not None and value not in ("da", "en"):
            raise ValueError("must be da or en")
        return value

    @field_validator("email")
    @classmethod
    def _email_shape(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.fullmatch(value):
            raise ValueError("not an e-mail address")
        return value

    @field_validator("phone")
    @classmethod
    def _phone_shape(cls, value: str | None) -> str | None:
        if value is not None and not _PHONE.fullmatch(value):
            raise ValueError("not a phone number")
        return value

    @field_validator("vice_mayor_rank")
    @classmethod
    def _rank_positive(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError("must be 1, 2, ...")
        return value


_BOOLEAN_WORDS = {"true": True, "ja": True, "yes": True, "1": True, "false": False, "nej": False, "no": False}


def _clean_csv_row(row: dict[str, str | None]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for key, raw in row.items():
        if key is None:
            raise RosterError("more cells than header columns")
        value = from_csv_cell((raw or "").strip())
        if value == "":
            continue
        if key in ("mayor", "example", "longest_serving"):
            if value.lower() not in _BOOLEAN_WORDS:
                raise ValueError(f"{key}: not a yes/no value: {value!r}")
            cleaned[key] = _BOOLEAN_WORDS[value.lower()]
        else:
            cleaned[key] = value
    return cleaned


def parse_roster(text: str, source: str) -> list[dict[str, Any]]:
    """CSV with a header, or YAML (a list of people, or `{people: [...]}`), by the file's suffix."""
    if source.lower().endswith((".yaml", ".yml")):
        # YAML is read and written only here and in roster_bytes: the running bot never needs it (issue 25).
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise RosterError(f"{source}: not valid YAML: {exc}".splitlines()[0]) from None
        if isinstance(data, dict):
            data = data.get("people")
        if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
            raise RosterError(f"{source}: expected a list of people")
        return data
    reader = csv.DictReader(io.StringIO(text), delimiter=csv_dialect(text))
    if not reader.fieldnames or "id" not in reader.fieldnames:
        raise RosterError(f"{source}: the CSV needs a header row with at least id, name, role")
    return table_rows(reader, source)


def table_rows(records: Iterable[dict[str, str | None]], source: str) -> list[dict[str, Any]]:
    """A CSV's or a workbook's records (row 1 the header) cleaned, each refusal naming its row."""
    rows = []
    for number, row in enumerate(records, start=2):
        try:
            rows.append(_clean_csv_row(row))
        except (ValueError, RosterError) as exc:
            raise RosterError(f"{source}: row {number}: {exc}") from None
    return rows


def validate_roster(
    rows: Sequence[dict[str, Any]],
    dataset: Dataset,
    source: str,
    *,
    composition: Composition | None = None,
    force: bool = False,
) -> list[Person]:
    """Checks each row, then the roster as a whole (references, one mayor per municipality, R-MEM-4, R-MEM-6),
    then against the composition's seats (`roster_seats`; the composition with the recorded lots, or the data
    set's own when none is given). `force` lets through what may be right (a substitute of another party)."""
    first_row = 2 if not source.lower().endswith((".yaml", ".yml")) else 1
    municipalities = {m.name for m in dataset.municipalities}
    people: list[Person] = []

    def fail(index: int, field: str, problem: str) -> RosterError:
        person_id = rows[index].get("id", "?") if isinstance(rows[index], dict) else "?"
        return RosterError(f"{source}: row {index + first_row} ({person_id}): {field}: {problem}")

    for index, row in enumerate(rows):
        try:
            people.append(Person.model_validate(clean_fields(row, _TEXT_LIMITS)))
        except FieldRefused as exc:
            raise fail(index, exc.field, exc.problem.english) from None
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(part) for part in error["loc"]) or "row"
            raise fail(index, field, error["msg"]) from None

    seen: dict[str, int] = {}
    for index, person in enumerate(people):
        if person.id in seen:
            raise fail(index, "id", f"duplicate of row {seen[person.id] + first_row}")
        seen[person.id] = index
    mayors: dict[str, str] = {}
    for index, person in enumerate(people):
        if person.role is not Role.SECRETARIAT and person.municipality not in municipalities:
            raise fail(index, "municipality", "must be one of the region's municipalities (R-MEM-4)")
        if person.role is not Role.SECRETARIAT and not person.party:
            raise fail(index, "party", "required for members and substitutes")
        if person.mayor:
            if person.role is not Role.MEMBER:
                raise fail(index, "mayor", "only a member can be the mayor")
            assert person.municipality is not None
            if person.municipality in mayors:
                raise fail(index, "mayor", f"{person.municipality} already has mayor {mayors[person.municipality]}")
            mayors[person.municipality] = person.id
        if person.role is Role.MEMBER and not person.mayor:
            if not person.substitute_id:
                raise fail(index, "substitute_id", "an elected member needs a personal substitute (R-MEM-3)")
            if person.substitute_id == person.id or person.substitute_id not in seen:
                raise fail(index, "substitute_id", f"no person with id {person.substitute_id!r}")
            if people[seen[person.substitute_id]].role is Role.SECRETARIAT:
                raise fail(index, "substitute_id", "the secretariat cannot substitute")
        elif person.substitute_id:
            raise fail(index, "substitute_id", "only elected members have a personal substitute")
        if person.longest_serving and not person.mayor:
            raise fail(index, "longest_serving", "only a mayor can be the longest-serving mayor (R-MEET-2)")
    if sum(p.longest_serving for p in people) > 1:
        raise fail(
            max(i for i, p in enumerate(people) if p.longest_serving),
            "longest_serving",
            "only one mayor can be the longest-serving",
        )
    members = [p for p in people if p.role is Role.MEMBER]
    member_ids = {p.id for p in members}
    for problem in substitute_structure(
        {p.id: p.substitute_id for p in members if not p.mayor},
        member_ids,
        {p.id: vice_mayor_of(p, people, member_ids) for p in members if p.mayor},
    ):
        raise fail(seen[problem.member], "substitute_id", _STRUCTURE_PROBLEMS[problem.reason].format(p=problem))
    if composition is None:
        try:
            composition = composition_with_lots(dataset, ())
        except TieUnresolved:
            return people  # the seats wait for the lot (R-COMP-6); the bot asks the secretariat for it
    for seat in seat_problems(people, member_ids, composition):
        if not (seat.forcible and force):
            rows_named = ", ".join(str(i + first_row) for i in seat.indexes)
            ids = ", ".join(people[i].id for i in seat.indexes)
            hint = " (use --force if that is right)" if seat.forcible else ""
            raise RosterError(f"{source}: row{'s' * (len(seat.indexes) > 1)} {rows_named} ({ids}): {seat.field}: "
                              f"{seat.problem}{hint}")  # fmt: skip
    return people


def vice_mayor_of(mayor: Person, people: Sequence[Person], member_ids: Collection[str]) -> str | None:
    """The viceborgmester who substitutes for `mayor`: the 1st who is not a member already (R-MEM-2)."""
    ranked = sorted(
        (p for p in people if p.municipality == mayor.municipality and p.vice_mayor_rank),
        key=lambda p: p.vice_mayor_rank or 0,
    )
    return mayor_substitute([p.id for p in ranked], member_ids).person_id


def as_members(people: Sequence[Person]) -> list[Member]:
    """The roster's members as kkrcore's membership rules see them, each mayor with the municipality's ranked
    viceborgmestre (R-MEM-2)."""
    ranked = sorted((p for p in people if p.vice_mayor_rank), key=lambda p: p.vice_mayor_rank or 0)
    return [
        Member(
            person_id=p.id,
            municipality=p.municipality or "",
            party=p.party or "",
            mayor=p.mayor,
            personal_substitute=p.substitute_id,
            vice_mayors=tuple(v.id for v in ranked if v.municipality == p.municipality) if p.mayor else (),
        )
        for p in people
        if p.role is Role.MEMBER
    ]


# R-MEM-6 in words, for the one line the CLI prints.
_STRUCTURE_PROBLEMS = {
    Reason.SUBSTITUTES_FOR_SELF: "a member cannot be their own substitute (R-MEM-6)",
    Reason.SUBSTITUTE_CYCLE: "{p.substitute} is a member whose substitutes lead back to {p.member} (R-MEM-6)",
    Reason.SUBSTITUTE_IS_MAYOR: "{p.substitute} is a mayor; a personal substitute cannot be a member (R-MEM-6)",
    Reason.SUBSTITUTE_CHAIN: "{p.substitute} is a member with a substitute of their own; substitutes cannot "
    "form a chain (R-MEM-6)",
    Reason.SUBSTITUTE_IS_MEMBER: "{p.substitute} is a member; a personal substitute cannot be a member (R-MEM-6)",
    Reason.SHARED_SUBSTITUTE: "{p.substitute} is already the personal substitute of {p.other}; a personal "
    "substitute serves one member only (R-MEM-6)",
    Reason.VICE_MAYOR_IS_PERSONAL_SUBSTITUTE: "{p.substitute} is the viceborgmester who substitutes for mayor "
    "{p.other}, and cannot also be a personal substitute: nobody stands in for two seats (R-MEM-6)",
}


async def seats_for_import(conn: aiosqlite.Connection, dataset: Dataset) -> Composition:
    """The composition an import is checked against; refused while a tie in it waits for its lot (R-COMP-6)."""
    try:
        return await council_composition(conn, dataset)
    except TieUnresolved as tie:
        tied = ", ".join(tie.report.tied)
        raise RosterError(
            f"refused, nothing changed: the composition has a tie that only a lot can settle ({tied} for "
            f"{tie.report.seats} seat(s)); record the lot first: /sammensaetning lod WINNER"
        ) from None


def load_roster_file(
    path: Path, dataset: Dataset, *, composition: Composition | None = None, force: bool = False
) -> list[Person]:
    """A roster file of any of `roster_files.FORMATS`, checked row by row, as a whole and against the seats."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RosterError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        if format_for(path) == "xlsx":
            table = table_rows(xlsx_records(raw, path.name), path.name)
        else:
            table = parse_roster(decode_text(raw, path.name), path.name)
    except RosterFileError as exc:
        raise RosterError(str(exc)) from None
    return validate_roster(table, dataset, path.name, composition=composition, force=force)


_COLUMNS = tuple(Person.model_fields)
_CURRENT = "archived_at IS NULL AND joins_period IS NULL"
# Who may talk to the bot: the roster, and the people of a loaded next period (bot/storage/periods.py).
_ACTIVE = "archived_at IS NULL"


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    removed: int
    # Among the added: people who were archived and are back, with their absences.
    restored: int

    def summary(self) -> str:
        line = f"{self.added} added, {self.updated} updated, {self.removed} removed"
        if self.restored:
            line += f" ({self.restored} of the added restored from the archive, with their absences)"
        if self.removed:
            line += "; the removed are archived: their absences stay, their chat bindings and invites are gone"
        return line


def import_refusal(current: Sequence[Person], incoming: Sequence[Person], members_needed: int, *, force: bool) -> str:
    """Why an import must not replace `current` with `incoming`, or "" when it may.

    A file without a secretariat is always refused: nobody could then invite people or hear that a message
    did not arrive, and the secretariat can always list itself. The size checks (fewer members than the
    composition needs, more than half of the people removed) catch a truncated or wrong file; `force`
    overrides them, for a real change of that size. The example roster's people do not count as removed:
    replacing the example is the first import's purpose.
    """
    if not any(p.role is Role.SECRETARIAT for p in incoming):
        return "the file has no secretariat; every roster needs at least one secretariat person"
    if force:
        return ""
    members = sum(p.role is Role.MEMBER for p in incoming)
    if members < members_needed:
        return (
            f"the file has {members} members, fewer than the {members_needed} the composition needs "
            "(use --force if that is right)"
        )
    real = {p.id for p in current if not p.example}
    removed = real - {p.id for p in incoming}
    if real and 2 * len(removed) > len(real):
        return (
            f"the file would remove {len(removed)} of the {len(real)} people in the roster, more than half "
            "(use --force if that is right)"
        )
    return ""


async def replace_roster(conn: aiosqlite.Connection, people: Iterable[Person], now: datetime) -> ImportResult:
    """Upserts everyone in the file and archives those no longer in it.

    Archiving keeps the person's row, so their absences and the minutes lines they appear in stay; their
    bindings and open invites go, so an archived person reaches nothing and a returning one needs a new invite.
    """
    people = list(people)
    current = {p.id: p for p in await all_people(conn)}
    archived = {row[0] for row in await rows(conn, "SELECT id FROM persons WHERE archived_at IS NOT NULL")}
    incoming = {p.id for p in people}
    placeholders = ", ".join("?" for _ in _COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS if c != "id")
    await conn.executemany(
        f"INSERT INTO persons ({', '.join(_COLUMNS)}) VALUES ({placeholders}) "
        f"ON CONFLICT (id) DO UPDATE SET {updates}, archived_at = NULL, joins_period = NULL",
        [tuple(_to_sql(getattr(p, c)) for c in _COLUMNS) for p in people if current.get(p.id) != p],
    )
    removed = [person_id for person_id in current if person_id not in incoming]
    await archive_people(conn, removed, now)
    return ImportResult(
        added=len(incoming - current.keys()),
        updated=sum(1 for p in people if p.id in current and current[p.id] != p),
        removed=len(removed),
        restored=len(incoming & archived),
    )


async def stage_people(conn: aiosqlite.Connection, people: Iterable[Person], period: str, now: datetime) -> None:
    """The people of a loaded next period who are not in the roster: stored with `joins_period`, so they can be
    invited and act for the new council before it meets, and join the roster at the crossing (`replace_roster`).
    People staged by an earlier load of the period who are not in this one are archived: what they did stays."""
    current = {p.id for p in await all_people(conn)}
    staged = [p for p in people if p.id not in current]
    placeholders = ", ".join("?" for _ in _COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS if c != "id")
    await conn.executemany(
        f"INSERT INTO persons ({', '.join(_COLUMNS)}, joins_period) VALUES ({placeholders}, ?) "
        f"ON CONFLICT (id) DO UPDATE SET {updates}, archived_at = NULL, joins_period = excluded.joins_period",
        [(*(_to_sql(getattr(p, c)) for c in _COLUMNS), period) for p in staged],
    )
    keep = {p.id for p in staged}
    dropped = [
        row[0]
        for row in await rows(conn, "SELECT id FROM persons WHERE joins_period IS NOT NULL AND archived_at IS NULL")
        if row[0] not in keep
    ]
    await archive_people(conn, dropped, now)


async def archive_people(conn: aiosqlite.Connection, person_ids: Sequence[str], now: datetime) -> None:
    """People who left the roster: their rows stay (their absences and minutes lines with them); their bindings,
    open invites and calendar feeds go, so they reach nothing and a returning one needs a new invite."""
    removed = [(person_id,) for person_id in person_ids]
    await conn.executemany("UPDATE persons SET archived_at = ? WHERE id = ?", [(utc_text(now), *r) for r in removed])
    await conn.executemany("DELETE FROM accounts WHERE person_id = ?", removed)
    await conn.executemany("DELETE FROM invites WHERE person_id = ?", removed)
    await conn.executemany(
        "UPDATE calendar_feeds SET revoked_at = ? WHERE person_id = ? AND revoked_at IS NULL",
        [(utc_text(now), *r) for r in removed],
    )


async def become_substitute(conn: aiosqlite.Connection, person_id: str) -> None:
    """A member who leaves the KKR but stays viceborgmester (R-MEM-5, R-MEM-2) stays in the roster as a substitute."""
    await conn.execute(
        "UPDATE persons SET role = 'substitute', mayor = 0, substitute_id = NULL WHERE id = ?", (person_id,)
    )


def export_roster(people: Sequence[Person], path: Path, fmt: str | None = None) -> None:
    """Writes the roster in the format asked for or of `path`'s suffix, as an import reads it; readable by the
    owner only (it holds phone numbers and addresses)."""
    try:
        write_private(path, roster_bytes(people, format_for(path, fmt)))
    except OSError as exc:
        raise RosterError(f"{path}: cannot write: {exc.strerror}") from None


def roster_bytes(people: Sequence[Person], fmt: str) -> bytes:
    """The roster as a file of one of `roster_files.FORMATS` (CSV with a header, semicolon CSV, a workbook,
    YAML), as an import reads it back."""
    if fmt == "yaml":
        import yaml  # as in parse_roster

        data = {"people": [p.model_dump(mode="json", exclude_defaults=True) for p in people]}
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode("utf-8")
    cells = [[_to_cell(getattr(person, c)) for c in _COLUMNS] for person in people]
    if fmt == "xlsx":
        return xlsx_bytes(_COLUMNS, cells)
    return csv_bytes(_COLUMNS, cells, semicolon=fmt == "semicolon")


def _to_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _to_sql(value: object) -> object:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, StrEnum):
        return value.value
    return value


def _person_from_row(row: aiosqlite.Row) -> Person:
    data = {c: row[c] for c in _COLUMNS}
    data["mayor"] = bool(data["mayor"])
    data["example"] = bool(data["example"])
    data["longest_serving"] = bool(data["longest_serving"])
    return Person.model_validate(data)


async def all_people(conn: aiosqlite.Connection, *, archived: bool = False) -> list[Person]:
    """Everyone in the roster, or with `archived` everyone who has left it."""
    where = "archived_at IS NOT NULL" if archived else _CURRENT
    return [
        _person_from_row(row)
        for row in await rows(conn, f"SELECT {', '.join(_COLUMNS)} FROM persons WHERE {where} ORDER BY rowid")
    ]


async def get_person(conn: aiosqlite.Connection, person_id: str) -> Person | None:
    """A person in the roster; an archived person is nobody the bot answers as."""
    row = await first_row(conn, f"SELECT {', '.join(_COLUMNS)} FROM persons WHERE id = ? AND {_CURRENT}", (person_id,))
    return _person_from_row(row) if row else None


# Counted up by triggers with every change to `persons` (migration 12).
_ROSTER_VERSION = "(SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'roster_version')"


@dataclass(frozen=True)
class Asker:
    """Who asks (None: an account bound to nobody), the language they chose (None: not chosen), and the
    roster's version, read with them so that the roster can come from `RosterCache` without another read; and,
    read in the same round trip, the languages their chat accounts said (account_languages): the asking
    account's, and the person's first (None: none)."""

    person: Person | None
    chosen_language: str | None
    roster_version: int | None
    account_language: str | None = None
    person_account_language: str | None = None


async def find_asker(
    conn: aiosqlite.Connection, rosters: RosterCache, person_id: str | None, channel: str, address: str
) -> Asker:
    """Who asks: the person with `person_id`, or else the one the account (channel, address) is bound to.
    One round trip, inside the request's transaction, for who it is and the roster's version; the person comes
    from the roster of that version (`rosters`), not from a row validated again at every update."""
    where = (
        "p.id = :person_id"
        if person_id is not None
        else "p.id = (SELECT person_id FROM accounts WHERE channel = :channel AND address = :address)"
    )
    params = {"person_id": person_id, "channel": channel, "address": address}
    # The version comes even when nobody matches: the one row is the version's, the person's joined to it.
    found = await first_row(
        conn,
        f"SELECT p.id, l.language AS chosen, v.version, {ACCOUNT_LANGUAGE} AS account_language, "
        f"{person_account_language_sql('p.id')} AS person_account_language "
        f"FROM (SELECT {_ROSTER_VERSION} AS version) v "
        f"LEFT JOIN persons p ON {where} AND p.{_ACTIVE} LEFT JOIN language_choices l ON l.person_id = p.id",
        params,
    )
    assert found is not None
    if found["id"] is None:
        return Asker(None, None, found["version"], found["account_language"])
    roster = await rosters.get(conn, found["version"])
    return Asker(
        roster.active_by_id[found["id"]],
        found["chosen"],
        found["version"],
        found["account_language"],
        found["person_account_language"],
    )


class Roster:
    """A snapshot of everyone, with the substitute relation computed once (R-MEM-2, R-MEM-3)."""

    def __init__(
        self, people: Sequence[Person], archived: Sequence[Person] = (), pending: Sequence[Person] = ()
    ) -> None:
        self.people = list(people)
        self.by_id = {p.id: p for p in self.people}
        # Past absences name people who have since left the roster; the minutes still need their names.
        self.ever_by_id = {**{p.id: p for p in archived}, **self.by_id}
        self.archived = list(archived)
        # The people new in a loaded next period: invited and acting for the new council before they join.
        self.pending = list(pending)
        members = {p.id for p in self.members}
        self.substitute_of: dict[str, str | None] = {}
        for person in self.members:
            if person.mayor:
                self.substitute_of[person.id] = vice_mayor_of(person, self.people, members)
            else:
                # A substitute who left the KKR (archived) substitutes for nobody until a new one is imported.
                self.substitute_of[person.id] = person.substitute_id if person.substitute_id in self.by_id else None
        # Found by id (who they are, in a greeting or a list), but no member, substitute or secretariat yet.
        self.by_id.update({p.id: p for p in self.pending if p.id not in self.by_id})
        self.ever_by_id.update({p.id: p for p in self.pending if p.id not in self.ever_by_id})

    @classmethod
    async def load(cls, conn: aiosqlite.Connection) -> Roster:
        found = await rows(conn, f"SELECT {', '.join(_COLUMNS)}, archived_at, joins_period FROM persons ORDER BY rowid")
        return cls(
            [_person_from_row(r) for r in found if r["archived_at"] is None and r["joins_period"] is None],
            [_person_from_row(r) for r in found if r["archived_at"] is not None],
            [_person_from_row(r) for r in found if r["archived_at"] is None and r["joins_period"] is not None],
        )

    @property
    def invitable(self) -> list[Person]:
        """Everyone who can be invited: the roster and the people new in a loaded next period."""
        return [*self.people, *self.pending]

    @functools.cached_property
    def active_by_id(self) -> dict[str, Person]:
        """Who may talk to the bot (`_ACTIVE`): the roster and the people of a loaded next period."""
        return {p.id: p for p in self.invitable}

    @functools.cached_property
    def members(self) -> tuple[Person, ...]:
        """Found once per snapshot: an answer asks whether its asker sits in the council (period.member_at), and
        going through everyone each time cost 1 ms per /naeste with 5,000 people (bench.bench_scale, issue 25)."""
        return tuple(p for p in self.people if p.role is Role.MEMBER)

    @functools.cached_property
    def secretariat(self) -> tuple[Person, ...]:
        return tuple(p for p in self.people if p.role is Role.SECRETARIAT)

    def substitutes_for(self, person_id: str) -> list[Person]:
        """The members for whom this person is the substitute (a viceborgmester, a personal substitute)."""
        return [self.by_id[m] for m, s in self.substitute_of.items() if s == person_id]


class RosterCache:
    """The last roster loaded, kept until `persons` changes.

    Loading the roster (every person, validated) was most of the work of a short answer such as /naeste, for a
    table that changes a few times a year. Triggers count meta's roster_version up with every change to
    `persons` (migration 12), from any process (`kkrbot roster import` while the bot runs), so the cache is
    right without being told: it compares the version, read inside the caller's transaction, with the one it
    loaded at. The version is read before the roster, so a change committed between the two reads at worst
    makes the next call load again; it never keeps an old roster under a new version."""

    def __init__(self) -> None:
        self._version: int | None = None
        self._roster: Roster | None = None

    async def get(self, conn: aiosqlite.Connection, version: int | None = None) -> Roster:
        """The roster as `conn` sees it; `version` when the caller read it already (`find_asker` does)."""
        if version is None:
            row = await first_row(conn, f"SELECT {_ROSTER_VERSION}")
            version = row[0] if row else None
        if self._roster is None or version is None or version != self._version:
            self._roster = await Roster.load(conn)
            self._version = version
        return self._roster


async def bound_people(conn: aiosqlite.Connection, channel: str) -> set[str]:
    return {row[0] for row in await rows(conn, "SELECT person_id FROM accounts WHERE channel = ?", (channel,))}


def roster_as_json(roster: Roster, bound: set[str]) -> list[dict[str, object]]:
    return [
        {
            "id": p.id,
            "name": p.name,
            "role": p.role.value,
            "municipality": p.municipality,
            "party": p.party,
            "mayor": p.mayor,
            "vice_mayor_rank": p.vice_mayor_rank,
            "substitute_id": roster.substitute_of.get(p.id),
            "language": p.language,
            "phone": p.phone,
            "email": p.email,
            "example": p.example,
            "telegram_bound": p.id in bound,
        }
        for p in roster.people
    ]
