"""Updates that arrive together are processed together (bot/channels/telegram.py, `_process_batch`): the updates of
one getUpdates go into one transaction, one commit and one disk sync, each use case a savepoint in it. A use case
that fails is undone alone and its sender gets the apology; the others are answered, each once."""

from __future__ import annotations

import pytest

from bot.core.turn import Turn
from bot.delivery.inbox import MARK_PROCESSED
from tests.conftest import RunningBot

MEMBERS = {2001: "a-medlem-1", 2002: "a-medlem-2", 2003: "a-medlem-3"}
NEXT_MEETING = "12. februar 2027"
APOLOGY = "Beklager"


def transactions(statements: list[str]) -> list[list[str]]:
    """The statements of each committed transaction, in the order they ran."""
    committed: list[list[str]] = []
    current: list[str] | None = None
    for statement in statements:
        word = statement.strip().upper()
        if word.startswith("BEGIN"):
            current = []
        elif word == "COMMIT" and current is not None:
            committed.append(current)
            current = None
        elif current is not None:
            current.append(statement)
    return committed


def processed_in(transaction: list[str]) -> int:
    """How many updates a transaction marked processed (`MARK_PROCESSED`, the replay check of every use case; the
    trace may show a statement more than once)."""
    marking = MARK_PROCESSED.split(" VALUES")[0]
    return len(
        {statement.split("VALUES (")[1].split(",")[1] for statement in transaction if statement.startswith(marking)}
    )


async def everyone_asks_at_once(kkrbot: RunningBot) -> dict[int, str]:
    before = {user: len(kkrbot.tg.sent_to(user)) for user in MEMBERS}
    for user in MEMBERS:  # no await between them: one getUpdates returns all three
        kkrbot.tg.inject_message(user, "/naeste")
    return {user: (await kkrbot.tg.wait_for_messages(user, before[user] + 1))[-1].plain_text or "" for user in MEMBERS}


async def test_three_questions_that_arrive_together_share_one_commit(kkrbot: RunningBot) -> None:
    for user, person in MEMBERS.items():
        await kkrbot.bind(user, person)
    statements: list[str] = []
    await kkrbot.conversation.db.connection.set_trace_callback(statements.append)

    answers = await everyone_asks_at_once(kkrbot)

    assert all(NEXT_MEETING in answer for answer in answers.values())
    assert [processed_in(t) for t in transactions(statements) if processed_in(t)] == [3]


async def test_a_use_case_that_fails_in_a_batch_is_undone_alone_and_its_sender_told(
    kkrbot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    for user, person in MEMBERS.items():
        await kkrbot.bind(user, person)
    conversation = kkrbot.conversation
    dispatch = conversation._dispatch

    async def fails_for_the_second_member(turn: Turn) -> None:
        await dispatch(turn)
        if turn.request.address == "2002":
            raise RuntimeError("a bug in the use case, after it wrote its answer")

    monkeypatch.setattr(conversation, "_dispatch", fails_for_the_second_member)
    answers = await everyone_asks_at_once(kkrbot)
    monkeypatch.undo()
    again = await kkrbot.ask(2002, "/naeste")

    assert NEXT_MEETING in answers[2001]
    assert NEXT_MEETING in answers[2003]
    assert APOLOGY in answers[2002]
    assert NEXT_MEETING in (again.plain_text or "")
    # Each sender got one message for the question: the failed answer was rolled back with its savepoint.
    for user in MEMBERS:
        after_binding = [m.plain_text or "" for m in kkrbot.tg.sent_to(user)][1:]
        assert len(after_binding) == (2 if user == 2002 else 1), after_binding
