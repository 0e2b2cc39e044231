"""Growth (issue 25): what an answer, a broadcast, memory and a year of data cost as the council grows.

    .venv/bin/python -m bench.bench_scale [--answers 1000] [--sizes 11,29,98] [--stress 5000]

Per size, a data set of that many municipalities is generated from the bundled one (the same parties, vote shares and
meetings; municipalities "Kommune 01".., their mayors' parties those of the bundled municipalities in turn, so the
composition grows as the real one; no published composition) and a roster that fills its composition (each
municipality's mayor and 1st viceborgmester, each supplementary seat's member and personal substitute, two secretariat
people), imported through `kkrbot roster import`'s own function (bot.cli.roster_import), so every check of an import
applies. The stress size is the largest
data set's roster plus people written straight into storage (`persons`, as substitutes) up to `--stress` people: no
import would take them, and the bench says so in its table. Everyone is bound to a Telegram account.

Per size it prints:
- CPU ms per `/naeste`: `kkrbot run` as its own process against the fake Bot API (no latency, pacing off), the first
  46 people asking in a closed loop; user + system CPU of the bot's process per answer, after a warm-up;
- the bot process's peak resident size (VmHWM) after those answers;
- the time to queue a broadcast to everyone (`send` of the broadcast use case, in its transaction, commit included),
  in-process, and per 1,000 recipients;
- the database's size after a simulated year on a hand-moved clock: a tick every day at 09:00 (reminders,
  escalations, retention of 30 days), a quarter of the members reporting absence for every meeting, a broadcast to
  everyone every month, every message marked sent on the day it was queued; the size is the file's after the last
  tick's checkpoint.

Goals (issue 25): CPU per answer flat within 10 % across sizes; queueing a broadcast linear and under a second per
1,000 recipients. CPU figures are less sensitive to a busy machine than seconds; the broadcast's seconds are not.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite
import yaml

from bench.bench_delivery import cpu_seconds, kkrbot, stop, warm_up
from bench.loadgen import run_load
from bot.app import open_conversation
from bot.cli import roster_import
from bot.config import Settings
from bot.core.messages import Request
from bot.core.usecases.broadcasts import make_draft, send
from bot.storage.composition_lots import composition_with_lots
from bot.storage.db import Database, first_row
from bot.storage.meeting_changes import plan
from bot.storage.roster import Role, Roster
from kkrcore.dataset import BUNDLED
from kkrcore.models import Dataset
from tests.fake_telegram import FakeTelegram
from tests.processes import peak_memory_kib

FIRST_USER_ID = 500_000
ASKERS = 46
TEXT = "Benchmark: husk mødet"


@dataclass
class Figures:
    label: str
    people: int
    cpu_ms: float = 0.0
    peak_mib: float = 0.0
    broadcast_s: float = 0.0
    recipients: int = 0
    year_mib: float = 0.0
    year_rows: dict[str, int] = field(default_factory=dict)


def generated_dataset(municipalities: int) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(BUNDLED.read_text(encoding="utf-8"))
    # The bundled mayors' parties, repeated: the same overhang, so the composition grows as the real one would.
    parties = [data["municipalities"][n % len(data["municipalities"])]["mayor_party"] for n in range(municipalities)]
    data["region"] = f"Bench {municipalities}"
    data["municipalities"] = [{"name": f"Kommune {n + 1:02d}", "mayor_party": party} for n, party in enumerate(parties)]
    data["published_composition"] = {}
    first = data["municipalities"][0]
    data["longest_serving_mayor"] = {
        "name": "Bench Mayor 1",
        "party": first["mayor_party"],
        "municipality": first["name"],
        "mayor_since": 2014,
    }
    return data


def generated_roster(dataset: Dataset) -> list[dict[str, Any]]:
    """Everyone the composition needs, valid for the importer."""
    composition = composition_with_lots(dataset, ())
    towns = [m.name for m in dataset.municipalities]
    people: list[dict[str, Any]] = [
        {"id": f"sekretariat-{n}", "name": f"Sekretær {n}", "role": "secretariat", "language": "da"} for n in (1, 2)
    ]
    for n, municipality in enumerate(dataset.municipalities, start=1):
        people.append(
            {"id": f"borgmester-{n}", "name": f"Borgmester {n}", "role": "member", "municipality": municipality.name,
             "party": municipality.mayor_party, "mayor": True, "longest_serving": n == 1}
        )  # fmt: skip
        people.append(
            {"id": f"viceborgmester-{n}", "name": f"Viceborgmester {n}", "role": "substitute",
             "municipality": municipality.name, "party": municipality.mayor_party, "vice_mayor_rank": 1}
        )  # fmt: skip
    seat = 0
    for letter, seats in sorted(composition.parties.items()):
        for _ in range(seats.supplementary):
            seat += 1
            town = towns[seat % len(towns)]
            people.append(
                {"id": f"stedfortraeder-{seat}", "name": f"Stedfortræder {seat}", "role": "substitute",
                 "municipality": town, "party": letter}
            )  # fmt: skip
            people.append(
                {"id": f"medlem-{seat}", "name": f"Medlem {seat}", "role": "member", "municipality": town,
                 "party": letter, "substitute_id": f"stedfortraeder-{seat}"}
            )  # fmt: skip
    return people


async def count_of(conn: aiosqlite.Connection, sql: str) -> int:
    row = await first_row(conn, sql)
    return int(row[0]) if row else 0


async def prepared(folder: Path, municipalities: int, stress: int) -> tuple[Settings, list[int]]:
    """A database with the generated roster imported (and, for the stress size, more people written straight into
    storage), everyone bound to a Telegram account; the settings that open it, and the askers' user ids."""
    data_file = folder / "dataset.json"
    data_file.write_text(json.dumps(generated_dataset(municipalities), ensure_ascii=False), encoding="utf-8")
    settings = Settings(_env_file=None, database=folder / "kkrbot.sqlite3", data_file=data_file)
    dataset = Dataset.model_validate_json(data_file.read_text(encoding="utf-8"))
    roster_file = folder / "roster.yaml"
    roster_file.write_text(yaml.safe_dump({"people": generated_roster(dataset)}, allow_unicode=True), "utf-8")
    db = await Database.open(settings.database)  # no example roster: it belongs to the bundled data set
    await db.write("INSERT INTO meta (key, value) VALUES ('roster_seeded', 'bench')")
    await db.close()
    await roster_import(settings, roster_file)
    db = await Database.open(settings.database)
    async with db.transaction() as conn:
        if stress:
            imported = await count_of(conn, "SELECT count(*) FROM persons")
            await conn.executemany(
                "INSERT INTO persons (id, name, role, municipality, party, language) "
                "VALUES (?, ?, 'substitute', 'Kommune 01', 'A', 'da')",
                [(f"stress-{n}", f"Stress {n}") for n in range(stress - imported)],
            )
        roster = await Roster.load(conn)
        users: dict[str, int] = {}
        for index, person in enumerate(roster.people):
            users[person.id] = FIRST_USER_ID + index
        await conn.executemany(
            "INSERT INTO accounts (channel, address, person_id, bound_at) VALUES ('telegram', ?, ?, ?)",
            [(str(uid), pid, datetime.now(UTC).isoformat()) for pid, uid in users.items()],
        )
    await db.close()
    askers = [users[p.id] for p in roster.people if p.role is not Role.SECRETARIAT][:ASKERS]
    return settings, askers


