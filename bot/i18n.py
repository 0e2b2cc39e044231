"""Translations (gettext catalogs under `locales/`, compiled with Babel) and Danish-style dates.

Message ids are English; every id has a translation in both `da` and `en` (a test extracts them from the
source and checks). A compiled `.mo` is used when it is up to date; otherwise the `.po` is compiled in
memory with Babel, so a checkout works without a build step and the Docker image compiles at build time.
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
from collections.abc import Mapping
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_decimal

from bot.config import LANGUAGES, Language

DOMAIN = "kkrbot"
COPENHAGEN = ZoneInfo("Europe/Copenhagen")

# Formats are per language because their shapes differ, not just their words:
# "fredag den 12. februar 2027 kl. 10.00" against "Friday 12 February 2027 at 10:00".
_DATE_PATTERNS: Mapping[str, str] = {"da": "EEEE 'den' d. MMMM y", "en": "EEEE d MMMM y"}
_SHORT_DATE_PATTERNS: Mapping[str, str] = {"da": "EEE d. MMM y", "en": "EEE d MMM y"}
_TIME_PATTERNS: Mapping[str, str] = {"da": "HH.mm", "en": "HH:mm"}


def locales_dir() -> Path:
    """The catalogs live in the wheel as `bot/locales`, and at the top of a source checkout."""
    packaged = Path(__file__).resolve().parent / "locales"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "locales"


def catalog_path(language: str, suffix: str) -> Path:
    return locales_dir() / language / "LC_MESSAGES" / f"{DOMAIN}.{suffix}"


def compile_catalog(language: str) -> bytes:
    """A catalog's .mo from its .po. Babel's catalog reader and writer are imported here: an installed bot reads the
    compiled .mo files and never needs them (issue 25: start)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with catalog_path(language, "po").open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def compile_all() -> list[Path]:
    """Writes every `.mo` next to its `.po` (the Docker build runs this)."""
    written = []
    for language in LANGUAGES:
        target = catalog_path(language, "mo")
        target.write_bytes(compile_catalog(language))
        written.append(target)
    return written


@cache
def _translations(language: str) -> gettext.GNUTranslations:
    po, mo = catalog_path(language, "po"), catalog_path(language, "mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        data = mo.read_bytes()
    else:
        data = compile_catalog(language)
    return gettext.GNUTranslations(io.BytesIO(data))


def normalise_language(code: str | None, default: Language) -> Language:
    """Telegram's language_code ("da", "en-GB", "de") is a first guess; anything else gets the default."""
    if code:
        base = code.split("-")[0].split("_")[0].lower()
        for language in LANGUAGES:
            if base == language:
                return language
    return default


class Translator:
    """Callable as `_("Next meeting: {date}", date=...)`; the name `_` is what Babel extracts.

    Dates and times are shown in `zone` (KKRBOT_TIMEZONE), whatever zone a datetime carries."""

    def __init__(self, language: Language, zone: ZoneInfo = COPENHAGEN) -> None:
        self.language: Language = language
        self.zone = zone
        self._catalog = _translations(language)

    def __call__(self, message: str, /, **params: object) -> str:
        text = self._catalog.gettext(message)
        return text.format(**params) if params else text

    def plural(self, singular: str, plural: str, count: int, /, **params: object) -> str:
        text = self._catalog.ngettext(singular, plural, count)
        return text.format(count=count, **params)

    def _local(self, day: dt.date) -> dt.date:
        """The day as a plain date, in this translator's zone for a moment in time."""
        return day.astimezone(self.zone).date() if isinstance(day, datetime) else day

    def date(self, day: dt.date) -> str:
        return _formatted_date(self._local(day), _DATE_PATTERNS[self.language], self.language)

    def short_date(self, day: dt.date) -> str:
        return _formatted_date(self._local(day), _SHORT_DATE_PATTERNS[self.language], self.language)

    def decimal(self, value: float, digits: int = 1) -> str:
        """A number as the reader writes it: 366,0 in Danish, 366.0 in English."""
        return format_decimal(value, format="0." + "0" * digits, locale=self.language)

    def time(self, moment: datetime) -> str:
        # Naive local time as the key: aware datetimes in two zones that are the same instant are equal keys.
        local = moment.astimezone(self.zone).replace(tzinfo=None)
        return _formatted_time(local, _TIME_PATTERNS[self.language], self.language)


# Babel takes some 20 µs a date or time, and an answer about a meeting shows the same few meetings' dates and times
# again and again (a fifth of a short answer's own CPU went to them); the meetings of a period are few.
@lru_cache(maxsize=4096)
def _formatted_date(day: dt.date, pattern: str, language: Language) -> str:
    return format_date(day, pattern, locale=language)


@lru_cache(maxsize=4096)
def _formatted_time(moment: datetime, pattern: str, language: Language) -> str:
    return format_time(moment, pattern, locale=language)


@cache
def translator(language: Language, zone: ZoneInfo = COPENHAGEN) -> Translator:
    return Translator(language, zone)


def preload(zone: ZoneInfo) -> None:
    """Makes each language's translator and formats a date and a time with it, at start: the catalogs are
    compiled and Babel reads a locale's CLDR data on first use (about a third of a second in all on the project's
    machine), which the first answer showing a date would otherwise wait for."""
    now = datetime.now(zone)
    for language in LANGUAGES:
        _ = translator(language, zone)
        _.date(now)
        _.short_date(now)
        _.time(now)


def N_(message: str) -> str:
    return message
