"""A typed "ja", "nej", "yes" or "no" (issue 23): people answer a yes/no question in words as often as with its
buttons. The answer goes to the yes/no question sent to that chat in the last 15 minutes, as if its button had
been pressed; when several such questions are open, the bot asks which, with their buttons.

A question is a message whose buttons are one yes and one no (report absence: ok/no; an alert: yes/no; a
preview: send/cancel). Its use case decides, as for a press, whether the question is still open: a settled
one says so, and nothing happens twice.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

import aiosqlite

from bot.core.turn import Turn
from bot.delivery.message import Button, Message
from bot.storage.db import rows, utc_text

YES = frozenset({"ja", "j", "yes", "y"})
NO = frozenset({"nej", "n", "no"})
WINDOW = timedelta(minutes=15)
# A preview's "Send to N" and "Cancel" (a broadcast, a meeting change) are its yes and no.
SEND = ("broadcast send ", "meeting send ")
DROP = ("broadcast cancel ", "meeting drop ")


def yes_no(message: Message) -> tuple[Button, Button] | None:
    """The question's yes and no buttons, if it is a yes/no question."""
    buttons = [b for row in message.buttons for b in row]
    yes = [b for b in buttons if b.action.endswith((" ok", " yes")) or b.action.startswith(SEND)]
    no = [b for b in buttons if b.action.endswith(" no") or b.action.startswith(DROP)]
    if len(buttons) == 2 and len(yes) == 1 and len(no) == 1:
        return yes[0], no[0]
    return None


# Through the index outbox_recipient (migration 28): the outbox's rows are never deleted, so a read of the whole
# channel's grows for ever (5-7 ms of CPU with 20,000 rows, 52-53 ms with 200,000: bench.outbox_reads).
SENT_TO_CHAT_SINCE = "SELECT payload FROM outbox WHERE channel = ? AND address = ? AND created_at >= ? ORDER BY id DESC"


async def open_questions(turn: Turn) -> list[tuple[Button, Button]]:
    """The yes/no questions sent to this chat within the window, newest first, each once."""
    found = await rows(
        turn.conn, SENT_TO_CHAT_SINCE, (turn.request.channel, turn.request.address, utc_text(turn.now - WINDOW))
    )
    questions: list[tuple[Button, Button]] = []
    for (payload,) in found:
        try:
            message = Message.from_payload(json.loads(payload))
        except (ValueError, KeyError, TypeError):
            continue  # a payload emptied by retention, or not a message
        pair = yes_no(message)
        person = turn.person.id if turn.person else ""
        if pair is not None and pair not in questions and await is_open(turn.conn, person, pair[0].action.split()):
            questions.append(pair)
    return questions


# Whether a question is still open, by its yes button's action: the same records its use case checks.
_SETTLED = {
    "absent": "SELECT 1 FROM absences WHERE meeting_id = ? AND member_id = ? AND withdrawn_at IS NULL",
    "cover": "SELECT 1 FROM absences WHERE id = ? AND (answer IS NOT NULL OR withdrawn_at IS NOT NULL)",
    "broadcast": "SELECT 1 FROM broadcasts WHERE id = ? AND (sent_at IS NOT NULL OR cancelled_at IS NOT NULL)",
    "meeting": "SELECT 1 FROM meeting_change_drafts WHERE id = ? AND settled_at IS NOT NULL",
}


async def is_open(conn: aiosqlite.Connection, person_id: str, action: Sequence[str]) -> bool:
    """A question nobody has settled yet (an absence not yet reported, an alert not answered, a preview neither
    sent nor cancelled), asked by `person_id`; one of another kind counts as open, and its use case says if it is
    not. The console holds an alert's answers open by it too."""
    command = action[0]
    if command not in _SETTLED or len(action) < 2:
        return True
    key = action[1] if command in ("absent", "cover") else action[2] if len(action) > 2 else ""
    params: tuple[object, ...] = (key, person_id) if command == "absent" else (key,)
    return not await rows(conn, _SETTLED[command], params)


async def answered(turn: Turn, dispatch: Callable[[Turn], Awaitable[None]]) -> bool:
    """Whether the free text was a yes/no answer, now handled (answered, or asked which); False otherwise."""
    word = turn.request.text.strip().lower().rstrip(".!")
    if word not in YES | NO:
        return False
    questions = await open_questions(turn)
    if not questions:
        return False
    if len(questions) > 1:
        _ = turn._
        turn.reply(_("Which question do you answer? Choose below."), buttons=[list(pair) for pair in questions])
        return True
    yes, no = questions[0]
    command, *args = (yes if word in YES else no).action.split()
    turn.request = turn.request.model_copy(update={"command": command, "args": tuple(args), "text": " ".join(args)})
    await dispatch(turn)
    return True
