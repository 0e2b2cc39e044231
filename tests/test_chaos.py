"""Chaos: a real `kkrbot run` process against the fake Bot API, under the faults an unlucky operator meets.

Each test drives the bot as a separate process (tests/processes.py), because what is checked is what a
supervisor sees: whether the process keeps answering and resumes by itself once the cause is gone, or
exits with one line and a non-zero status. Members write while the fault lasts; afterwards every update
is answered exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_telegram import FakeTelegram
from tests.process_clock import kkrbot_environment
from tests.processes import PROJECT_ROOT, BotProcess, bind_everyone, drained, run_as_root, wait_until_polling

MEETING = "2027-02-12"
CONFIRMED = "er registreret"
APOLOGY = "gik noget galt"


async def started(tg: FakeTelegram, database: Path, log: Path, **env: str) -> BotProcess:
    bot = BotProcess(tg, database, log, **env)
    calls = tg.get_updates_calls
    await bot.start()
    await wait_until_polling(tg, calls)
    return bot


async def everyone_has_written(tg: FakeTelegram, users: dict[str, int]) -> None:
    """Telegram refuses chats that never wrote to the bot; bound people have, so alerts can reach them."""
    for user in users.values():
        tg.inject_message(user, "/hjaelp")
    for user in users.values():
        await tg.wait_for_messages(user, 1, timeout=60)


def texts_to(tg: FakeTelegram, user: int) -> list[str]:
    return [m.plain_text or "" for m in tg.sent_to(user) if m.method == "sendMessage"]


async def until_logged(log: Path, words: str, timeout: float = 60) -> None:  # noqa: ASYNC109
    """Until the bot process has written `words` to its log (it is another process: nothing to await)."""
    async with asyncio.timeout(timeout):
        while words not in log.read_text(errors="replace"):  # noqa: ASYNC110, ASYNC240
            await asyncio.sleep(0.1)


async def members_report_absence_through(
    tg: FakeTelegram, database: Path, log: Path, fault: str, cause: contextlib.AbstractContextManager[object]
) -> None:
    """The common course of the database faults: the bot runs, the fault starts, members report absence
    while it lasts, the bot logs the fault, the cause goes away; then every notice is confirmed once."""
    roster, users = await bind_everyone(database)
    bot = await started(tg, database, log)
    await everyone_has_written(tg, users)
    members = roster.members[:8]
    with cause:
        for member in members:
            tg.inject_message(users[member.id], f"/afbud {MEETING} ok")
        await until_logged(log, fault)
    for member in members:
        await tg.wait_for(
            lambda m, user=users[member.id]: m.chat_id == user and CONFIRMED in (m.plain_text or ""), timeout=60
        )
    await drained(database)
    assert await bot.terminate() == 0

    for member in members:
        assert [t for t in texts_to(tg, users[member.id]) if CONFIRMED in t] != [], member.id
        assert len([t for t in texts_to(tg, users[member.id]) if CONFIRMED in t]) == 1, member.id
    assert not [m for m in tg.sent if APOLOGY in (m.plain_text or "")]
    with sqlite3.connect(database) as conn:
        absences = conn.execute("SELECT member_id FROM absences WHERE withdrawn_at IS NULL").fetchall()
    assert sorted(row[0] for row in absences) == sorted(m.id for m in members)


# --- the database locked, full, read-only ---------------------------------------------------------------


@contextlib.contextmanager
def locked_by_another_process(database: Path, seconds: float) -> Iterator[None]:
    """Another process holds SQLite's write lock for `seconds` (twice the bot's 5 s busy timeout), as a
    backup tool or a careless `sqlite3` shell would; the block's end waits for it to let go."""
    locker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time\n"
            "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "conn.execute('BEGIN IMMEDIATE')\n"
            "print('locked', flush=True)\n"
            "time.sleep(float(sys.argv[2]))\n"
            "conn.execute('ROLLBACK')\n",
            str(database),
            str(seconds),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert locker.stdout is not None
    assert locker.stdout.readline().strip() == "locked"
    try:
        yield
    finally:
        locker.wait(timeout=60)


