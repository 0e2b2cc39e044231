"""Pacing: how fast the outbox may send, so it stays inside a channel's flood limits without being told by
429s.

Telegram's limits for a bot (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this):
about 30 messages a second in all, about one a second in one chat ("short bursts" are tolerated), and 20 a
minute in one group chat. The outbox asks the pacer, before every send, when that recipient may be sent to
next; the pacer answers from what was sent, and a 429 pauses everything for its `retry_after`.

Why not python-telegram-bot's `AIORateLimiter`: its overall limiter (aiolimiter's leaky bucket) lets a burst
of `max_rate` through on top of the rate, so one second can see about twice the limit; it has no limit per
private chat; and requests waiting in it keep their arrival order, so a bulk message that entered it first
goes before an answer the outbox chose to send first. With several sends in flight the outbox must choose
who goes next, and only the outbox knows the lanes and the recipients: so it paces, and PTB only sends.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

# Sends are spread evenly, 1/rate apart plus this much per second: the server counts when requests *arrive*, in any
# sliding second, and network and event-loop jitter can bring two closer than they left: a send held up on its way
# (the sender's or the server's process not scheduled for a moment, on a busy machine) shortens the span of the 31
# sends around it. 6 % is 60 ms a second: 31 sends take at least 1.051 s with the catch-up below (28.3 a second). 2 %
# (15 ms) met a 429 in 3 of 6 realistic runs on a loaded machine (issue 20); `bench.bench_flood` runs ten.
JITTER_GUARD = 0.06
# A send may leave this share of the spacing early when the one before it left late (the event loop was busy when
# its time came): spaced from the moment each actually left, every late wake-up was lost for good, a few
# milliseconds a send, 30 times a second. Bounded, so the catch-up takes 9 ms of the jitter guard's 60, and 51 ms
# are left for sends that arrive closer than they left (with a guard of 20 ms, a quarter met a 429 on a loaded
# machine, and 0.15 was used until issue 20).
LATE_CATCH_UP = 0.25


@dataclass(frozen=True)
class Limits:
    """A channel's flood limits. 0 switches a limit off."""

    per_second: float = 0.0
    chat_per_second: float = 0.0
    chat_burst: int = 1
    group_per_minute: int = 0

    @classmethod
    def telegram(cls, per_second: float) -> Limits:
        """Telegram's limits; `per_second` 0 means a Bot API server without limits (a test server)."""
        if not per_second:
            return cls()
        return cls(per_second=per_second, chat_per_second=1.0, chat_burst=3, group_per_minute=20)


def is_group(address: str) -> bool:
    """Telegram's group and channel chats have negative ids; people's private chats positive ones."""
    return address.startswith("-")


class Pacer:
    """Decides when the next message to a recipient may leave. Time is `clock()` seconds (monotonic)."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self._interval = (1.0 + JITTER_GUARD) / limits.per_second if limits.per_second else 0.0
        # When the next send is due on the even schedule; it may leave up to `_catch_up` before (see LATE_CATCH_UP).
        self._next_due = -float("inf")
        self._catch_up = self._interval * LATE_CATCH_UP
        self._paused_until = -float("inf")
        # When the last `per_second` sends left: the next may not leave within a guarded second of the first of them.
        # The catch-up lets single sends leave early; this keeps any run of them from squeezing more than the limit
        # into one second (Telegram counts arrivals over a sliding second; issue 20's tenth realistic run met one 429
        # without it).
        whole = int(limits.per_second)
        self._window: deque[float] | None = deque(maxlen=whole) if whole >= 1 else None
        # Per chat: a token bucket (tokens, when last filled); per group: when its last sends left.
        self._chats: dict[str, tuple[float, float]] = {}
        self._groups: dict[str, deque[float]] = {}

    def overall_ready_at(self) -> float:
        ready = max(self._next_due - self._catch_up, self._paused_until)
        if self._window is not None and len(self._window) == self._window.maxlen:
            ready = max(ready, self._window[0] + 1.0 + JITTER_GUARD)
        return ready

    def chat_ready_at(self, address: str) -> float:
        limits, now = self.limits, self.clock()
        ready = -float("inf")
        if limits.chat_per_second and address in self._chats:
            tokens, since = self._chats[address]
            tokens = min(float(limits.chat_burst), tokens + (now - since) * limits.chat_per_second)
            if tokens < 1.0:
                ready = now + (1.0 - tokens) / limits.chat_per_second
        if limits.group_per_minute and is_group(address):
            sent = self._groups.get(address, deque())
            if len(sent) >= limits.group_per_minute:
                ready = max(ready, sent[0] + 60.0 * (1.0 + JITTER_GUARD))
        return ready

    def ready_at(self, address: str) -> float:
        """The earliest moment a message to `address` may leave (in the past if it may now)."""
        return max(self.overall_ready_at(), self.chat_ready_at(address))

    def take(self, address: str) -> None:
        """Records a send to `address`, now."""
        limits, now = self.limits, self.clock()
        self._next_due = max(self._next_due, now) + self._interval
        if self._window is not None:
            self._window.append(now)
        if limits.chat_per_second:
            tokens, since = self._chats.get(address, (float(limits.chat_burst), now))
            tokens = min(float(limits.chat_burst), tokens + (now - since) * limits.chat_per_second)
            self._chats[address] = (tokens - 1.0, now)
            if len(self._chats) > 4096:
                self._forget_rested(now)
        if limits.group_per_minute and is_group(address):
            sent = self._groups.setdefault(address, deque())
            sent.append(now)
            while len(sent) > limits.group_per_minute:
                sent.popleft()

    def pause(self, seconds: float) -> None:
        """Nothing leaves for `seconds` (a 429's retry_after, or a backoff after network trouble)."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    def _forget_rested(self, now: float) -> None:
        """A chat whose bucket has filled up again is as good as new: forget it, so memory stays small."""
        full = self.limits.chat_burst / self.limits.chat_per_second
        self._chats = {address: state for address, state in self._chats.items() if now - state[1] < full}
