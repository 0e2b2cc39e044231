"""Transcripts per role (member, mayor, substitute, secretariat) and language (Danish, English), through the real
Application and the fake Bot API (issue #10, "what it must show"): each walks its commands with good and bad
input, every answer offers the next step as buttons (asserted by what the buttons do, which is the same in both
languages), and no answer crosses the languages."""

from __future__ import annotations

import re
from collections.abc import Iterable

import pytest

from bot.core.commands import word
from tests.conftest import RunningBot
from tests.transcripts import Said, Transcript, all_text, danish_in, proper_names

MEMBER, MAYOR, SUBSTITUTE, SECRETARY = 5001, 5002, 5003, 5004
PEOPLE = {
    MEMBER: "a-medlem-2",
    MAYOR: "aalborg-borgmester",
    SUBSTITUTE: "a-stedfortraeder-2",
    SECRETARY: "sekretariat-1",
}
MAIN = {"next", "meetings"}

# Common English words that are not Danish words; a Danish answer has none of them.
ENGLISH_WORDS = re.findall(
    r"\S+",
    "the you your meeting meetings please with not absence absent substitute member members next choose write "
    "agenda attendance minutes help language cannot only report withdraw mayor deputy which what there is are "
    "will from now",
)
_ENGLISH_WORD = re.compile(r"\b(" + "|".join(ENGLISH_WORDS) + r")\b", re.IGNORECASE)
_QUOTED = re.compile(r"“[^”]*”|„[^“]*“")


def english_in(text: str, names: Iterable[str]) -> list[str]:
    for name in names:
        text = text.replace(name, " ")
    return _ENGLISH_WORD.findall(_QUOTED.sub(" ", text.replace("English", " ")))


def actions(said: Said) -> set[str]:
    """What the answer's buttons do: the command each one runs."""
    return {str(b["callback_data"]).split()[0] for m in said.answers for row in m.buttons for b in row}


def payloads(said: Said) -> list[str]:
    return [str(b["callback_data"]) for m in said.answers for row in m.buttons for b in row]


class Walk:
    """A transcript in one language: commands are typed with the names of that language."""

    def __init__(self, transcript: Transcript, language: str) -> None:
        self.transcript = transcript
        self.language = language

    async def do(self, user: int, command: str, *args: str) -> Said:
        text = " ".join([f"/{word(command, self.language)}", *args])
        return await self.transcript.say(user, text, language=self.language)

    async def type(self, user: int, text: str) -> Said:
        return await self.transcript.say(user, text, language=self.language)

    async def press(self, user: int, payload: str) -> Said:
        """Presses the button that runs `payload` on the latest message that has it."""
        tg = self.transcript.bot.tg
        message = next(
            m
            for m in reversed(tg.sent_to(user))
            if any(b.get("callback_data") == payload for row in m.buttons for b in row)
        )
        label = next(str(b["text"]) for row in message.buttons for b in row if b.get("callback_data") == payload)
        return await self.transcript.press(user, label, on=message)


@pytest.fixture(params=["da", "en"])
async def walk(request: pytest.FixtureRequest, kkrbot: RunningBot) -> Walk:
    language: str = request.param
    # The roster's language overrides the account's (issue 21's rule): the secretary is the one whose roster
    # language is the walk's.
    people = {**PEOPLE, SECRETARY: {"da": "sekretariat-1", "en": "sekretariat-2"}[language]}
    for user, person in people.items():
        await kkrbot.bind(user, person, language=language)
    return Walk(Transcript(kkrbot), language)


async def no_answer_crosses_the_languages(walk: Walk) -> None:
    names = await proper_names(walk.transcript.bot)
    crossing = []
    for step in walk.transcript.steps:
        for message in step.answers + step.others:
            text = all_text(message)
            found = danish_in(text, names) if walk.language == "en" else english_in(text, names)
            crossing += [(step.did, found_word) for found_word in found]
    assert not crossing, crossing


