"""What a use case gets for one request: the open transaction, who asks, their language, and the clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import aiosqlite

from bot.config import Settings
from bot.core.commands import word
from bot.core.messages import Notification, Outcome, Request
from bot.delivery.message import Button, Document, Message
from bot.delivery.outbox import Lane
from bot.i18n import Translator
from bot.storage.meeting_changes import plan
from bot.storage.roster import Person, Role, Roster
from kkrcore.models import Dataset, Meeting

if TYPE_CHECKING:
    from bot.core.conversation import Conversation


@dataclass
class Turn:
    conn: aiosqlite.Connection
    request: Request
    person: Person | None
    _: Translator
    now: datetime
    conversation: Conversation
    outcome: Outcome = field(default_factory=Outcome)
    # The roster's version as read with the asker (None: read it when the roster is needed).
    roster_version: int | None = None
    _roster: Roster | None = None
    _meetings: tuple[Meeting, ...] | None = None
    # Whether the asker has a meeting they may report absence for (absence_notices.own_choices, asked once
    # per turn by the conversation): the main menu offers "Report absence" only then.
    absence_open: bool = False

    @property
    def dataset(self) -> Dataset:
        """The data of the period current at this turn's clock (R-PER-1)."""
        return self.conversation.dataset_at(self.now)

    @property
    def opened(self) -> frozenset[str]:
        """The constituent meetings whose period's data the bot holds and acts on (`bot.core.usecases.period`)."""
        return self.conversation.opened

    @property
    def settings(self) -> Settings:
        return self.conversation.settings

    @property
    def args(self) -> tuple[str, ...]:
        return self.request.args

    async def meetings(self) -> tuple[Meeting, ...]:
        """The meeting plan every answer uses: the bundled plan with the secretariat's changes (one accessor,
        so a change reaches every answer), read once per turn."""
        if self._meetings is None:
            self._meetings = await plan(self.conn, self.dataset)
        return self._meetings

    def plan_changed(self, meetings: tuple[Meeting, ...]) -> None:
        """The rest of this turn sees the plan with the change it has just stored."""
        self._meetings = meetings

    def text_after(self, count: int) -> str:
        """The request's text after its first `count` words, as written (line breaks kept); a channel that does
        not set `Request.text` gives its arguments on one line."""
        parts = (self.request.text or " ".join(self.request.args)).split(maxsplit=count)
        return parts[count].strip() if len(parts) > count else ""

    async def roster(self) -> Roster:
        if self._roster is None:
            self._roster = await self.conversation.roster(self.conn, self.roster_version, self.now)
        return self._roster

    def reply(
        self,
        text: str,
        *,
        title: str | None = None,
        pre: str | None = None,
        buttons: Sequence[Sequence[Button]] = (),
        document: Document | None = None,
        sensitive: bool = False,
    ) -> None:
        self.outcome.replies.append(
            Message(
                text=text,
                title=title,
                pre=pre,
                buttons=tuple(tuple(row) for row in buttons if row),
                document=document,
                sensitive=sensitive,
            )
        )

    async def notify(
        self, person_id: str, compose: Callable[[Translator], Message], *, lane: Lane = Lane.INTERACTIVE
    ) -> None:
        """Composes the message in the recipient's own language."""
        translator = await self.conversation.translator_for(self.conn, person_id)
        self.outcome.notifications.append(Notification(person_id=person_id, message=compose(translator), lane=lane))

    async def notify_secretariat(
        self, compose: Callable[[Translator], Message], *, lane: Lane = Lane.INTERACTIVE
    ) -> None:
        """Tells everyone in the secretariat, each in their own language: where failures and decisions end up."""
        for person in (await self.roster()).secretariat:
            await self.notify(person.id, compose, lane=lane)

    async def rehearse(self, action: Callable[[], Awaitable[None]]) -> tuple[list[Message], bool]:
        """Runs `action` inside a savepoint that is rolled back, for a preview: the replies it would give, and
        whether it would change anything (a refusal changes nothing, and needs no Send). What it would tell
        others is not sent, and the roster and plan are read again afterwards."""
        replies, notifications = len(self.outcome.replies), len(self.outcome.notifications)
        used = self.outcome.buttons_used
        before = self.conn.total_changes
        await self.conn.execute("SAVEPOINT rehearsal")
        try:
            await action()
        finally:
            changed = self.conn.total_changes != before
            await self.conn.execute("ROLLBACK TO rehearsal")
            await self.conn.execute("RELEASE rehearsal")
            shown = self.outcome.replies[replies:]
            del self.outcome.replies[replies:]
            del self.outcome.notifications[notifications:]
            self.outcome.buttons_used = used
            self._roster, self._meetings = None, None
            self.conversation.forget_roster()
        return shown, changed

    def buttons_used(self) -> None:
        """The question this request answered is settled; its buttons should not stay pressable."""
        self.outcome.buttons_used = True

    def button(self, label: str, action: str) -> Button:
        return Button(label=label, action=action)

    def command(self, name: str) -> str:
        """A command as this person writes it: `/naeste` in Danish, `/next` in English."""
        return "/" + word(name, self._.language)

    @property
    def is_secretariat(self) -> bool:
        return self.person is not None and self.person.role is Role.SECRETARIAT


