"""Issue 19, item 7, end to end through the real Application and the fake Bot API: what the bot only infers says
so in the reader's language, Danish texts carry no rule ids or English fragments, the viceborgmester is not
called a personal substitute, local lists are out because they are no party, and a tie in the composition asks
for the recorded lot (R-COMP-6) instead of failing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from kkrcore.dataset import BUNDLED
from tests.conftest import COPENHAGEN, Clock, RunningBot, start_bot
from tests.fake_telegram import FakeTelegram, SentMessage

MAYOR, VICE_MAYOR, SECRETARY, MEMBER = 5001, 5002, 5003, 5004
EARLY_FEBRUARY = datetime(2027, 2, 1, 9, 0, tzinfo=COPENHAGEN)


def text(message: SentMessage) -> str:
    return message.plain_text or ""


async def test_r_comp_5_the_composition_says_its_method_is_inferred_and_local_lists_are_no_party(
    kkrbot: RunningBot,
) -> None:
    await kkrbot.bind(MEMBER, "a-medlem-2")

    answer = text(await kkrbot.ask(MEMBER, "/sammensaetning"))

    assert "største brøks metode (Hare) (udledt: kilderne nævner ikke metoden" in answer
    assert "Lokallister uden for et listesamarbejde deltager ikke: de er ikke et parti." in answer
    assert "Deltager ikke, med under 2 % af stemmerne: M, Å." in answer
    assert "R-" not in answer


async def test_r_mem_2_the_viceborgmester_is_asked_as_viceborgmester_not_as_personal_substitute(
    kkrbot: RunningBot,
) -> None:
    kkrbot.clock.now = EARLY_FEBRUARY
    await kkrbot.bind(MAYOR, "thisted-borgmester")
    await kkrbot.bind(VICE_MAYOR, "thisted-viceborgmester")
    before = len(kkrbot.tg.sent_to(VICE_MAYOR))

    await kkrbot.ask(MAYOR, "/afbud 12.02.2027 ok")

    alert = text((await kkrbot.tg.wait_for_messages(VICE_MAYOR, before + 1, timeout=30))[-1])
    assert "Som viceborgmester kan du deltage i borgmesterens sted" in alert
    assert "personlig stedfortræder" not in alert


async def test_no_rule_ids_or_english_in_what_a_mayor_reads_about_valgforbund(kkrbot: RunningBot) -> None:
    kkrbot.clock.now = datetime(2026, 1, 14, 9, 0, tzinfo=COPENHAGEN)  # before this period's constituent meeting
    await kkrbot.bind(MAYOR, "thisted-borgmester")

    listed = text(await kkrbot.ask(MAYOR, "/valgforbund"))
    refused = text(await kkrbot.ask(MAYOR, "/valgforbund V+M"))

    assert "tre hverdage før" in listed
    assert "under 2 %" in refused
    for answer in (listed, refused):
        assert "R-ELEC" not in answer


@pytest.fixture
async def tied(tg: FakeTelegram, tmp_path: Path, clock: Clock) -> AsyncIterator[RunningBot]:
    """The bundled data with I and O at 3.0 % each: they tie for the last supplementary seat."""
    data = json.loads(BUNDLED.read_text(encoding="utf-8"))
    data["vote_shares"]["I"] = data["vote_shares"]["O"] = 30
    data_file = tmp_path / "tied.json"
    data_file.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    running = await start_bot(tg, tmp_path / "kkrbot.sqlite3", clock, data_file=data_file)
    yield running
    await running.stop()


async def test_r_comp_6_a_tie_in_the_composition_asks_for_the_lot_and_the_secretariat_records_it(
    tied: RunningBot,
) -> None:
    await tied.bind(MEMBER, "a-medlem-2")
    await tied.bind(SECRETARY, "sekretariat-1")

    asked = await tied.ask(MEMBER, "/sammensaetning")
    question = await tied.ask(SECRETARY, "/sammensaetning")
    recorded = await tied.press(SECRETARY, question, "O")

    assert "I, O står lige om 1 plads: kun lodtrækning kan afgøre det" in text(asked)
    assert "Sekretariatet registrerer lodtrækningen" in text(asked)
    assert "/sammensaetning lod VINDER" in text(question)
    assert "Afgjort ved den registrerede lodtrækning mellem I, O: O." in text(recorded)
    assert "Sammensætning 2026-2030: 22 medlemmer" in text(recorded)
    assert "lodtrækning" not in text(await tied.ask(MEMBER, "/sammensaetning")).split("\n")[0]
