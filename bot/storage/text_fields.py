"""What a name, place or address may hold, checked where it comes in (a roster import), before anyone sees it.

Text shown to others must look like what it is. Control characters (Cc: a newline fakes a second line, "AFBUD:
alle møder aflyst"), formatting characters (Cf: the right-to-left overrides U+202A-202E and isolates U+2066-2069
reorder what is shown, zero-width ones hide text), line and paragraph separators (Zl, Zp), private-use (Co),
surrogates (Cs) and unassigned code points (Cn) have no place in a name, so they are refused, with the character
and where it is. The rest is NFC-normalised (an "ø" typed as "o" + combining stroke is the same name), and a
name is at most 100 characters, a place or an address 200.

The check returns a `TextProblem` rather than words, so the CLI prints one English line (`TextProblem.english`)
and a chat can word it in the reader's language.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

NAME_LIMIT = 100
PLACE_LIMIT = 200

# Unicode general categories refused in names and text fields, with what they are, for the message.
FORBIDDEN_CATEGORIES = {
    "Cc": "a control character",
    "Cf": "an invisible formatting character",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
    "Co": "a private-use character",
    "Cs": "a surrogate",
    "Cn": "an unassigned character",
}


@dataclass(frozen=True)
class TextProblem:
    """Why a text field is refused: a forbidden character (`category`, `character`, 1-based `position`), or
    too long (`length` over `limit`)."""

    category: str | None = None
    character: str = ""
    position: int = 0
    length: int = 0
    limit: int = 0

    @property
    def code_point(self) -> str:
        """`U+202E RIGHT-TO-LEFT OVERRIDE`: the character named, since it may not show."""
        name = unicodedata.name(self.character, "")
        return f"U+{ord(self.character):04X}" + (f" {name}" if name else "")

    @property
    def english(self) -> str:
        if self.category is None:
            return f"too long: {self.length} characters, at most {self.limit}"
        what = FORBIDDEN_CATEGORIES[self.category]
        return f"character {self.position} is {self.code_point}, {what} ({self.category}); remove it"


class TextFieldError(ValueError):
    """A text field refused; `problem` says why, and str() is the English line."""

    def __init__(self, problem: TextProblem) -> None:
        super().__init__(problem.english)
        self.problem = problem


def text_problem(value: str, limit: int) -> TextProblem | None:
    """Why `value` may not be stored as a name (limit NAME_LIMIT) or a place (PLACE_LIMIT), or None."""
    for position, character in enumerate(value, start=1):
        category = unicodedata.category(character)
        if category in FORBIDDEN_CATEGORIES:
            return TextProblem(category=category, character=character, position=position)
    length = len(unicodedata.normalize("NFC", value))
    if length > limit:
        return TextProblem(length=length, limit=limit)
    return None


def clean_text(value: str, limit: int) -> str:
    """`value` NFC-normalised, or TextFieldError (a ValueError, so a pydantic validator may call it)."""
    problem = text_problem(value, limit)
    if problem is not None:
        raise TextFieldError(problem)
    return unicodedata.normalize("NFC", value)


class FieldRefused(ValueError):
    """A field of an imported row refused: which one, and why."""

    def __init__(self, field: str, problem: TextProblem) -> None:
        super().__init__(f"{field}: {problem.english}")
        self.field = field
        self.problem = problem


def clean_fields(row: Mapping[str, Any], limits: Mapping[str, int]) -> dict[str, Any]:
    """`row` with each text field named in `limits` stripped and NFC-normalised; FieldRefused for the first one
    that holds a forbidden character or is too long. Other fields and values that are not text pass unchanged."""
    cleaned = dict(row)
    for field, limit in limits.items():
        value = cleaned.get(field)
        if isinstance(value, str):
            try:
                cleaned[field] = clean_text(value.strip(), limit)
            except TextFieldError as exc:
                raise FieldRefused(field, exc.problem) from None
    return cleaned
