"""Every message the bot can say exists in Danish and English, and dates read the Danish way."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.config import LANGUAGES
from bot.i18n import Translator, catalog_path

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "N_": None, "_p": (2, 3)}


def source_messages() -> set[str]:
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        ROOT / "bot", method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_in_the_source_has_a_translation(language: str) -> None:
    with catalog_path(language, "po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    translated = {
        m.id if isinstance(m.id, str) else m.id[0]
        for m in catalog
        if m.id and "fuzzy" not in m.flags and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    missing = source_messages() - translated
    assert not missing, f"{language}: untranslated: {sorted(missing)}"


def test_the_extraction_finds_the_messages_it_should() -> None:
    messages = source_messages()
    assert "Next meeting" in messages
    assert len(messages) > 50


def test_danish_dates_read_the_danish_way() -> None:
    moment = datetime(2027, 2, 12, 10, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))
    _ = Translator("da")
    assert f"{_.date(moment)} kl. {_.time(moment)}" == "fredag den 12. februar 2027 kl. 10.00"


def test_english_dates() -> None:
    moment = datetime(2027, 2, 12, 10, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))
    _ = Translator("en")
    assert f"{_.date(moment)} {_.time(moment)}" == "Friday 12 February 2027 10:00"


def test_placeholders_survive_translation() -> None:
    for language in LANGUAGES:
        with catalog_path(language, "po").open("rb") as handle:
            catalog = read_po(handle, locale=language)
        for message in catalog:
            if not message.id or isinstance(message.id, tuple):
                continue
            for placeholder in ("{name}", "{date}", "{count}", "{period}", "{place}"):
                if placeholder in message.id:
                    assert placeholder in str(message.string), (language, message.id)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_translation_shows_a_rule_id(language: str) -> None:
    """Rule ids (R-ELEC-5, R-EHUS-2, ...) are for tests and code; the people reading the bot are not told them.
    The English catalog had copied them from the English msgids, which the Danish translations leave out."""
    with catalog_path(language, "po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    shown = [
        text
        for message in catalog
        if message.id
        for text in (message.string if isinstance(message.string, tuple) else (message.string,))
        if re.search(r"\bR-[A-Z]+-\d", text)
    ]
    assert not shown, f"{language}: {shown}"


def test_english_texts_name_the_english_subcommands() -> None:
    """An English reader is told `/forum votes` and `/nomination reason`, which the bot accepts, not the Danish
    `/forum stemmer` or `/indstilling grund` (Danish command words in English help are a mixed language)."""
    with catalog_path("en", "po").open("rb") as handle:
        catalog = read_po(handle, locale="en")
    danish = re.compile(r"/forum (ny|stemmer|ret|liste|fordel|lod|kandidat)\b|/indstilling\b")
    shown = [
        text
        for message in catalog
        if message.id
        for text in (message.string if isinstance(message.string, tuple) else (message.string,))
        if danish.search(text)
    ]
    assert not shown, shown
