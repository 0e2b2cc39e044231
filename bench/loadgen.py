"""Closed-loop load against a bot that talks to FakeTelegram.

Each simulated user asks, waits for the answer, then asks again - the way people actually use a chat
bot - so the measured latency is what a user feels and throughput is what the bot sustains, without
an open-loop flood that would only measure queueing.  Latency runs from the moment the update is
queued at the fake server to the moment the reply reaches it, so it covers PTB's polling, the
handler and the outgoing HTTP request.  Nothing here asserts on timings; callers print them.
"""

from __future__ import annotations

import asyncio
import math
import statistics
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tests.fake_telegram import FakeTelegram

__all__ = ["LoadResult", "format_result", "percentile", "run_load"]


@dataclass(frozen=True)
class LoadResult:
    """Figures of one run; ``latencies`` are seconds, in question order, answered questions only."""

    questions: int
    answered: int
    users: int
    latencies: tuple[float, ...]
    wall_time: float
    throughput: float
    median: float
    p99: float
    max: float

    @property
    def unanswered(self) -> int:
        return self.questions - self.answered


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile: always an observed value, so p99 of 100 samples is the 99th."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


async def run_load(
    tg: FakeTelegram,
    users: Sequence[int],
    questions: int,
    text_for: Callable[[int, int], str],
    concurrency_per_user: int = 1,
    timeout: float = 120,  # noqa: ASYNC109 - one overall budget in seconds is the natural knob here
    *,
    replies_per_question: int = 1,
) -> LoadResult:
    """Ask ``questions`` questions, round-robin over ``users``, and time each answer.

    ``text_for(user_id, n)`` makes the text of question ``n`` (0-based, global).  Replies are matched
    to questions by order within each chat: the k-th question in a chat is answered by the
    k-th group of ``replies_per_question`` messages sent there after the run started (latency ends
    at the last message of the group).  With ``concurrency_per_user`` > 1 a user has several
    questions in flight; a bot that answers them out of order then gets its latencies attributed
    by arrival order.  Questions still unanswered when ``timeout`` runs out are reported, not
    raised, so a slow bot still yields its partial figures.
    """
    if not users:
        raise ValueError("run_load needs at least one user")
    if concurrency_per_user < 1 or replies_per_question < 1:
        raise ValueError("concurrency_per_user and replies_per_question must be >= 1")
    assignments: dict[int, deque[int]] = {user: deque() for user in users}
    for n in range(questions):
        assignments[users[n % len(users)]].append(n)
    baseline = {user: len(tg.sent_to(user)) for user in users}
    asked = dict.fromkeys(users, 0)
    latencies: dict[int, float] = {}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout

    async def ask(user: int) -> None:
        queue = assignments[user]
        while queue:
            n = queue.popleft()
            sequence = asked[user]
            asked[user] += 1
            sent_at = time.perf_counter()
            update_id = tg.inject_message(user, text_for(user, n))
            needed = baseline[user] + (sequence + 1) * replies_per_question
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            try:
                replies = await tg.wait_for_messages(user, count=needed, timeout=remaining)
            except AssertionError:  # Timed out: leave the question unanswered.
                return
            latencies[n] = replies[needed - 1].received_at - tg.injected_at.get(update_id, sent_at)

    start = time.perf_counter()
    await asyncio.gather(*(ask(user) for user in users for _ in range(concurrency_per_user)))
    wall_time = time.perf_counter() - start

    ordered = tuple(latencies[n] for n in sorted(latencies))
    return LoadResult(
        questions=questions,
        answered=len(ordered),
        users=len(users),
        latencies=ordered,
        wall_time=wall_time,
        throughput=len(ordered) / wall_time if wall_time > 0 else math.nan,
        median=statistics.median(ordered) if ordered else math.nan,
        p99=percentile(ordered, 99),
        max=max(ordered, default=math.nan),
    )


def format_result(name: str, result: LoadResult) -> str:
    line = (
        f"{name}: {result.answered}/{result.questions} answered, {result.users} users, "
        f"wall {result.wall_time:.2f} s, throughput {result.throughput:.1f} answers/s, "
        f"median {result.median * 1000:.2f} ms, p99 {result.p99 * 1000:.2f} ms, "
        f"max {result.max * 1000:.2f} ms"
    )
    if result.unanswered:
        line += f", UNANSWERED {result.unanswered}"
    return line
