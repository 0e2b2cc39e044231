"""Every command the bot knows, in one place: its canonical (English) name, its Danish name, who may use
it and its menu description, and which are main-menu buttons. The help text, the main-menu buttons, the refusals and
the channels' menus (per language, per role) all derive from this table, so a person is only ever offered
what they can use."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from bot.delivery.message import CALLBACK_LIMIT_BYTES
from bot.i18n import N_
from bot.storage.roster import Role


class Audience(StrEnum):
    ANYONE = "anyone"  # also unbound accounts
    BOUND = "bound"  # any roster person bound to the account
    COUNCIL = "council"  # members and substitutes (they have or are a substitute), not the secretariat
    MEMBER = "member"  # members of the KKR only (not substitutes, not the secretariat)
    SECRETARIAT = "secretariat"


_ROLES: dict[Audience, frozenset[Role]] = {
    Audience.ANYONE: frozenset(Role),
    Audience.BOUND: frozenset(Role),
    Audience.COUNCIL: frozenset({Role.MEMBER, Role.SUBSTITUTE}),
    Audience.MEMBER: frozenset({Role.MEMBER}),
    Audience.SECRETARIAT: frozenset({Role.SECRETARIAT}),
}


@dataclass(frozen=True)
class Command:
    name: str
    danish: str
    audience: Audience
    description: str
    in_menu: bool = True

    def word(self, language: str) -> str:
        """The name a person of this language is shown: /naeste in Danish, /next in English."""
        return self.danish if language == "da" else self.name

    def allows(self, role: Role | None) -> bool:
        if role is None:
            return self.audience is Audience.ANYONE
        return role in _ROLES[self.audience]


COMMANDS: tuple[Command, ...] = (
    Command("next", "naeste", Audience.BOUND, N_("The next meeting")),
    Command("status", "status", Audience.BOUND, N_("My absences, alerts to answer, meetings I cover")),
    Command("meetings", "moeder", Audience.BOUND, N_("All meetings of the period")),
    Command("absent", "afbud", Audience.MEMBER, N_("Report absence for a meeting")),
    Command("undo", "fortryd", Audience.MEMBER, N_("Withdraw an absence")),
    Command("attendance", "fremmoede", Audience.SECRETARIAT, N_("Attendance and quorum for a meeting (secretariat)")),
    Command("minutes", "referat", Audience.SECRETARIAT, N_("Absences for the minutes (secretariat)")),
    Command("agenda", "dagsorden", Audience.SECRETARIAT, N_("Set a meeting's agenda (secretariat)")),
    Command("meeting", "moede", Audience.SECRETARIAT, N_("Move or cancel a meeting, or add one (secretariat)")),
    Command("invite", "inviter", Audience.SECRETARIAT, N_("Invite links for the roster (secretariat)")),
    Command("calendar", "kalender", Audience.BOUND, N_("The meetings as a calendar file")),
    Command("substitute", "stedfortraeder", Audience.COUNCIL, N_("My substitute, and whom I substitute for")),
    Command("composition", "sammensaetning", Audience.BOUND, N_("The council's composition and quorum")),
    Command("members", "medlemmer", Audience.BOUND, N_("Members by municipality or party")),
    Command("mydata", "mine_data", Audience.BOUND, N_("Everything the bot stores about me, as a file")),
    Command("language", "sprog", Audience.BOUND, N_("Dansk / English")),
    Command("channel", "kanal", Audience.BOUND, N_("Where my notifications go: Telegram, Teams or both")),
    Command("help", "hjaelp", Audience.ANYONE, N_("What I can do")),
    Command("broadcast", "udsend", Audience.SECRETARIAT, N_("Send a message to members or others (secretariat)")),
    Command(
        "broadcasts", "udsendelser", Audience.SECRETARIAT, N_("Recent broadcasts and their delivery (secretariat)")
    ),
    Command("alliance", "valgforbund", Audience.BOUND, N_("Valgforbund for the chair election")),
    Command("chair", "formandsvalg", Audience.BOUND, N_("Election of chair and vice-chair")),
    Command("appointments", "udpegninger", Audience.BOUND, N_("Appointments to regional fora")),
    Command("forum", "forum", Audience.SECRETARIAT, N_("Regional fora: seats, votes, lists (secretariat)")),
    Command("nomination", "indstilling", Audience.SECRETARIAT, N_("Erhvervshus board nominations (secretariat)")),
    Command("departure", "udtraedelse", Audience.SECRETARIAT, N_("A member leaves the KKR (secretariat)")),
    Command("cover", "cover", Audience.COUNCIL, N_("A substitute's answer to an alert"), in_menu=False),
    Command("start", "start", Audience.ANYONE, N_("Start"), in_menu=False),
    Command("seen", "set", Audience.BOUND, N_("Seen: a broadcast's acknowledgement"), in_menu=False),
)

# The main menu: the commands offered as buttons when a person needs a next step, with their labels; each
# person gets those their role can use.
MAIN_BUTTONS: dict[str, str] = {
    "next": N_("Next meeting"),
    "meetings": N_("All meetings"),
    "absent": N_("Report absence"),
    "attendance": N_("Attendance"),
    "substitute": N_("My substitute"),
    "composition": N_("Composition"),
}

BY_NAME = {command.name: command for command in COMMANDS}


def fold_command(text: str) -> str:
    """'/Næste', 'naeste' and 'NAESTE' are one command: Telegram only links commands of a-z, 0-9 and _, so
    the Danish names are spelt with ae/oe/aa, and people type them with æ/ø/å too."""
    text = text.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    return unicodedata.normalize("NFKC", text)


_BY_WORD = {alias: command for command in COMMANDS for alias in (command.name, command.danish)}


def find_command(name: str) -> Command | None:
    return _BY_WORD.get(fold_command(name))


def all_command_names() -> list[str]:
    return sorted(_BY_WORD)


def word(name: str, language: str) -> str:
    """`word("absent", "en")` is "absent", in Danish "afbud": for texts that name a command."""
    return BY_NAME[name].word(language)


def commands_for(role: Role | None) -> list[Command]:
    """The menu commands this role can use, in the table's order."""
    return [command for command in COMMANDS if command.in_menu and command.allows(role)]


