"""Pacing: how fast the outbox may send, so it stays inside a channel's flood limits without being told by
429s.

Telegram's limits for a bot (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this):
about 30 messages a second in all, about one a second in one chat ("short bursts" are tolerated), and 20 a
minute in one group chat. The outbox asks the pacer, before every send, when that recipient may be sent to
next; the pacer answers from what was sent and when it was answered, and a 429 pauses everything for its
`retry_after`.

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

# Telegram counts a message when it *arrives*, over any sliding second, and a request arrives somewhere between the
# moment the pacer let it go and the moment its answer came back: the event loop may be busy before the request is
# written (issue 20 measured up to 67 ms between the pacer letting a send go and httpx writing it, on a busy machine,
# while sends let go after it were written at once), and the server may be busy before it reads it. Spaced by when
# they left, sends need a margin against that, and a margin can be overrun (6 % a second met a 429 in 2 of 30
# realistic runs). Counted from the answer, the limit holds by construction: send k+30 leaves no earlier than a second
# after send k was answered, so it arrives more than a second after send k did, however late either was on its way;
# sends leave in order, so any 31 arrivals span more than a second. (A failure counts as the answer: only a server
# that read a request after the client had given up on it, 30 s on, could count it later.)
# It costs a round trip a second: 30 sends in 1 s + the round trip, 28.5 a second at 50 ms.
#
# A send unanswered after this long no longer holds the others back, so one that never reports back (a bug) cannot
# stop the channel; the Telegram channel's own timeouts (connect 5 s, write and read 30 s) give up well before.
UNANSWERED_SECONDS = 120.0
# A send may leave this share of the even spacing early when the one before it left late (the event loop was busy
# when its time came): spaced from the moment each actually left, every late wake-up was lost for good. The window
# above keeps any 31 apart, so the catch-up cannot pass the limit.
LATE_CATCH_UP = 0.25


@dataclass
class Send:
    """One send the pacer let go: when it left, and when its answer (or failure) came back; None while in flight."""

    left: float
    answered: float | None = None

    def done_by(self) -> float:
        """When its request had arrived, if it ever did: its answer, or, while unanswered, a bound on waiting."""
        return self.answered if self.answered is not None else self.left + UNANSWERED_SECONDS


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
    """Decides when the next message to a recipient may leave. Time is `clock()` seconds (monotonic).

    `take` records a send as it leaves and returns it; the outbox reports its answer with `answered`. Per chat the
    bound holds by construction too, given that the outbox sends one message to a recipient at a time (the next
    leaves after the previous was answered): any run of sends to one chat fits a bucket of `chat_burst` + 1 counted
    at arrival (Telegram tolerates bursts; the fake Bot API allows 5, the pacer uses 3)."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self._interval = 1.0 / limits.per_second if limits.per_second else 0.0
        # When the next send is due on the even schedule; it may leave up to `_catch_up` before (see LATE_CATCH_UP).
        self._next_due = -float("inf")
        self._catch_up = self._interval * LATE_CATCH_UP
        self._paused_until = -float("inf")
        # The last `per_second` sends: the next leaves at least a second after the first of them was answered.
        whole = int(limits.per_second)
        self._window: deque[Send] | None = deque(maxlen=whole) if whole >= 1 else None
        # Per chat: a token bucket (tokens, when last filled); per group: its last sends.
        self._chats: dict[str, tuple[float, float]] = {}
        self._groups: dict[str, deque[Send]] = {}

    def overall_ready_at(self) -> float:
        ready = max(self._next_due - self._catch_up, self._paused_until)
        if self._window is not None and len(self._window) == self._window.maxlen:
            ready = max(ready, self._window[0].done_by() + 1.0)
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
                ready = max(ready, sent[0].done_by() + 60.0)
        return ready

    def ready_at(self, address: str) -> float:
        """The earliest moment a message to `address` may leave (in the past if it may now)."""
        return max(self.overall_ready_at(), self.chat_ready_at(address))

    def take(self, address: str) -> Send:
        """Records a send to `address`, leaving now; report its answer with `answered`."""
        limits, now = self.limits, self.clock()
        send = Send(now)
        self._next_due = max(self._next_due, now) + self._interval
        if self._window is not None:
            self._window.append(send)
        if limits.chat_per_second:
            tokens, since = self._chats.get(address, (float(limits.chat_burst), now))
            tokens = min(float(limits.chat_burst), tokens + (now - since) * limits.chat_per_second)
            self._chats[address] = (tokens - 1.0, now)
            if len(self._chats) > 4096:
                self._forget_rested(now)
        if limits.group_per_minute and is_group(address):
            sent = self._groups.setdefault(address, deque())
            sent.append(send)
            while len(sent) > limits.group_per_minute:
                sent.popleft()
        return send

    def answered(self, send: Send) -> None:
        """The answer to `send` came back (or it failed): its request can no longer arrive after now."""
        if send.answered is None:
            send.answered = self.clock()

    def pause(self, seconds: float) -> None:
        """Nothing leaves for `seconds` (a 429's retry_after, or a backoff after network trouble)."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    def _forget_rested(self, now: float) -> None:
        """A chat whose bucket has filled up again is as good as new: forget it, so memory stays small."""
        full = self.limits.chat_burst / self.limits.chat_per_second
        self._chats = {address: state for address, state in self._chats.items() if now - state[1] < full}
