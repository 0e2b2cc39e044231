"""Every command the bot knows, in one place: its canonical (English) name, its Danish name, who may use
it, and its menu description. Channels build their menus and routing from this table."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

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
    Command("absent", "afbud", Audience.MEMBER, N_("Report absence for a meeting")),
    Command("undo", "fortryd", Audience.MEMBER, N_("Withdraw an absence")),
    Command("meetings", "moeder", Audience.BOUND, N_("All meetings of the period")),
    Command("calendar", "kalender", Audience.BOUND, N_("The meetings as a calendar file")),
    Command("substitute", "stedfortraeder", Audience.BOUND, N_("My substitute, and whom I substitute for")),
    Command("composition", "sammensaetning", Audience.BOUND, N_("The council's composition and quorum")),
    Command("members", "medlemmer", Audience.BOUND, N_("Members by municipality or party")),
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