UseCase = Callable[[Turn], Awaitable[None]]

QUOTE_LIMIT = 80


def quoted(text: str) -> str:
    """What a person typed, as an answer may repeat it: one line, without control or direction characters
    (U+202E would turn our own words around), and at most QUOTE_LIMIT characters, so nobody can make the
    bot send long texts of their choosing."""
    clean = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return clean if len(clean) <= QUOTE_LIMIT else clean[: QUOTE_LIMIT - 1] + "…"


def display_name(person: Person, _: Translator) -> str:
    """Example names are marked everywhere they are shown, so nobody mistakes them for real people."""
    return _("{name} (example)", name=person.name) if person.example else person.name


def capitalised(text: str) -> str:
    """A message starts with a capital even when it starts with a Danish date ("onsdag den 1. januar 2031")."""
    return text[:1].upper() + text[1:] if text[:1].islower() else text


def vice_title(rank: int, _: Translator) -> str:
    """'deputy mayor' (viceborgmester) for the first, 'deputy mayor no. 2' (2. viceborgmester) after (R-MEM-2)."""
    return _("deputy mayor") if rank == 1 else _("deputy mayor no. {rank}", rank=rank)


def describe_role(person: Person, _: Translator) -> str:
    """What a person is, to follow "You are registered as": the role first, then where they sit."""
    if person.role is Role.SECRETARIAT:
        return _("the KKR secretariat")
    if person.mayor:
        return _("member, as mayor of {municipality} ({party})", municipality=person.municipality, party=person.party)
    if person.role is Role.MEMBER:
        return _("member ({party}, {municipality})", party=person.party, municipality=person.municipality)
    if person.vice_mayor_rank:
        return _(
            "substitute, as {title} of {municipality} ({party})",
            title=vice_title(person.vice_mayor_rank, _),
            municipality=person.municipality,
            party=person.party,
        )
    return _("personal substitute ({party}, {municipality})", party=person.party, municipality=person.municipality)


def who(person: Person, _: Translator) -> str:
    """A person named with where they sit, to stand inside a sentence: "Pia Fiktivsen (A, Hjørring)",
    "Camilla Demoholm, mayor of Aalborg (A)"."""
    if person.mayor:
        return _(
            "{name}, mayor of {municipality} ({party})",
            name=display_name(person, _),
            municipality=person.municipality,
            party=person.party,
        )
    if person.vice_mayor_rank:
        return _(
            "{name}, {title} of {municipality} ({party})",
            name=display_name(person, _),
            title=vice_title(person.vice_mayor_rank, _),
            municipality=person.municipality,
            party=person.party,
        )
    return _(
        "{name} ({party}, {municipality})",
        name=display_name(person, _),
        party=person.party,
        municipality=person.municipality,
    )


def _p(words: Turn | Translator, singular: str, plural: str, count: int, /, **params: object) -> str:
    """Singular or plural by `count` (which the messages call {count}), in the turn's or the translator's language,
    under the name the message extraction knows (pybabel's `-k _p:2,3`, tests/test_translations.py). A bare `_`
    among the arguments hides the call from the extraction: pass the turn, or the translator by another name."""
    translator = words._ if isinstance(words, Turn) else words
    return translator.plural(singular, plural, count, **params)
