"""Loading a KKR dataset file, with errors that point at the entry to fix.

The bundled file is parsed once per process: it never changes while the bot runs.
"""

from functools import cache
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from kkrcore.models import Dataset, EntryError

M = TypeVar("M", bound=BaseModel)

BUNDLED = Path(__file__).with_name("data") / "nordjylland-2026-2030.json"


class DatasetError(ValueError):
    """A data file that cannot be used; the message reads `file: entry.field: problem`."""


def _location(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def _one_line(error: ErrorDetails) -> str:
    loc = tuple(error["loc"])
    message = error["msg"]
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, EntryError):
        loc += cause.loc
        message = str(cause)
    message = message.removeprefix("Value error, ")
    where = _location(loc)
    return f"{where}: {message}" if where else message


def describe_validation_error(source: str, exc: ValidationError) -> str:
    """One line for the first problem: `source: loc: message`; the rest are usually its consequences."""
    return f"{source}: {_one_line(exc.errors()[0])}"


def load_dataset(path: Path | None = None) -> Dataset:
    """The dataset at `path`, or the bundled KKR Nordjylland 2026-2030 data when `path` is None."""
    return _bundled() if path is None else load_model(path, Dataset)


@cache
def _bundled() -> Dataset:
    return load_model(BUNDLED, Dataset)


def load_model(path: Path, model: type[M]) -> M:
    """Read a JSON file into `model`, every failure a DatasetError of one line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path.name}: cannot read: {getattr(exc, 'strerror', None) or exc}") from exc
    try:
        return model.model_validate_json(text)
    except ValidationError as exc:
        raise DatasetError(describe_validation_error(path.name, exc)) from exc