def main_commands(role: Role | None) -> list[tuple[Command, str]]:
    """The main-menu commands this role can use, each with its button label (untranslated)."""
    return [(BY_NAME[name], label) for name, label in MAIN_BUTTONS.items() if BY_NAME[name].allows(role)]


# What a channel sends for button data that no button of ours could carry: forged, or from an old version.
INVALID_BUTTON = "__invalid_button__"

# The grammar of a button's action, which the core wrote itself: a known command and at most four short
# ASCII words ("cover 12 yes", "absent 2027-02-12 ok"); a number is at most nine ASCII digits. Anything
# else was not made by us and is never resolved, echoed or handed to a use case.
_ACTION_WORD = re.compile(r"[A-Za-z0-9_.:-]{1,32}")
_MAX_ACTION_WORDS = 5
MAX_NUMBER_DIGITS = 9


def parse_action(data: str) -> tuple[str, tuple[str, ...]]:
    """(command, args) for a button's data, or (INVALID_BUTTON, ()) when it breaks the grammar.

    Blank data means help, as before: some clients send an empty callback for a button without one."""
    if data == "":
        return "help", ()
    words = data.split(" ")
    if (
        len(data.encode()) > CALLBACK_LIMIT_BYTES
        or len(words) > _MAX_ACTION_WORDS
        or not all(_ACTION_WORD.fullmatch(word) for word in words)
        or any(word.isdigit() and len(word) > MAX_NUMBER_DIGITS for word in words)
        or find_command(words[0]) is None
    ):
        return INVALID_BUTTON, ()
    return words[0].lower(), tuple(words[1:])


def is_number(text: str) -> bool:
    """An id as our buttons write it: ASCII digits only ("²" and "١" are digits to Python), and short enough
    for SQLite."""
    return text.isascii() and text.isdigit() and len(text) <= MAX_NUMBER_DIGITS
