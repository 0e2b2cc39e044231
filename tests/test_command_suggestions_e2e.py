"""A mistyped command gets the command it most likely meant, with a button for it, in the reader's language:
English readers type /my_data, /alliances or /absence for /mydata, /alliance and /absent (found in the QA
session of 7 December 2026, where each was answered only "I do not know the command")."""

from __future__ import annotations

from tests.conftest import RunningBot
from tests.test_elections_e2e import text

MEMBER = 2301  # aalborg-borgmester


async def test_a_near_miss_of_an_english_command_is_answered_with_the_command_meant(kkrbot: RunningBot) -> None:
    await kkrbot.bind(MEMBER, "aalborg-borgmester")
    await kkrbot.ask(MEMBER, "/sprog en")

    answer = await kkrbot.ask(MEMBER, "/my_data")
    absence = await kkrbot.ask(MEMBER, "/absence")

    assert "Did you mean /mydata?" in text(answer)
    assert "/mydata" in [button["text"] for row in answer.buttons for button in row]
    assert "Did you mean /absent?" in text(absence)


async def test_a_near_miss_of_a_danish_command_is_answered_in_danish(kkrbot: RunningBot) -> None:
    await kkrbot.bind(MEMBER, "aalborg-borgmester")

    answer = await kkrbot.ask(MEMBER, "/afbu")
    nonsense = await kkrbot.ask(MEMBER, "/xyzzy")

    assert "Mente du /afbud?" in text(answer)
    assert "Mente du" not in text(nonsense)
    assert "Jeg kender ikke kommandoen /xyzzy" in text(nonsense)
