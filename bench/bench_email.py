"""E-mail: a broadcast to everyone reached by e-mail, handed to a local SMTP server (aiosmtpd on 127.0.0.1), while
members ask questions on Telegram (the fake Bot API, 50 ms added to every call). Prints e-mails a second from the
broadcast's Send to the last one the server accepted, and the questions' p50 and p99 (from the question's injection
to its answer reaching the fake server).

    .venv/bin/python -m bench.bench_email [--recipients 1000] [--per-second 1000] [--questions-per-second 2]

`--per-second` is KKRBOT_MAIL_PER_SECOND (the default setting, 0.5, is Exchange Online's 30 a minute; the bench's
1000 measures what the channel itself can do). The bot, the fake Bot API and the SMTP server share this process."""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.channels.email import serve_email
from bot.core.usecases.broadcasts import make_draft, send
from bot.storage.meeting_changes import plan
from bot.storage.roster import Roster
from tests.conftest import REFERENCE_NOW, Clock, start_bot
from tests.fake_smtp import FakeSmtp, plain_text
from tests.fake_telegram import FakeTelegram

TEXT = "Benchmark: husk mødet fredag"
FIRST_MEMBER_UID = 90_000


def cpu_seconds() -> float:
    """CPU time of this process (the bot, the fake servers and the questions): less sensitive to a busy machine
    than the seconds, and what tells a cost per e-mail that grows with the queue."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def ask_until(tg: FakeTelegram, users: list[int], per_second: float, stop: asyncio.Event) -> list[float]:
    """One `/naeste` every 1/per_second seconds, from the members in turn; each answer's latency in ms."""
    latencies: list[float] = []
    pending: set[asyncio.Task[None]] = set()

    async def one(uid: int) -> None:
        before = len(tg.sent_to(uid))
        started = time.perf_counter()
        tg.inject_message(uid, "/naeste")
        await tg.wait_for_messages(uid, before + 1, timeout=60)
        latencies.append((time.perf_counter() - started) * 1000)

    turn = 0
    while not stop.is_set():
        task = asyncio.create_task(one(users[turn % len(users)]))
        pending.add(task)
        task.add_done_callback(pending.discard)
        turn += 1
        await asyncio.sleep(1 / per_second)
    await asyncio.gather(*pending, return_exceptions=True)
    return latencies


async def run(recipients: int, per_second: float, questions_per_second: float) -> None:
    async with FakeTelegram(response_delay=0.05) as tg, FakeSmtp() as smtp:
        with tempfile.TemporaryDirectory() as folder:
            bot = await start_bot(
                tg,
                Path(folder) / "kkrbot.sqlite3",
                Clock(REFERENCE_NOW),
                smtp_host="127.0.0.1",
                smtp_port=smtp.port,
                smtp_security="none",
                mail_from="kkr@kkrbot.example.dk",
                mail_per_second=per_second,
            )
            try:
                async with bot.conversation.db.transaction() as conn:
                    roster = await Roster.load(conn)
                    users = []
                    for index, member in enumerate(roster.members):
                        uid = FIRST_MEMBER_UID + index
                        users.append(uid)
                        tg.open_chat(uid, first_name="Member")
                        await conn.execute(
                            "INSERT INTO accounts (channel, address, person_id, bound_at) VALUES ('telegram', ?, ?, ?)",
                            (str(uid), member.id, datetime.now(UTC).isoformat()),
                        )
                    await conn.executemany(
                        "INSERT INTO persons (id, name, role, municipality, party, email) "
                        "VALUES (?, ?, 'substitute', 'Aalborg', 'A', ?)",
                        [(f"mail-{n}", f"Mail {n}", f"mail-{n}@example.dk") for n in range(recipients)],
                    )
                async with serve_email(bot.conversation):
                    stop = asyncio.Event()
                    asking = asyncio.create_task(ask_until(tg, users, questions_per_second, stop))
                    await asyncio.sleep(2)  # questions under way before the broadcast
                    load_before = os.getloadavg()[0]
                    async with bot.conversation.db.transaction() as conn:
                        people = [p for p in (await Roster.load(conn)).people if p.id.startswith("mail-")]
                        broadcast_id = await make_draft(
                            conn, bot.conversation, people, sender_id=None, now=bot.clock(), audience="bench", text=TEXT
                        )
                        started = time.perf_counter()
                        cpu_started = cpu_seconds()
                        await send(
                            conn,
                            bot.conversation,
                            broadcast_id,
                            bot.clock(),
                            await plan(conn, bot.conversation.dataset),
                        )
                    bot.conversation._committed()
                    # Each message is read once, as it arrives: counting them all again on every arrival made
                    # the bench itself cost more per e-mail the more had arrived (half a minute of 300 recipients).
                    seen = broadcast = 0
                    async with asyncio.timeout(3600):
                        while broadcast < recipients:
                            await smtp.wait_for_total(seen + 1, timeout=3600)
                            broadcast += sum(TEXT in plain_text(m) for m in smtp.received[seen:])
                            seen = len(smtp.received)
                    elapsed = time.perf_counter() - started
                    cpu = cpu_seconds() - cpu_started
                    stop.set()
                    latencies = await asking
            finally:
                await bot.stop()
    delivered = {str(m["To"]) for m in smtp.received if TEXT in plain_text(m)}
    print(f"load average before {load_before:.2f}, after {os.getloadavg()[0]:.2f}; KKRBOT_MAIL_PER_SECOND={per_second}")
    print("| e-mails | seconds | e-mails/s | CPU ms per e-mail | lost | questions | p50 ms | p99 ms |")
    print("|---|---|---|---|---|---|---|---|")
    print(
        f"| {recipients} | {elapsed:.1f} | **{recipients / elapsed:.1f}** | {cpu / recipients * 1000:.1f} "
        f"| {recipients - len(delivered)} "
        f"| {len(latencies)} | {statistics.median(latencies):.0f} | **{percentile(latencies, 0.99):.0f}** |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument("--per-second", type=float, default=1000, help="KKRBOT_MAIL_PER_SECOND")
    parser.add_argument("--questions-per-second", type=float, default=2)
    args = parser.parse_args()
    asyncio.run(run(args.recipients, args.per_second, args.questions_per_second))


if __name__ == "__main__":
    main()
