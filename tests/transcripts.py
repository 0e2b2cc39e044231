"""Conversations as transcripts: a person types or presses, the test waits until the bot has answered and
delivered everything the step caused, and keeps what each chat got. Used by the tests that walk the commands
per role and language (issue #10: English really English, next steps everywhere)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.storage.db import first_row
from bot.storage.roster import Roster
from tests.conftest import RunningBot
from tests.fake_telegram import SentMessage

# Common Danish words and the Danish command and domain words; none of them is an English word.
DANISH_WORDS = re.findall(
    r"\S+",
    "og ikke til jeg du dig din dit har kan skal vil skriv vælg fx eller som der det er på med af fra ingen "
    "alle nej ja tak hvem hvad hvornår mødet møde møder mødes dagsorden dagsordenen afbud stedfortræder "
    "stedfortrædere stedfortraeder medlem medlemmer borgmester borgm viceborgmester sekretariatet sekretariat "
    "næste naeste moeder hjaelp hjælp sprog sammensaetning sammensætning fremmoede fremmøde referat inviter "
    "fortryd kalender lokale lister parti partier suppl kommune kommuner gemt udsendt registreret "
    "forholdstalsvalg hverdage eksempel mandag tirsdag onsdag torsdag fredag lørdag søndag januar februar marts "
    "maj juni juli oktober kl dato tekst",
)
_DANISH_WORD = re.compile(r"\b(" + "|".join(map(re.escape, DANISH_WORDS)) + r")\b", re.IGNORECASE)
_DANISH_LETTER = re.compile(r"[æøåÆØÅ]")
# What a person typed and the bot quotes back is theirs, not the bot's.
_QUOTED = re.compile(r"“[^”]*”|„[^“]*“")
# Party letters Æ, Ø and Å stand alone; the language button names Danish in Danish.
_ALLOWED = re.compile(r"(?<!\w)[ÆØÅ](?!\w)|\bDansk\b")


@dataclass
class Said:
    """One step of a transcript: who did what, and every message the bot sent because of it."""

    user: int
    did: str
    answers: list[SentMessage]
    others: list[SentMessage]

    @property
    def last(self) -> SentMessage:
        assert self.answers, f"no answer to {self.did!r}"
        return self.answers[-1]

    @property
    def text(self) -> str:
        return "\n".join(m.plain_text or "" for m in self.answers)

    def labels(self) -> list[str]:
        return [str(b["text"]) for m in self.answers for row in m.buttons for b in row]


@dataclass
class Transcript:
    bot: RunningBot
    steps: list[Said] = field(default_factory=list)

    async def _settle(self, update_id: int) -> None:
        """Until the update is processed and the outbox has nothing left to send (no timing: state)."""
        db = self.bot.conversation.db
        for _attempt in range(2000):
            async with db.read() as conn:
                done = await first_row(
                    conn, "SELECT processed_at IS NOT NULL FROM inbox WHERE update_id = ?", (update_id,)
                )
                waiting = await first_row(
                    conn, "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL"
                )
            if done and done[0] and waiting and waiting[0] == 0:
                return
            await asyncio.sleep(0.005)
        raise AssertionError(f"update {update_id} was not handled and delivered")

    async def _step(self, user: int, did: str, inject: int, before: int) -> Said:
        await self._settle(inject)
        new = self.bot.tg.sent[before:]
        said = Said(user, did, [m for m in new if m.chat_id == user], [m for m in new if m.chat_id != user])
        self.steps.append(said)
        return said

    async def say(self, user: int, text: str, *, language: str = "da") -> Said:
        before = len(self.bot.tg.sent)
        return await self._step(user, text, self.bot.tg.inject_message(user, text, language_code=language), before)

    async def press(self, user: int, label: str, *, on: SentMessage | None = None) -> Said:
        """Presses the button labelled `label` on `on`, or on the latest message to `user` that has one."""
        if on is None:
            offered = [
                m for m in self.bot.tg.sent_to(user) if any(b.get("text") == label for row in m.buttons for b in row)
            ]
            assert offered, f"no message to {user} has a button {label!r}"
            on = offered[-1]
        before = len(self.bot.tg.sent)
        return await self._step(user, f"[{label}]", self.bot.tg.inject_button_press(user, on.message_id, label), before)

    def received_by(self, user: int) -> Iterable[SentMessage]:
        for step in self.steps:
            yield from (m for m in step.answers + step.others if m.chat_id == user)


async def proper_names(bot: RunningBot) -> list[str]:
    """Names, places and parties: Danish by nature, and not the bot's own words."""
    async with bot.conversation.db.read() as conn:
        roster = await Roster.load(conn)
    dataset = bot.conversation.dataset
    people = roster.ever_by_id.values()  # with those who left the roster: their names are names all the same
    names = [p.name for p in people] + [p.id for p in people]
    names += [m.name for m in dataset.municipalities]
    names += [p.name for p in dataset.parties]
    names += [m.place for m in dataset.meetings] + [m.address for m in dataset.meetings if m.address]
    names += ["KKR Nordjylland", "Nordjylland", "KL"]  # KL (the association) is a name; "kl." is still Danish
    return sorted(set(names), key=len, reverse=True)


def danish_in(text: str, names: Iterable[str]) -> list[str]:
    """The Danish words and letters in `text` that the bot wrote itself."""
    for name in names:
        text = text.replace(name, " ")
    text = _ALLOWED.sub(" ", _QUOTED.sub(" ", text))
    return _DANISH_WORD.findall(text) + _DANISH_LETTER.findall(text)


def all_text(message: SentMessage) -> str:
    """What a person reads: the text and the buttons' labels."""
    labels = [str(b.get("text", "")) for row in message.buttons for b in row]
    return "\n".join([message.plain_text or "", *labels])
