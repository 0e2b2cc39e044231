"""The running bot keeps the roster it loaded until the roster changes, by any process: an answer after
`kkrbot roster import` (another process, another connection) names people as the new roster does."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.storage.db import Database
from bot.storage.roster import all_people, replace_roster
from tests.conftest import RunningBot

SUBSTITUTE = 1005


async def rename(database: Database, person_id: str, name: str) -> None:
    async with database.transaction() as conn:
        people = [p.model_copy(update={"name": name}) if p.id == person_id else p for p in await all_people(conn)]
        await replace_roster(conn, people, datetime.now(UTC))


async def test_an_answer_after_a_roster_import_beside_the_running_bot_uses_the_new_roster(kkrbot: RunningBot) -> None:
    await kkrbot.bind(SUBSTITUTE, "a-stedfortraeder-1")
    before = await kkrbot.ask(SUBSTITUTE, "/stedfortraeder")
    assert "Du er stedfortræder for" in (before.plain_text or "")

    # As `kkrbot roster import` does it: its own process, its own connection to the database file.
    other = await Database.open(kkrbot.settings.database)
    try:
        await rename(other, "a-medlem-1", "Ny Navnesen")
    finally:
        await other.close()
    after = await kkrbot.ask(SUBSTITUTE, "/stedfortraeder")

    assert "Du er stedfortræder for Ny Navnesen" in (after.plain_text or "")


async def test_an_answer_after_a_roster_change_by_the_bots_own_connection_uses_the_new_roster(
    kkrbot: RunningBot,
) -> None:
    await kkrbot.bind(SUBSTITUTE, "a-stedfortraeder-1")
    await kkrbot.ask(SUBSTITUTE, "/stedfortraeder")

    await rename(kkrbot.conversation.db, "a-medlem-1", "Anden Navnesen")
    after = await kkrbot.ask(SUBSTITUTE, "/stedfortraeder")

    assert "Du er stedfortræder for Anden Navnesen" in (after.plain_text or "")
