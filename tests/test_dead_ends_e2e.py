"""The chat's dead ends and words (issue 23, items 1-4), as transcripts per role and language through the real
Application and the fake Bot API: each new path is walked, and no answer crosses the languages."""

from __future__ import annotations

import pytest

from tests.conftest import RunningBot
from tests.test_transcripts_e2e import (
    MEMBER,
    PEOPLE,
    SECRETARY,
    SUBSTITUTE,
    Walk,
    no_answer_crosses_the_languages,
    payloads,
    payloads_to,
)
from tests.transcripts import Transcript


@pytest.fixture(params=["da", "en"])
async def walk(request: pytest.FixtureRequest, kkrbot: RunningBot) -> Walk:
    language: str = request.param
    for user, person in PEOPLE.items():
        await kkrbot.bind(user, person, language=language)
    return Walk(Transcript(kkrbot), language)


CHANGED = {"da": "Stedfortræderen har ændret sit svar", "en": "Substitute changed their answer"}


async def test_a_substitute_can_change_their_mind_until_the_meeting(walk: Walk) -> None:
    """Item 1: after "I will attend" the answer offers "I cannot attend after all", and so does /status; after
    "I cannot", /status lists the declined alert with "I can attend after all". Member and secretariat are
    told each time."""
    await walk.do(MEMBER, "absent", "12.02.2027", "ok")
    accept = next(p for p in payloads_to(walk, SUBSTITUTE) if p.endswith(" yes"))
    notice = accept.split()[1]

    accepted = await walk.press(SUBSTITUTE, accept)
    assert payloads(accepted) == [f"cover {notice} no"]

    status = await walk.do(SUBSTITUTE, "status")
    assert f"cover {notice} no" in payloads(status)

    declined = await walk.press(SUBSTITUTE, f"cover {notice} no")
    assert payloads(declined) == [f"cover {notice} yes"]
    told = {m.chat_id for m in declined.others if CHANGED[walk.language] in (m.plain_text or "")}
    assert {MEMBER, SECRETARY} <= told

    after = await walk.do(SUBSTITUTE, "status")
    assert f"cover {notice} yes" in payloads(after)
    assert "Pia Fiktivsen" in after.text

    again = await walk.press(SUBSTITUTE, f"cover {notice} yes")
    assert payloads(again) == [f"cover {notice} no"]
    assert any(m.chat_id == MEMBER for m in again.others)
    await no_answer_crosses_the_languages(walk)
