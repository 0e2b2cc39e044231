"""The console channel: the same core in a terminal, acting as any roster person.

The operator at the console is local and trusted (they can read the database anyway), so the console
picks who it acts as with `/as PERSON-ID`. Every roster person is reachable here, so notifications meant
for others are shown as they are delivered; people bound on Telegram get theirs there too.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TextIO

import aiosqlite

from bot.core.commands import INVALID_BUTTON, is_number, word
from bot.core.conversation import FREE_TEXT, TICK_SECONDS, Conversation
from bot.core.messages import Request
from bot.core.turn import describe_role, display_name
from bot.core.usecases.standing import answer_buttons
from bot.core.usecases.typed_answers import is_open
from bot.delivery.message import Button, Message
from bot.delivery.outbox import Delivery, DeliveryResult, OutboxItem, OutboxWorker, with_stored_content
from bot.i18n import Translator
from bot.storage.accounts import accounts_of
from bot.storage.files import write_private
from bot.storage.roster import Person, Roster

CHANNEL = "console"


class ConsoleRouter:
    async def routes(self, conn: aiosqlite.Connection, person_id: str) -> list[tuple[str, str]]:
        return [*await accounts_of(conn, person_id), (CHANNEL, person_id)]


# Buttons that answer a question put to this person: they stay pressable after other messages arrive, while
# the question is open (a substitute asked to attend can look at the next meeting first, then answer); once it is
# settled (answered, withdrawn), they go (typed_answers.is_open).
ANSWER_COMMANDS = frozenset({"cover"})


def without_bot_name(command: str, bot_username: str) -> str:
    """`/naeste@KKRNordjyllandBot` is `/naeste`, as Telegram delivers a command addressed to this bot in a group."""
    name, at, addressee = command.partition("@")
    return name if at and addressee.lower() == bot_username.lower() else command


def clean_line(raw: bytes) -> str:
    """One typed line as text: bytes that are not UTF-8 (a line cut inside a multi-byte letter, a terminal
    in another encoding) become U+FFFD instead of surrogates that later fail to print or store."""
    return raw.decode("utf-8", errors="replace").strip()


class StdinLines:
    """Lines from standard input, read by a daemon thread with `os.read`.

    Not `input()` in the event loop's default executor: `asyncio.run` waits for that thread at exit, so
    Ctrl-C needed one more Enter. A daemon thread blocked in `os.read` holds no Python lock and is simply
    left behind at exit.
    """

    def __init__(self, fd: int = 0) -> None:
        self.fd = fd
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._started = False

    def _read_forever(self, loop: asyncio.AbstractEventLoop) -> None:
        pending = b""
        while True:
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                if pending:
                    loop.call_soon_threadsafe(self._queue.put_nowait, clean_line(pending))
                loop.call_soon_threadsafe(self._queue.put_nowait, None)
                return
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                loop.call_soon_threadsafe(self._queue.put_nowait, clean_line(line))

    async def __call__(self) -> str:
        if not self._started:
            self._started = True
            loop = asyncio.get_running_loop()
            threading.Thread(target=self._read_forever, args=(loop,), name="console-stdin", daemon=True).start()
        line = await self._queue.get()
        if line is None:
            self._queue.put_nowait(None)
            raise EOFError
        return line


def render_plain(message: Message) -> str:
    parts = [message.title.upper()] if message.title else []
    if message.pre:
        parts.append(message.pre)
    parts.append(message.text)
    return "\n\n".join(parts)


class Console:
    def __init__(
        self,
        conversation: Conversation,
        _: Translator,
        out: TextIO = sys.stdout,
        read_line: Callable[[], Awaitable[str]] | None = None,
        download_dir: Path = Path(),
    ) -> None:
        self.conversation = conversation
        self._ = _
        self.out = out
        self.read_line = read_line or StdinLines()
        self.download_dir = download_dir
        self.person: Person | None = None
        self.roster: Roster | None = None
        # The buttons of the last message each person got, so that after /as one can press them.
        self.buttons: dict[str, list[Button]] = {}
        # Answer buttons still open per person (see ANSWER_COMMANDS), kept until one of them is pressed.
        self.open_answers: dict[str, list[Button]] = {}
        self.worker = OutboxWorker(
            conversation.db,
            CHANNEL,
            self.deliver,
            on_sent=conversation.report_finished_broadcasts,
            clock=conversation.clock,
        )
        conversation.after_commit(self.worker.wake)

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    async def deliver(self, item: OutboxItem) -> DeliveryResult:
        assert self.roster is not None
        message = await with_stored_content(self.conversation.db, item.message)
        self.buttons[item.address] = [b for row in message.buttons for b in row]
        answers = [b for b in self.buttons[item.address] if b.action.split()[0] in ANSWER_COMMANDS]
        # The same answer under a newer message replaces the held one: once, and in the language of now.
        held = [b for b in self.open_answers.get(item.address, []) if b.action not in {a.action for a in answers}]
        self.open_answers[item.address] = held + answers
        await self.forget_settled(item.address)
        if item.address != (self.person.id if self.person else None):
            recipient = self.roster.by_id.get(item.address)
            self.say("\n" + self._("── delivered to {name} ──", name=recipient.name if recipient else item.address))
        self.say("\n" + render_plain(message))
        self.show_buttons(item.address)
        if message.document and message.document.content:
            path = self.download_dir / message.document.filename
            if message.document.mime_type == "text/calendar":
                path.write_bytes(message.document.content)  # public: the meetings only
            else:
                write_private(path, message.document.content)  # /mine_data and the like: personal data
            self.say(self._("(file saved: {path})", path=path))
        elif message.document:
            self.say(self._("(document: {name})", name=message.document.filename))
        return DeliveryResult(Delivery.SENT)

    async def _tick_forever(self) -> None:
        while True:
            await self.conversation.tick()
            await asyncio.sleep(TICK_SECONDS)

    def pressable(self, person_id: str) -> list[Button]:
        """The last message's buttons, numbered from 1, then the answers still open from earlier ones."""
        latest = self.buttons.get(person_id, [])
        return latest + [b for b in self.open_answers.get(person_id, []) if b.action not in {x.action for x in latest}]

    def show_buttons(self, person_id: str) -> None:
        if buttons := self.pressable(person_id):
            self.say("  ".join(f"[{i}] {b.label}" for i, b in enumerate(buttons, 1)))

    async def settled(self, person_id: str, button: Button) -> bool:
        """Whether the question a held answer button belongs to is settled (typed_answers.is_open)."""
        async with self.conversation.db.read() as conn:
            return not await is_open(conn, person_id, button.action.split())

    async def spent(self, person_id: str, button: Button) -> bool:
        """A held answer (not one of the last message's own buttons) whose question was settled since it was shown."""
        held = button in self.open_answers.get(person_id, []) and button.action not in {
            b.action for b in self.buttons.get(person_id, [])
        }
        return held and await self.settled(person_id, button)

    async def forget_settled(self, person_id: str) -> None:
        """Held answers whose question is settled are offered no more (the last message's own buttons stay)."""
        self.open_answers[person_id] = [
            b for b in self.open_answers.get(person_id, []) if not await self.settled(person_id, b)
        ]

    def answered(self, person_id: str, command: str, args: list[str]) -> None:
        """An answer to an alert closes that alert's answer buttons, whichever way it was given."""
        if command in ANSWER_COMMANDS and args:
            self.open_answers[person_id] = [
                b for b in self.open_answers.get(person_id, []) if b.action.split()[:2] != [command, args[0]]
            ]

    async def act_as(self, person_id: str) -> bool:
        async with self.conversation.db.read() as conn:
            self.roster = await Roster.load(conn)
        person = self.roster.by_id.get(person_id)
        if person is None:
            nobody = self._("There is nobody with the id “{id}” in the roster.", id=person_id)
            self.say(f"{nobody} {self._('Write /as PERSON-ID; /who lists the roster.')}")
            return False
        self.person = person
        await self.follow_language()
        await self.forget_settled(person.id)
        self.say(self._("You are now {name} ({id}).", name=person.name, id=person.id))
        self.show_buttons(person.id)
        return True

    async def follow_language(self) -> None:
        """The console's own words (prompts, "delivered to") in the language of the person it acts as."""
        assert self.person is not None
        async with self.conversation.db.read() as conn:
            self._ = await self.conversation.translator_for(conn, self.person.id)
        self.open_answers[self.person.id] = [self.relabelled(b) for b in self.open_answers.get(self.person.id, [])]

    def relabelled(self, button: Button) -> Button:
        """A held answer as the core labels it in the console's language now: after /sprog, "Jeg deltager" held
        from a Danish alert is offered as "I will attend"."""
        command, *args = button.action.split()
        if command not in ANSWER_COMMANDS or not args or not args[0].isdigit():
            return button
        return next((b for b in answer_buttons(int(args[0]), self._) if b.action == button.action), button)

    async def list_people(self) -> None:
        """The roster in the console's language, in columns, example names marked as everywhere else."""
        assert self.roster is not None
        _ = self._
        people = self.roster.people
        names = {p.id: display_name(p, _) for p in people}
        id_width = max((len(p.id) for p in people), default=0)
        name_width = max((len(name) for name in names.values()), default=0)
        for person in people:
            self.say(f"  {person.id:<{id_width}}  {names[person.id]:<{name_width}}  {describe_role(person, _)}")

    def parse(self, line: str) -> tuple[str, list[str], str]:
        """(command, arguments, the argument text as typed with its line breaks)."""
        buttons = self.pressable(self.person.id) if self.person else []
        if is_number(line) and 1 <= int(line) <= len(buttons):
            command, *args = buttons[int(line) - 1].action.split()
            return command, args, " ".join(args)
        if line.startswith("/"):
            # "/" alone is a command without a name: the core answers it as an unknown command.
            command, *rest = line[1:].split(maxsplit=1) or [""]
            command = without_bot_name(command, self.conversation.settings.bot_username)
            text = rest[0].strip() if rest else ""
            return command, text.split(), text
        return FREE_TEXT, [], line

    async def read_lines(self) -> str:
        """One request, which may span lines: a line ending in a backslash continues on the next."""
        lines = [await self.read_line()]
        while lines[-1].endswith("\\"):
            lines[-1] = lines[-1][:-1]
            lines.append(await self.read_line())
        return "\n".join(line.rstrip() for line in lines)

    async def run(self) -> None:
        async with self.conversation.db.read() as conn:
            roster = await Roster.load(conn)
        if not await self.act_as(roster.members[0].id if roster.members else roster.people[0].id):
            return
        _ = self._
        self.say(
            _(
                "Type a command such as /{next} or /{help}, a number to press a button, /as PERSON-ID to act "
                "as someone else, /who to list the roster, /quit to leave. End a line with \\ to go on writing on "
                "the next (an agenda, a broadcast).",
                next=word("next", _.language),
                help=word("help", _.language),
            )
        )
        worker = asyncio.create_task(self.worker.run())
        ticker = asyncio.create_task(self._tick_forever())
        try:
            while True:
                await self.worker.drain_once()
                try:
                    line = (await self.read_lines()).strip()
                except EOFError:
                    break
                if not line:
                    continue
                if line in ("/quit", "/exit"):
                    break
                if line.startswith("/as"):
                    parts = line.split()
                    if len(parts) == 2:
                        await self.act_as(parts[1])
                    else:
                        self.say(self._("Write /as PERSON-ID; /who lists the roster."))
                    continue
                if line == "/who":
                    await self.list_people()
                    continue
                assert self.person is not None
                shown = self.pressable(self.person.id)
                if is_number(line) and shown and not 1 <= int(line) <= len(shown):
                    # A number that is no button: say which numbers are, and show them again.
                    self.say(
                        self._("There is no button {number}; press 1.", number=line)
                        if len(shown) == 1
                        else self._("There is no button {number}; choose 1–{count}.", number=line, count=len(shown))
                    )
                    self.show_buttons(self.person.id)
                    continue
                command, args, text = self.parse(line)
                pressed = shown[int(line) - 1] if is_number(line) and 1 <= int(line) <= len(shown) else None
                if pressed is not None and await self.spent(self.person.id, pressed):
                    # Settled since it was shown (answered on another channel): what a spent button gets there.
                    command, args, text = INVALID_BUTTON, [], ""
                self.answered(self.person.id, command, args)
                await self.conversation.handle(
                    Request(
                        channel=CHANNEL,
                        address=self.person.id,
                        command=command,
                        args=tuple(args),
                        text=text,
                        person_id=self.person.id,
                    )
                )
                await self.follow_language()  # /sprog may have changed it
        finally:
            ticker.cancel()
            await self.worker.stop(worker)
            await self.worker.drain_once()
