"""The running bot keeps the roster it loaded until the roster changes, by any process: an answer after
`kkrbot roster import` (another process, another connection) names people as the new roster does."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.turn import Turn
from bot.storage.db import Database
from bot.storage.roster import Person, Role, Roster, all_people, replace_roster
from tests.conftest import RunningBot

SUBSTITUTE = 1005


async def change_person(database: Database, person_id: str, **changes: object) -> None:
    async with database.transaction() as conn:
        people = [p.model_copy(update=changes) if p.id == person_id else p for p in await all_people(conn)]
        await replace_roster(conn, people, datetime.now(UTC))


async def import_beside_the_bot(kkrbot: RunningBot, person_id: str, **changes: object) -> None:
    """As `kkrbot roster import` does it: its own process, its own connection to the database file."""
    other = await Database.open(kkrbot.settings.database)
    try:
        await change_person(other, person_id, **changes)
    finally:
        await other.close()


@pytest.mark.parametrize(
    ("person_id", "changes", "answer"),
    [
        # The member the substitute stands in for, renamed: the answer names them as the new roster does.
        ("a-medlem-1", {"name": "Ny Navnesen"}, "Du er stedfortræder for Ny Navnesen"),
        # The asker's own language: the asker is who the roster of the version read with them says (find_asker).
        ("a-stedfortraeder-1", {"language": "en"}, "You substitute for"),
    ],
    ids=["a person the answer names", "the asker"],
)
async def test_an_answer_after_a_roster_import_beside_the_running_bot_uses_the_new_roster(
    kkrbot: RunningBot, person_id: str, changes: dict[str, object], answer: str
) -> None:
    await kkrbot.bind(SUBSTITUTE, "a-stedfortraeder-1")
    before = await kkrbot.ask(SUBSTITUTE, "/stedfortraeder")
    assert "Du er stedfortræder for" in (before.plain_text or "")

    await import_beside_the_bot(kkrbot, person_id, **changes)
    after = await kkrbot.ask(SUBSTITUTE, "/stedfortraeder")

    assert answer in (after.plain_text or "")


async def test_an_answer_after_a_roster_change_by_the_bots_own_connection_uses_the_new_roster(
    kkrbot: RunningBot,
) -> None:
    await kkrbot.bind(SUBSTITUTE, "a-stedfortraeder-1")
    await kkrbot.ask(SUBSTITUTE, "/stedfortraeder")

    await change_person(kkrbot.conversation.db, "a-medlem-1", name="Anden Navnesen")
    after = await kkrbot.ask(SUBSTITUTE, "/stedfortraeder")

    assert "Du er stedfortræder for Anden Navnesen" in (after.plain_text or "")


async def test_a_roster_change_rolled_back_with_a_failed_answer_is_not_kept(
    kkrbot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A use case that changed `persons` and then failed is rolled back; the roster it read after its change was
    counted under a version the next real change counts again, so it must not be kept."""
    await kkrbot.bind(SUBSTITUTE, "a-stedfortraeder-1")
    conversation = kkrbot.conversation

    async def changes_the_roster_then_fails(turn: Turn) -> None:
        await turn.conn.execute("UPDATE persons SET name = 'Forkastet Navn' WHERE id = 'a-medlem-1'")
        await conversation.roster(turn.conn)  # read after the change, under the version it counted up to
        raise RuntimeError("the use case failed after its change")

    with monkeypatch.context() as patch:
        patch.setattr(conversation, "_dispatch", changes_the_roster_then_fails)
        await kkrbot.ask(SUBSTITUTE, "/stedfortraeder")  # the bot apologises; nothing of the turn is kept

    await change_person(conversation.db, "a-medlem-1", name="Rigtig Navnesen")  # counts the same version up again
    after = await kkrbot.ask(SUBSTITUTE, "/stedfortraeder")

    assert "Du er stedfortræder for Rigtig Navnesen" in (after.plain_text or "")


def test_a_snapshot_finds_its_members_and_secretariat_once() -> None:
    """Every answer asks whether its asker sits in the council (period.member_at); going through everyone each time
    cost 1 ms per /naeste with 5,000 people (bench.bench_scale). A snapshot never changes, so once is enough."""
    people = [Person(id=f"m{n}", name=f"Member {n}", role=Role.MEMBER) for n in range(3)]
    people.append(Person(id="s1", name="Secretary", role=Role.SECRETARIAT))
    roster = Roster(people)
    assert [p.id for p in roster.members] == ["m0", "m1", "m2"]
    assert [p.id for p in roster.secretariat] == ["s1"]
    assert roster.members is roster.members
    assert roster.secretariat is roster.secretariat
