"""The roster: members, their personal substitutes, the viceborgmestre and the secretariat.

An import is validated whole before anything is written, and an error names the row and the field:
the secretariat fixes the file and tries again, and the database never holds half a roster.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

import aiosqlite
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from bot.storage.db import first_row, rows
from kkrcore.membership import mayor_substitute
from kkrcore.models import Dataset

EXAMPLE_ROSTER = Path(__file__).resolve().parent.parent / "data" / "example_roster.yaml"


# Enough to catch a swapped column; the secretariat, not a regex, knows whether an address is right.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9][0-9 ]{6,18}")


class Role(StrEnum):
    MEMBER = "member"
    SUBSTITUTE = "substitute"
    SECRETARIAT = "secretariat"


class RosterError(ValueError):
    """One line for the secretariat: which row, which field, what is wrong."""


class Person(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

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
        value = (raw or "").strip()
        if value == "":
            continue
        if key in ("mayor", "example"):
            if value.lower() not in _BOOLEAN_WORDS:
                raise ValueError(f"{key}: not a yes/no value: {value!r}")
            cleaned[key] = _BOOLEAN_WORDS[value.lower()]
        else:
            cleaned[key] = value
    return cleaned


def parse_roster(text: str, source: str) -> list[dict[str, Any]]:
    """CSV with a header, or YAML (a list of people, or `{people: [...]}`), by the file's suffix."""
    if source.lower().endswith((".yaml", ".yml")):
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise RosterError(f"{source}: not valid YAML: {exc}".splitlines()[0]) from None
        if isinstance(data, dict):
            data = data.get("people")
        if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
            raise RosterError(f"{source}: expected a list of people")
        return data
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "id" not in reader.fieldnames:
        raise RosterError(f"{source}: the CSV needs a header row with at least id, name, role")
    rows = []
    for number, row in enumerate(reader, start=2):
        try:
            rows.append(_clean_csv_row(row))
        except (ValueError, RosterError) as exc:
            raise RosterError(f"{source}: row {number}: {exc}") from None
    return rows


def validate_roster(rows: Sequence[dict[str, Any]], dataset: Dataset, source: str) -> list[Person]:
    """Checks each row, then the roster as a whole (references, one mayor per municipality, R-MEM-4)."""
    first_row = 2 if not source.lower().endswith((".yaml", ".yml")) else 1
    municipalities = {m.name for m in dataset.municipalities}
    people: list[Person] = []

    def fail(index: int, field: str, problem: str) -> RosterError:
        person_id = rows[index].get("id", "?") if isinstance(rows[index], dict) else "?"
        return RosterError(f"{source}: row {index + first_row} ({person_id}): {field}: {problem}")

    for index, row in enumerate(rows):
        try:
            people.append(Person.model_validate(row))
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
    return people


def load_roster_file(path: Path, dataset: Dataset) -> list[Person]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RosterError(f"{path}: cannot read: {exc.strerror}") from None
    return validate_roster(parse_roster(text, path.name), dataset, path.name)


_COLUMNS = tuple(Person.model_fields)


async def replace_roster(conn: aiosqlite.Connection, people: Iterable[Person]) -> tuple[int, int, int]:
    """Upserts everyone in the file and removes those no longer in it (their bindings go with them)."""
    people = list(people)
    existing = {row[0] for row in await rows(conn, "SELECT id FROM persons")}
    incoming = {p.id for p in people}
    placeholders = ", ".join("?" for _ in _COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS if c != "id")
    await conn.executemany(
        f"INSERT INTO persons ({', '.join(_COLUMNS)}) VALUES ({placeholders}) ON CONFLICT (id) DO UPDATE SET {updates}",
        [tuple(_to_sql(getattr(p, c)) for c in _COLUMNS) for p in people],
    )
    removed = existing - incoming
    await conn.executemany("DELETE FROM persons WHERE id = ?", [(i,) for i in removed])
    return len(incoming - existing), len(incoming & existing), len(removed)


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
    return Person.model_validate(data)


async def all_people(conn: aiosqlite.Connection) -> list[Person]:
    return [
        _person_from_row(row) for row in await rows(conn, f"SELECT {', '.join(_COLUMNS)} FROM persons ORDER BY rowid")
    ]


async def get_person(conn: aiosqlite.Connection, person_id: str) -> Person | None:
    row = await first_row(conn, f"SELECT {', '.join(_COLUMNS)} FROM persons WHERE id = ?", (person_id,))
    return _person_from_row(row) if row else None


class Roster:
    """A snapshot of everyone, with the substitute relation computed once (R-MEM-2, R-MEM-3)."""

    def __init__(self, people: Sequence[Person]) -> None:
        self.people = list(people)
        self.by_id = {p.id: p for p in self.people}
        members = {p.id for p in self.people if p.role is Role.MEMBER}
        self.substitute_of: dict[str, str | None] = {}
        for person in self.people:
            if person.role is not Role.MEMBER:
                continue
            if person.mayor:
                vice_mayors = sorted(
                    (p for p in self.people if p.municipality == person.municipality and p.vice_mayor_rank),
                    key=lambda p: p.vice_mayor_rank or 0,
                )
                choice = mayor_substitute([p.id for p in vice_mayors], members)
                self.substitute_of[person.id] = choice.person_id
            else:
                self.substitute_of[person.id] = person.substitute_id

    @classmethod
    async def load(cls, conn: aiosqlite.Connection) -> Roster:
        return cls(await all_people(conn))

    @property
    def members(self) -> list[Person]:
        return [p for p in self.people if p.role is Role.MEMBER]

    @property
    def secretariat(self) -> list[Person]:
        return [p for p in self.people if p.role is Role.SECRETARIAT]

    def substitutes_for(self, person_id: str) -> list[Person]:
        """The members for whom this person is the substitute (a viceborgmester, a personal substitute)."""
        return [self.by_id[m] for m, s in self.substitute_of.items() if s == person_id]


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
