"""Help, the language choice, and answers for what the bot does not understand."""

from __future__ import annotations

from bot.config import LANGUAGES
from bot.core.commands import COMMANDS, Audience
from bot.core.turn import Turn, quoted
from bot.delivery.message import Button


def main_menu(turn: Turn) -> list[list[Button]]:
    _ = turn._
    return [
        [turn.button(_("Next meeting"), "next"), turn.button(_("All meetings"), "meetings")],
        [turn.button(_("My substitute"), "substitute"), turn.button(_("Composition"), "composition")],
    ]


async def help_case(turn: Turn) -> None:
    _ = turn._
    lines = []
    for command in COMMANDS:
        if not command.in_menu:
            continue
        if command.audience is Audience.SECRETARIAT and not turn.is_secretariat:
            continue
        name = command.danish if _.language == "da" else command.name
        lines.append(f"/{name} – {_(command.description)}")
    lines.append("")
    lines.append(_("Commands work in Danish and English, for example /naeste or /next."))
    turn.reply("\n".join(lines), title=_("What I can do"), buttons=main_menu(turn))


async def language_case(turn: Turn) -> None:
    _ = turn._
    assert turn.person is not None
    choice = turn.args[0].lower() if turn.args else ""
    if choice not in LANGUAGES:
        prompt = _("Choose your language.") if not choice else _("I only speak Danish (da) and English (en).")
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


async def unknown_command_case(turn: Turn) -> None:
    _ = turn._
    turn.reply(
        _("I do not know the command /{command}. Here is what I can do:", command=quoted(turn.request.command)),
        buttons=[[turn.button(_("Help"), "help")]],
    )


async def free_text_case(turn: Turn) -> None:
    _ = turn._
    turn.reply(
        _("I understand commands such as /naeste (next meeting). Choose below or write /hjaelp."),
        buttons=main_menu(turn),
    )


async def invalid_button_case(turn: Turn) -> None:
    """A button whose data we could not have made: said briefly, and never repeated back."""
    _ = turn._
    turn.reply(_("This button is no longer valid. Choose below or write /hjaelp."), buttons=main_menu(turn))


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