async def answers(folder: Path, settings: Settings, askers: list[int], count: int, figures: Figures) -> None:
    async with FakeTelegram() as tg:
        assert settings.data_file is not None
        bot = await kkrbot(
            tg, folder, KKRBOT_TELEGRAM_MAX_MESSAGES_PER_SECOND="0", KKRBOT_DATA_FILE=str(settings.data_file)
        )
        assert bot.process is not None
        try:
            await warm_up(tg, askers)
            before = cpu_seconds(bot.process.pid)
            result = await run_load(tg, askers, count, lambda u, n: "/naeste")
            figures.cpu_ms = (cpu_seconds(bot.process.pid) - before) / result.answered * 1000
            figures.peak_mib = peak_memory_kib(bot.process.pid) / 1024
        finally:
            await stop(bot)


async def broadcast(settings: Settings, figures: Figures) -> None:
    conversation = await open_conversation(settings)
    try:
        async with conversation.db.transaction() as conn:
            people = (await Roster.load(conn)).people
            draft = await make_draft(
                conn, conversation, people, sender_id=None, now=conversation.clock(), audience="bench", text=TEXT
            )
        async with conversation.db.read() as conn:
            meetings = await plan(conn, conversation.dataset)
        started = time.perf_counter()
        async with conversation.db.transaction() as conn:
            await send(conn, conversation, draft, conversation.clock(), meetings)
        figures.broadcast_s = time.perf_counter() - started
        async with conversation.db.read() as conn:
            figures.recipients = await count_of(conn, "SELECT count(*) FROM outbox WHERE lane = 'bulk'")
    finally:
        await conversation.db.close()