async def test_a_database_locked_10_s_by_another_process_delays_the_answers_and_loses_none(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    database, log = tmp_path / "kkrbot.sqlite3", tmp_path / "bot.log"
    await members_report_absence_through(
        tg, database, log, "database locked; retrying", locked_by_another_process(database, 10)
    )


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 8 MiB file system (tmpfs), so the disk that fills is a disk, not a simulation in SQLite."""
    mount = tmp_path / "disk"
    mount.mkdir()
    run_as_root("mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", str(mount))
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@contextlib.contextmanager
def disk_filled(mount: Path) -> Iterator[None]:
    """Fills the file system to its last block with a file, and deletes the file at the block's end."""
    filler = mount / "filler"
    with contextlib.suppress(OSError), filler.open("wb") as out:  # the close may fail too
        while True:
            out.write(b"\0" * 65536)
            out.flush()
    try:
        yield
    finally:
        filler.unlink()


async def test_a_full_disk_delays_the_answers_and_the_bot_resumes_when_there_is_room(
    tg: FakeTelegram, tmp_path: Path, small_disk: Path
) -> None:
    """The disk is an 8 MiB tmpfs mounted for the test (root only; skipped elsewhere), filled by a file:
    SQLite gets ENOSPC (SQLITE_FULL) when the WAL grows. Deleting the file is the operator's fix."""
    database, log = small_disk / "kkrbot.sqlite3", tmp_path / "bot.log"
    await members_report_absence_through(tg, database, log, "disk full; retrying", disk_filled(small_disk))


@contextlib.contextmanager
def read_only(database: Path) -> Iterator[None]:
    """The database and its WAL made immutable (chattr +i): even root cannot write them, and a file opened
    for writing before stays open but every write fails (EPERM, SQLite's "disk I/O error"), as on a file
    system the kernel turned read-only. The shared-memory index stays writable: SQLite maps it."""
    files = [str(database), f"{database}-wal"]
    run_as_root("chattr", "+i", *files)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", *files], check=False)


async def test_a_read_only_database_delays_the_answers_and_the_bot_resumes_when_it_is_writable(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    database, log = tmp_path / "kkrbot.sqlite3", tmp_path / "bot.log"
    await members_report_absence_through(tg, database, log, "database I/O error; retrying", read_only(database))


# --- Telegram's side -------------------------------------------------------------------------------------


async def test_a_token_revoked_while_running_stops_the_process_with_one_line(tg: FakeTelegram, tmp_path: Path) -> None:
    database, log = tmp_path / "kkrbot.sqlite3", tmp_path / "bot.log"
    _roster, users = await bind_everyone(database)
    bot = await started(tg, database, log)
    user = next(iter(users.values()))
    tg.inject_message(user, "/naeste")
    await tg.wait_for_messages(user, 1, timeout=30)
    old_token = tg.token

    tg.revoke_token()
    assert bot.process is not None
    status = await asyncio.wait_for(bot.process.wait(), 60)

    assert status != 0
    output = log.read_text()
    assert output.strip().splitlines()[-1].startswith("kkrbot: Telegram refused KKRBOT_TELEGRAM_TOKEN while running")
    assert "Traceback" not in output
    assert old_token.split(":")[1] not in output


MALFORMED = [
    # A message without its date.
    {"message": {"message_id": 1, "chat": {"id": 1, "type": "private"}, "text": "FORTROLIGT-1 uden dato"}},
    # A sender without an id.
    {
        "message": {
            "message_id": 2,
            "date": 1795000000,
            "chat": {"id": 1, "type": "private"},
            "from": {"is_bot": False, "first_name": "FORTROLIGT-2"},
            "text": "FORTROLIGT-2 uden afsender-id",
        }
    },
    # Not a message at all.
    {"message": [1, 2, 3]},
]


async def test_malformed_updates_between_valid_ones_are_kept_aside_and_the_valid_ones_answered_in_order(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    database, log = tmp_path / "kkrbot.sqlite3", tmp_path / "bot.log"
    _roster, users = await bind_everyone(database)
    user = next(iter(users.values()))
    questions = ["/naeste", "/moeder", "/stedfortraeder", "/hjaelp"]
    bot = await started(tg, database, log)

    # One batch: valid, malformed, valid, malformed, ... as getUpdates would return them.
    for question, malformed in zip(questions, [*MALFORMED, None], strict=True):
        tg.inject_message(user, question)
        if malformed is not None:
            tg.inject_raw(malformed)
    answers = await tg.wait_for_messages(user, len(questions), timeout=60)
    health = kkrbot_health(database, tg)
    assert await bot.terminate() == 0

    assert "fredag den 12. februar 2027" in (answers[0].plain_text or "")  # /naeste
    assert "fredag den 23. april 2027" in (answers[1].plain_text or "")  # /moeder lists them all
    assert "fredag den 23. april 2027" not in (answers[2].plain_text or "")
    assert answers[3].plain_text != answers[2].plain_text
    output = log.read_text()
    assert "FORTROLIGT" not in output
    assert "Error while parsing updates" not in output
    assert output.count("kept aside in the inbox") == len(MALFORMED)
    assert "3 malformed updates kept aside" in health.stdout + health.stderr
    with sqlite3.connect(database) as conn:
        kept = conn.execute("SELECT count(*) FROM inbox WHERE malformed IS NOT NULL").fetchone()[0]
        pending = conn.execute("SELECT count(*) FROM inbox WHERE processed_at IS NULL").fetchone()[0]
    assert (kept, pending) == (len(MALFORMED), 0)


# --- one process per database ----------------------------------------------------------------------------


async def test_a_second_bot_on_the_same_database_refuses_to_start_and_nothing_is_sent_twice(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    database = tmp_path / "kkrbot.sqlite3"
    _roster, users = await bind_everyone(database)
    askers = list(users.values())[:10]
    first = await started(tg, database, tmp_path / "first.log")
    assert first.process is not None

    for user in askers:
        tg.inject_message(user, "/naeste")
    second = BotProcess(tg, database, tmp_path / "second.log")
    await second.start()
    assert second.process is not None
    status = await asyncio.wait_for(second.process.wait(), 30)
    for user in askers:
        tg.inject_message(user, "/naeste")
    for user in askers:
        await tg.wait_for_messages(user, 2, timeout=30)
    assert await first.terminate() == 0

    assert status == 2
    refusal = (tmp_path / "second.log").read_text().strip().splitlines()
    assert len(refusal) == 1, refusal
    assert refusal[0].startswith("kkrbot: ")
    assert f"pid {first.process.pid}" in refusal[0]
    assert {user: len(texts_to(tg, user)) for user in askers} == dict.fromkeys(askers, 2)


# --- kkrbot health ---------------------------------------------------------------------------------------

HEALTH_MAX_AGE = "12"


def kkrbot_health(database: Path, tg: FakeTelegram, max_age: str = HEALTH_MAX_AGE) -> subprocess.CompletedProcess[str]:
    environment = kkrbot_environment(
        database,
        KKRBOT_TELEGRAM_TOKEN=tg.token,
        KKRBOT_HEALTH_MAX_AGE_SECONDS=max_age,
        PYTHONPATH=str(PROJECT_ROOT),
    )
    return subprocess.run(
        [sys.executable, "-m", "bot", "health"], env=environment, capture_output=True, text=True, timeout=60
    )


async def health_until(
    database: Path, tg: FakeTelegram, status: int, max_age: str = HEALTH_MAX_AGE
) -> subprocess.CompletedProcess[str]:
    async with asyncio.timeout(90):
        while True:
            result = await asyncio.to_thread(kkrbot_health, database, tg, max_age)
            if result.returncode == status:
                return result
            await asyncio.sleep(0.5)


async def test_health_is_good_while_the_bot_polls_and_names_what_is_stale_when_polling_is_stuck(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    database, log = tmp_path / "kkrbot.sqlite3", tmp_path / "bot.log"
    await bind_everyone(database)
    bot = await started(tg, database, log)

    # Stuck: Telegram answers every poll with 500 from now on, and the poller's tries, backing off, come further
    # apart than the limit. A limit of 6 s rather than 12, so that happens sooner.
    healthy = await health_until(database, tg, 0, max_age="6")
    tg.add_fault("getUpdates", "500", times=10**6)
    stuck = await health_until(database, tg, 1, max_age="6")
    await bot.terminate()
    stopped = kkrbot_health(database, tg)

    assert healthy.stdout.startswith("healthy: polled ")
    assert "0 malformed updates kept aside" in healthy.stdout
    assert stuck.stderr.count("\n") == 1
    assert stuck.stderr.startswith("unhealthy: polling is stale: the last getUpdates was answered ")
    assert stopped.returncode == 1
    assert "no kkrbot process holds the database" in stopped.stderr


async def test_health_without_a_database_is_unhealthy_in_one_line(tg: FakeTelegram, tmp_path: Path) -> None:
    result = kkrbot_health(tmp_path / "missing.sqlite3", tg)

    assert result.returncode == 1
    assert result.stderr.startswith("unhealthy: cannot read the database")
    assert "Traceback" not in result.stderr
