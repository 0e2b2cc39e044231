"""/kanal: a person bound on more than one channel chooses where notifications (alerts, reminders, broadcasts)
go: every bound channel (the default) or one of them. Answers always go where the question was asked. With e-mail
on, the roster's address counts as a channel a bound person may choose (`/kanal email`)."""

from __future__ import annotations

from bot.core.turn import Turn
from bot.core.usecases.general import main_menu
from bot.i18n import Translator
from bot.storage.accounts import EMAIL, accounts_of, email_address
from bot.storage.db import first_row

ALL = ("all", "alle")
NAMES = {"telegram": "Telegram", "teams": "Microsoft Teams", "console": "Console", EMAIL: "e-mail"}
# What people write for e-mail.
EMAIL_WORDS = ("e-mail", "mail", "email")


def _label(channel: str) -> str:
    return NAMES.get(channel, channel)


def _everywhere(_: Translator) -> str:
    return _("every channel you are connected on")


async def channel_case(turn: Turn) -> None:
    _ = turn._
    assert turn.person is not None
    bound = sorted({channel for channel, _address in await accounts_of(turn.conn, turn.person.id)})
    if bound and turn.settings.email_enabled and await email_address(turn.conn, turn.person.id):
        bound.append(EMAIL)
    choice = turn.args[0].lower() if turn.args else ""
    choice = EMAIL if choice in EMAIL_WORDS else choice
    if choice in bound or (choice in ALL and bound):
        if choice in ALL:
            await turn.conn.execute("DELETE FROM channel_choices WHERE person_id = ?", (turn.person.id,))
        else:
            await turn.conn.execute(
                "INSERT INTO channel_choices (person_id, channel) VALUES (?, ?) "
                "ON CONFLICT (person_id) DO UPDATE SET channel = excluded.channel",
                (turn.person.id, choice),
            )
        where = _everywhere(_) if choice in ALL else _label(choice)
        turn.reply(_("From now on your notifications go to {where}.", where=where), buttons=main_menu(turn))
        return
    row = await first_row(turn.conn, "SELECT channel FROM channel_choices WHERE person_id = ?", (turn.person.id,))
    current = _label(row[0]) if row is not None and row[0] in bound else _everywhere(_)
    text = _("Your notifications go to {where}.", where=current)
    if choice in NAMES:
        text = _("You are not connected on {channel}.", channel=_label(choice)) + " " + text
    elif choice:
        text = _("I do not know the channel “{word}”.", word=turn.args[0]) + " " + text
    if len(bound) < 2:
        turn.reply(
            text + " " + _("You are connected on one channel only; ask the secretariat for an invite to add another."),
            buttons=main_menu(turn),
        )
        return
    turn.reply(
        text + " " + _("Choose where they should go:"),
        buttons=[
            [turn.button(_label(channel), f"channel {channel}") for channel in bound]
            + [turn.button(_("Everywhere"), "channel all")]
        ],
    )