async def year(settings: Settings, figures: Figures) -> None:
    clock = Clock(datetime(2026, 1, 1, 9, 0, tzinfo=UTC))
    conversation = await open_conversation(settings, clock=clock)
    try:
        async with conversation.db.read() as conn:
            roster = await Roster.load(conn)
        members = [p for p in roster.people if p.role is Role.MEMBER]
        meetings = {m.start.date(): m for m in conversation.dataset.meetings}
        for day in range(365 + 40):
            clock.now = datetime(2026, 1, 1, 8, 0, tzinfo=UTC) + timedelta(days=day)
            if day < 365:
                if clock.now.day == 1:
                    async with conversation.db.transaction() as conn:
                        draft = await make_draft(
                            conn, conversation, roster.people, sender_id=None, now=clock.now, audience="bench",
                            text=f"{TEXT} {clock.now:%B}",
                        )  # fmt: skip
                        await send(conn, conversation, draft, clock.now, await plan(conn, conversation.dataset))
                meeting = meetings.get((clock.now + timedelta(days=14)).date())
                if meeting is not None:
                    for person in members[::4]:
                        await conversation.handle(
                            Request(channel="telegram", address="0", command="absent", args=(meeting.id, "ok"),
                                    person_id=person.id)
                        )  # fmt: skip
            clock.now += timedelta(hours=1)
            await conversation.tick()
            await conversation.db.write(
                "UPDATE outbox SET sent_at = ? WHERE sent_at IS NULL AND failed_at IS NULL", (clock.now.isoformat(),)
            )
        await conversation.db.checkpoint()
        async with conversation.db.read() as conn:
            for table in ("absences", "outbox", "broadcasts"):
                figures.year_rows[table] = await count_of(conn, f"SELECT count(*) FROM {table}")
        figures.year_mib = settings.database.stat().st_size / 2**20
    finally:
        await conversation.db.close()


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def measure(label: str, municipalities: int, stress: int, count: int) -> Figures:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        settings, askers = await prepared(folder, municipalities, stress)
        db = await Database.open(settings.database)
        async with db.read() as conn:
            figures = Figures(label, await count_of(conn, "SELECT count(*) FROM persons"))
        await db.close()
        # The year starts from the imported roster alone, on a copy: the answers and the broadcast measured here
        # would otherwise be part of its database.
        year_settings = settings.model_copy(update={"database": folder / "year.sqlite3"})
        with sqlite3.connect(settings.database) as source, sqlite3.connect(year_settings.database) as target:
            source.backup(target)
        await answers(folder, settings, askers, count, figures)
        await broadcast(settings, figures)
        await year(year_settings, figures)
    print(f"  {label}: {figures.people:,} people; the year's rows: {figures.year_rows}", flush=True)
    return figures


async def main(arguments: argparse.Namespace) -> None:
    sizes = [int(n) for n in arguments.sizes.split(",")]
    runs = [(f"{n} municipalities", n, 0) for n in sizes]
    if arguments.stress:
        label = f"stress: {max(sizes)} municipalities + people written into storage"
        runs.append((label, max(sizes), arguments.stress))
    results = [await measure(label, n, stress, arguments.answers) for label, n, stress in runs]
    print()
    print("| size | people | CPU ms per /naeste | peak MiB | broadcast queued in s | s per 1,000 recipients | "
          "database after a year MiB |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    base = results[0].cpu_ms
    for f in results:
        print(
            f"| {f.label} | {f.people:,} | {f.cpu_ms:.3f} ({f.cpu_ms / base:.2f}x) | {f.peak_mib:.1f} | "
            f"{f.broadcast_s:.3f} ({f.recipients:,}) | {f.broadcast_s / f.recipients * 1000:.3f} | {f.year_mib:.1f} |"
        )
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"(this process: {usage.ru_utime + usage.ru_stime:.0f} s of CPU, peak {usage.ru_maxrss / 1024:.0f} MiB)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--answers", type=int, default=1000, help="/naeste answers per size")
    parser.add_argument("--sizes", default="11,29,98", help="municipalities per generated data set")
    parser.add_argument("--stress", type=int, default=5000, help="people in the stress roster (0: none)")
    asyncio.run(main(parser.parse_args()))
