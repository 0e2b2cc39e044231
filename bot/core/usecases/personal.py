"""`/mine_data` (`/mydata`): a person gets, as a file, everything the bot stores about them."""

from __future__ import annotations

import json

from bot.core.turn import Turn
from bot.delivery.message import Document
from bot.storage.db import utc_text
from bot.storage.personal_data import personal_data


async def my_data_case(turn: Turn) -> None:
    _ = turn._
    assert turn.person is not None
    document = {
        "person_id": turn.person.id,
        "made_at": utc_text(turn.now),
        "about": _(
            "Everything the bot stores about you, table by table (times in UTC). Secrets such as invite "
            "links are not included."
        ),
        "tables": await personal_data(turn.conn, turn.person.id),
    }
    turn.reply(
        _(
            "Here is everything the bot stores about you, as a file: your roster entry, chat accounts, language, "
            "absences and answers, and the messages it sent you. If you leave the council, your absences are "
            "kept for the minutes of the meetings concerned; your chat accounts and invites are deleted."
        ),
        title=_("Your data"),
        document=Document(
            filename=f"kkrbot-{turn.person.id}.json",
            content=json.dumps(document, ensure_ascii=False, indent=2).encode(),
            mime_type="application/json",
        ),
    )
