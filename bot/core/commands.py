"""Every command the bot knows, in one place: its canonical (English) name, its Danish name, who may use
it, and its menu description. Channels build their menus and routing from this table."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.delivery.message import CALLBACK_LIMIT_BYTES
from bot.i18n import N_


class Audience(StrEnum):
    ANYONE = "anyone"  # also unbound accounts
    BOUND = "bound"  # any roster person bound to the account
    MEMBER = "member"  # members of the KKR only (not substitutes, not the secretariat)
    SECRETARIAT = "secretariat"


@dataclass(frozen=True)
class Command:
    name: str
    danish: str
    audience: Audience
    description: str
    in_menu: bool = True


COMMANDS: tuple[Command, ...] = (
    Command("next", "naeste", Audience.BOUND, N_("The next meeting")),
    Command("status", "status", Audience.BOUND, N_("My absences, alerts to answer, meetings I cover")),
    Command("absent", "afbud", Audience.MEMBER, N_("Report absence for a meeting")),
    Command("undo", "fortryd", Audience.MEMBER, N_("Withdraw an absence")),
    Command("meetings", "moeder", Audience.BOUND, N_("All meetings of the period")),
    Command("calendar", "kalender", Audience.BOUND, N_("The meetings as a calendar file")),
    Command("substitute", "stedfortraeder", Audience.BOUND, N_("My substitute, and whom I substitute for")),
    Command("composition", "sammensaetning", Audience.BOUND, N_("The council's composition and quorum")),
    Command("members", "medlemmer", Audience.BOUND, N_("Members by municipality or party")),
    Command("mydata", "mine_data", Audience.BOUND, N_("Everything the bot stores about me, as a file")),
    Command("language", "sprog", Audience.BOUND, N_("Dansk / English")),
    Command("channel", "kanal", Audience.BOUND, N_("Where my notifications go: Telegram, Teams or both")),
    Command("help", "hjaelp", Audience.ANYONE, N_("What I can do")),
    Command("agenda", "dagsorden", Audience.SECRETARIAT, N_("Set a meeting's agenda (secretariat)")),
    Command("attendance", "fremmoede", Audience.SECRETARIAT, N_("Attendance and quorum for a meeting (secretariat)")),
    Command("minutes", "referat", Audience.SECRETARIAT, N_("Absences for the minutes (secretariat)")),
    Command("broadcast", "udsend", Audience.SECRETARIAT, N_("Send a message to members or others (secretariat)")),
    Command(
        "broadcasts", "udsendelser", Audience.SECRETARIAT, N_("Recent broadcasts and their delivery (secretariat)")
    ),
    Command("invite", "inviter", Audience.SECRETARIAT, N_("Invite links for the roster (secretariat)")),
    Command("cover", "cover", Audience.BOUND, N_("A substitute's answer to an alert"), in_menu=False),
    Command("start", "start", Audience.ANYONE, N_("Start"), in_menu=False),
    Command("seen", "set", Audience.BOUND, N_("Seen: a broadcast's acknowledgement"), in_menu=False),
)

_BY_NAME = {alias: command for command in COMMANDS for alias in (command.name, command.danish)}


def find_command(name: str) -> Command | None:
    return _BY_NAME.get(name.lower())


def all_command_names() -> list[str]:
    return sorted(_BY_NAME)


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
