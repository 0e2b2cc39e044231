"""A broadcast to 1,000 recipients through the real Telegram Application against the fake Bot API with 50 ms
latency and Telegram's 30 messages/s enforced (429s when exceeded). Prints messages/s, 429s, lost, repeated,
whether the sender's report matches what the fake server received, and the process's peak memory.

    .venv/bin/python -m bench.bench_broadcast [--recipients 1000]

The bot runs in this process (the fake server too), so the peak memory covers both."""

from __future__ import annotations

import argparse
import asyncio
import collections
import resource
import tempfile
import time
from pathlib import Path

from bot.config import Settings
from bot.core.usecases.broadcasts import make_draft, send
from bot.storage import broadcasts as store
from bot.storage.roster import Roster
from tests.conftest import REFERENCE_NOW, Clock, start_bot
from tests.fake_telegram import FakeTelegram
from tests.processes import add_crowd

TEXT = "Benchmark: husk mødet fredag"
PACED = Settings.model_fields["telegram_max_messages_per_second"].default


async def run(recipients: int) -> None:
    async with FakeTelegram(response_delay=0.05, flood_limits=True) as tg:
        with tempfile.TemporaryDirectory() as folder:
            # The bot's own pacing, as it runs by default: the tests' start_bot turns it off (their fake server has
            # no flood limits), and without it the outbox is held back only by its slots, which let more than 30
            # a second through whenever the machine is quick: that was where this benchmark's 429s came from.
            bot = await start_bot(
                tg, Path(folder) / "kkrbot.sqlite3", Clock(REFERENCE_NOW), telegram_max_messages_per_second=PACED
            )
            try:
                async with bot.conversation.db.transaction() as conn:
                    crowd = await add_crowd(conn, tg, recipients)
                async with bot.conversation.db.transaction() as conn:
                    roster = await Roster.load(conn)
                    people = [p for p in roster.people if p.id.startswith("crowd-")]
                    broadcast_id = await make_draft(
                        conn, bot.conversation, people, sender_id=None, now=bot.clock(), audience="bench", text=TEXT
                    )
                    started = time.perf_counter()
                    await send(conn, bot.conversation, broadcast_id, bot.clock())
                bot.conversation._committed()
                await tg.wait_for(lambda m: TEXT in (m.plain_text or ""), count=recipients, timeout=600)
                elapsed = time.perf_counter() - started
                await asyncio.sleep(2)  # anything repeated late
                async with bot.conversation.db.read() as conn:
                    counts = store.count(await store.recipient_states(conn, broadcast_id))
            finally:
                await bot.stop()
        received = collections.Counter(m.chat_id for m in tg.sent if TEXT in (m.plain_text or ""))
        lost = sum(1 for uid in crowd if received[uid] == 0)
        repeated = sum(n - 1 for n in received.values() if n > 1)
        matches = counts.delivered == len(received) and counts.failed == 0 and counts.pending == 0
        print(f"broadcast to {recipients} recipients, 50 ms latency, 30 messages/s enforced")
        print(f"  {recipients / elapsed:.1f} messages/s ({elapsed:.1f} s)")
        print(f"  429s: {tg.flood_refusals}, lost: {lost}, repeated: {repeated}")
        print(f"  report {counts.as_json()} matches the fake server's log: {matches}")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  peak memory (bot and fake server in one process): {peak:.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=1000)
    asyncio.run(run(parser.parse_args().recipients))


if __name__ == "__main__":
    main()
