"""Help, the language choice, and answers for what the bot does not understand: each offers the next step
as buttons, chosen from the commands the person can use (bot/core/commands.py)."""

from __future__ import annotations

import difflib

from bot.config import LANGUAGES, Language
from bot.core.commands import Audience, Command, commands_for, fold_command, main_commands
from bot.core.turn import Turn, quoted
from bot.delivery.message import Button

# What people write for a language: /sprog dansk, /language english, /sprog engelsk.
LANGUAGE_WORDS: dict[str, Language] = {
    "da": "da",
    "dansk": "da",
    "danish": "da",
    "en": "en",
    "english": "en",
    "engelsk": "en",
}


def main_menu(turn: Turn) -> list[list[Button]]:
    """The main commands this person can use, two buttons a row; "Report absence" only while they have a meeting
    to report absence for (`Turn.absence_open`)."""
    _ = turn._
    role = turn.person.role if turn.person else None
    buttons = [
        turn.button(_(label), command.name)
        for command, label in main_commands(role)
        if command.name != "absent" or turn.absence_open
    ]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


# The secretariat's /hjaelp by task (issue 23): the meetings, what it sends, attendance and minutes, the people,
# elections, and last the person's own settings; a command not named here comes after, in its own order.
SECRETARIAT_HELP_ORDER = (
    "next", "meetings", "calendar", "agenda", "meeting", "broadcast", "broadcasts", "attendance", "minutes",
    "invite", "members", "composition", "departure", "alliance", "chair", "appointments", "forum", "nomination",
    "status", "mydata", "language", "channel", "help",
)  # fmt: skip


def help_order(commands: list[Command], is_secretariat: bool) -> list[Command]:
    if not is_secretariat:
        return commands
    rank = {name: index for index, name in enumerate(SECRETARIAT_HELP_ORDER)}
    return sorted(commands, key=lambda command: rank.get(command.name, len(rank)))


def _help_note(turn: Turn, command: Command) -> str:
    """What keeps a command from doing what its line promises now: /afbud while no meeting takes an absence (the
    main menu then leaves its button out; /afbud itself says why)."""
    if command.name == "absent" and not turn.absence_open:
        return " " + turn._("(no meeting to report absence for now)")
    return ""


async def help_case(turn: Turn) -> None:
    _ = turn._
    role = turn.person.role if turn.person else None
    commands = help_order(list(commands_for(role)), turn.is_secretariat)
    lines = [
        f"{turn.command(command.name)} – {_(command.description)}{_help_note(turn, command)}" for command in commands
    ]
    lines.append("")
    lines.append(_("You can also write the commands in the other language (Danish or English)."))
    turn.reply("\n".join(lines), title=_("What I can do"), buttons=main_menu(turn))


async def language_case(turn: Turn) -> None:
    _ = turn._
    assert turn.person is not None
    said = turn.args[0].lower() if turn.args else ""
    choice = LANGUAGE_WORDS.get(said)
    if choice not in LANGUAGES:
        prompt = _("Choose your language.") if not said else _("I only speak Danish (da) and English (en).")
        turn.reply(
            prompt,
            buttons=[[Button(label="Dansk", action="language da"), Button(label="English", action="language en")]],
        )
        return
    await turn.conn.execute(
        "INSERT INTO language_choices (person_id, language) VALUES (?, ?) "
        "ON CONFLICT (person_id) DO UPDATE SET language = excluded.language",
        (turn.person.id, choice),
    )
    turn._ = await turn.conversation.translator_for(turn.conn, turn.person.id)
    turn.reply(turn._("I will write to you in English from now on."), buttons=main_menu(turn))


def meant_command(turn: Turn) -> Command | None:
    """The command a mistyped one most likely meant (/my_data for /mydata, /afbu for /afbud), among those this
    person may use, in either language; None when nothing is close."""
    allowed = commands_for(turn.person.role if turn.person else None)
    by_word = {word: c for c in allowed for word in (c.name, c.danish)}
    close = difflib.get_close_matches(fold_command(turn.request.command), list(by_word), n=1, cutoff=0.75)
    return by_word[close[0]] if close else None


async def unknown_command_case(turn: Turn) -> None:
    _ = turn._
    if (meant := meant_command(turn)) is not None:
        written = turn.command(meant.name)
        turn.reply(
            _("I do not know the command /{command}. Did you mean {meant}?", command=quoted(turn.request.command),
              meant=written),
            buttons=[[turn.button(written, meant.name)], *main_menu(turn)],
        )  # fmt: skip
        return
    turn.reply(
        _(
            "I do not know the command /{command}. Choose below, or write {help} for all I can do.",
            command=quoted(turn.request.command),
            help=turn.command("help"),
        ),
        buttons=main_menu(turn),
    )


async def free_text_case(turn: Turn) -> None:
    _ = turn._
    turn.reply(
        _(
            "I understand commands such as {next} (next meeting). Choose below or write {help}.",
            next=turn.command("next"),
            help=turn.command("help"),
        ),
        buttons=main_menu(turn),
    )


async def invalid_button_case(turn: Turn) -> None:
    """A button whose data we could not have made: said briefly, and never repeated back."""
    _ = turn._
    turn.reply(
        _("This button is no longer valid. Choose below or write {help}.", help=turn.command("help")),
        buttons=main_menu(turn),
    )


async def too_long_case(turn: Turn, limit: int) -> None:
    _ = turn._
    turn.reply(
        _(
            "That is too long for me: I read at most {limit} characters here. Please write it shorter, "
            "or choose below.",
            limit=limit,
        ),
        buttons=main_menu(turn) if turn.person else (),
    )


async def refuse(turn: Turn, command: Command) -> None:
    """Someone used a command their role cannot: say who can, and offer what they can do instead."""
    _ = turn._
    if command.audience is Audience.SECRETARIAT:
        text = _("Only the KKR secretariat can do that.")
    elif command.audience is Audience.COUNCIL:
        text = _(
            "Only members and substitutes have a substitute. {members} shows every member's substitute.",
            members=turn.command("members"),
        )
    elif turn.is_secretariat:
        text = _("Only members of the KKR can do that.")
    else:
        text = _("Only members of the KKR can do that; substitutes are alerted when their member reports absence.")
    turn.reply(text, buttons=main_menu(turn))
