"""Thousands of mutated Telegram updates (fields missing, wrong types, huge or odd strings, odd ids), from a seeded
generator, in batches between a bound member's questions from their own chat: every question is answered, the bot
lives on, its health check is green, and nothing the updates carried reaches the log."""

from __future__ import annotations

import asyncio
import copy
import logging
import random
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.storage.health import assess, read_health
from tests.conftest import RunningBot

MEMBER = 3001
BATCHES = 20
PER_BATCH = 100
# Every string the generator makes carries this, so the log can be searched for any of them.
MARK = "FUZZ7q"
ODD_STRINGS = [
    MARK + "x" * 10_000,
    MARK + "\u202e\u2066evil",
    MARK + "\x00\x01\n\r\t",
    MARK + "/start " + "A" * 40,
    MARK + "😀" * 3000,
    MARK,
]


def odd_value(rng: random.Random) -> Any:
    return rng.choice(
        [
            None,
            True,
            0,
            -1,
            2**63,
            10**30,
            1.5,
            float("nan"),
            [],
            [1, 2, 3],
            {},
            {"id": MARK},
            rng.choice(ODD_STRINGS),
            str(rng.randint(1, 10**6)) + MARK,
        ]
    )


def templates(rng: random.Random) -> list[dict[str, Any]]:
    """Well-formed updates of each kind kkrbot reads, from chats other than the member's."""
    user_id = rng.randint(10**6, 10**9)
    user = {"id": user_id, "is_bot": False, "first_name": MARK + "Anna", "language_code": "da"}
    chat = {"id": user_id, "type": "private", "first_name": MARK + "Anna"}
    message = {"message_id": rng.randint(1, 10**6), "from": user, "chat": chat, "date": 1_790_000_000}
    return [
        {"message": {**message, "text": "/naeste " + MARK}},
        {"message": {**message, "text": MARK + " fri tekst"}},
        {"message": {**message, "caption": "/dagsorden " + MARK, "document": {"file_id": MARK, "file_name": MARK}}},
        {"callback_query": {"id": MARK, "from": user, "data": "next", "chat_instance": MARK, "message": message}},
    ]


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += paths(inner, (*prefix, key))
    return found


def mutate(update: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """One to three changes at random places: a field dropped, set to an odd value, or an odd field added."""
    update = copy.deepcopy(update)
    for _ in range(rng.randint(1, 3)):
        if not paths(update):
            break
        path = rng.choice(paths(update))
        parent = update
        for key in path[:-1]:
            parent = parent[key]
        if not isinstance(parent, dict) or path[-1] not in parent:
            continue
        action = rng.random()
        if action < 0.3:
            del parent[path[-1]]
        elif action < 0.9:
            parent[path[-1]] = odd_value(rng)
        else:
            parent[MARK] = odd_value(rng)
    return update


async def test_mutated_updates_between_a_members_questions(
    kkrbot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    rng = random.Random(20)
    await kkrbot.bind(MEMBER, "a-medlem-1")

    slowest = 0.0
    for _batch in range(BATCHES):
        for _ in range(PER_BATCH):
            kkrbot.tg.inject_raw(mutate(rng.choice(templates(rng)), rng))
        t0 = asyncio.get_running_loop().time()
        async with asyncio.timeout(30):  # generous on a loaded machine: answered within seconds when quiet
            answer = await kkrbot.ask(MEMBER, "/naeste")
        assert "12. februar 2027" in (answer.plain_text or "")
        assert not kkrbot._task.done()
        slowest = max(slowest, asyncio.get_running_loop().time() - t0)

    async with kkrbot.conversation.db.read() as conn:
        cursor = await conn.execute("SELECT count(*) FROM inbox WHERE malformed IS NOT NULL")
        row = await cursor.fetchone()
    malformed = row[0] if row else 0
    await asyncio.sleep(1.5)  # the clock's first tick
    now = datetime.now(UTC)
    healthy, line = assess(
        read_health(kkrbot.conversation.db.path, now), now, max_age=120, tick_every=60, polling=True, running=True
    )
    print(
        f"fuzz: {BATCHES * PER_BATCH} mutated updates, {malformed} kept aside as malformed; "
        f"the slowest answer after a batch took {slowest:.2f} s; {line}"
    )
    assert healthy, line
    assert malformed > BATCHES * PER_BATCH // 2
    assert MARK not in caplog.text