async def test_a_member(walk: Walk) -> None:
    help_ = await walk.do(MEMBER, "help")
    assert {"next", "meetings", "absent", "substitute", "composition"} <= actions(help_)
    assert f"/{word('absent', walk.language)}" in help_.text

    next_ = await walk.do(MEMBER, "next")
    assert "absent 2027-02-12" in payloads(next_)

    unreadable = await walk.do(MEMBER, "absent", "xyz")
    assert "absent 2027-02-12" in payloads(unreadable)

    confirm = await walk.do(MEMBER, "absent", "12/2")
    assert payloads(confirm) == ["absent 2027-02-12 ok", "absent 2027-02-12 no"]
    recorded = await walk.press(MEMBER, "absent 2027-02-12 ok")
    assert actions(recorded) == {"undo"}
    assert any(m.chat_id == SUBSTITUTE for m in recorded.others)
    withdrawn = await walk.press(MEMBER, payloads(recorded)[0])
    assert "next" in actions(withdrawn)

    unknown = await walk.do(MEMBER, "attendance")
    assert MAIN | {"absent"} <= actions(unknown)
    foo = await walk.type(MEMBER, "/foo")
    assert MAIN | {"absent"} <= actions(foo)
    free = await walk.type(MEMBER, "hello there")
    assert actions(free) >= MAIN
    members = await walk.do(MEMBER, "members", "xyz")
    assert actions(members) == {"members"}
    await no_answer_crosses_the_languages(walk)


async def test_a_mayor(walk: Walk) -> None:
    substitute = await walk.do(MAYOR, "substitute")
    assert "Nanna Attrapgaard" in substitute.text
    assert {"da": "2. viceborgmester", "en": "deputy mayor no. 2"}[walk.language] in substitute.text
    assert actions(substitute) == {"next", "members"}

    no_members = await walk.do(MAYOR, "members", "M")
    assert "composition" in actions(no_members)

    next_council = await walk.do(MAYOR, "absent", "25.01.2030")
    assert "absent 2027-02-12" in payloads(next_council)

    composition = await walk.do(MAYOR, "composition")
    header = {"da": "Parti", "en": "Party"}[walk.language]
    assert header in composition.text
    assert {"members", "next"} <= actions(composition)
    await no_answer_crosses_the_languages(walk)


async def test_a_substitute(walk: Walk) -> None:
    await walk.do(MEMBER, "absent", "12.02.2027", "ok")
    alert = await walk.press(SUBSTITUTE, next(p for p in payloads_to(walk, SUBSTITUTE) if p.endswith(" yes")))
    assert alert.answers
    assert any(m.chat_id == MEMBER for m in alert.others)
    assert any(m.chat_id == SECRETARY for m in alert.others)

    help_ = await walk.do(SUBSTITUTE, "help")
    assert "absent" not in actions(help_)
    assert f"/{word('absent', walk.language)}" not in help_.text
    refused = await walk.do(SUBSTITUTE, "absent")
    assert MAIN | {"substitute"} <= actions(refused)
    assert "absent" not in actions(refused)
    mine = await walk.do(SUBSTITUTE, "substitute")
    assert "Pia Fiktivsen" in mine.text
    stray = await walk.do(SUBSTITUTE, "cover", "xyz")
    assert actions(stray) >= MAIN
    await no_answer_crosses_the_languages(walk)


def payloads_to(walk: Walk, user: int) -> list[str]:
    return [str(b["callback_data"]) for m in walk.transcript.bot.tg.sent_to(user) for row in m.buttons for b in row]


async def test_the_secretariat(walk: Walk) -> None:
    help_ = await walk.do(SECRETARY, "help")
    assert {"attendance", "next"} <= actions(help_)
    assert not {"absent", "substitute"} & actions(help_)

    attendance = await walk.do(SECRETARY, "attendance", "12.2")
    assert payloads(attendance) == ["minutes 2027-02-12"]
    unreadable = await walk.do(SECRETARY, "minutes", "31.02.2027")
    assert {"minutes 2026-11-20", "minutes 2027-02-12"} <= set(payloads(unreadable))
    no_meeting = await walk.do(SECRETARY, "agenda", "13.02.2027", "None")
    assert "agenda 2027-02-12" in payloads(no_meeting)
    saved = await walk.do(SECRETARY, "agenda", "12 feb", "1.", "Welcome")
    assert actions(saved) == {"broadcast", "meetings"}
    refused = await walk.do(SECRETARY, "substitute")
    assert MAIN | {"attendance"} <= actions(refused)
    nobody = await walk.do(SECRETARY, "invite", "nobody")
    assert actions(nobody) == {"invite"}
    await no_answer_crosses_the_languages(walk)
