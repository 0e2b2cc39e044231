"""Backups that are known to restore: taken online and checked, kept for a number of days, restored only
into a stopped bot, and refused when the file is not a whole kkrbot database."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import open_conversation
from bot.config import Settings
from bot.core.conversation import backup_is_due
from bot.storage.backup import (
    BackupError,
    backups_in,
    check_database,
    default_backup_name,
    newest_backup_time,
    prune_backups,
    restore_backup,
    take_backup,
)
from bot.storage.lock import exclusive
from tests.conftest import COPENHAGEN, Clock
from tests.fake_telegram import FakeTelegram
from tests.processes import BotProcess, bind_everyone, example_database, wait_until_polling
from tests.test_cli import kkrbot

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=COPENHAGEN)


async def make_database(folder: Path) -> Path:
    database = folder / "kkrbot.sqlite3"
    await bind_everyone(database)
    return database


def absences_and_bindings(database: Path) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    with sqlite3.connect(database, timeout=10) as conn:
        absences = {(row[0], row[1]) for row in conn.execute("SELECT meeting_id, member_id FROM absences")}
        bindings = {(row[0], row[1]) for row in conn.execute("SELECT address, person_id FROM accounts")}
    return absences, bindings


# --- taking a backup -------------------------------------------------------------------------------------


async def test_a_backup_is_a_checked_owner_only_copy_with_the_time_in_its_name(tmp_path: Path) -> None:
    database = await make_database(tmp_path)
    destination = tmp_path / "backups" / default_backup_name(NOW)

    report = take_backup(database, destination)

    assert destination.name == "kkrbot-20261123T080000Z.sqlite3"
    assert stat.S_IMODE(destination.stat().st_mode) == 0o600
    assert check_database(destination) == report.schema_version
    assert absences_and_bindings(destination) == absences_and_bindings(database)
    assert not list(destination.parent.glob(".*partial"))


async def test_a_backup_never_overwrites_a_file(tmp_path: Path) -> None:
    database = await make_database(tmp_path)
    taken = tmp_path / "taken.sqlite3"
    taken.write_text("precious")

    with pytest.raises(BackupError, match="exists already"):
        take_backup(database, taken)
    assert taken.read_text() == "precious"


def test_the_cli_backup_prints_where_it_wrote_and_exits_0(tmp_path: Path) -> None:
    example_database(tmp_path / "kkrbot.sqlite3")
    result = kkrbot(tmp_path, "backup", "--output", str(tmp_path / "copy.sqlite3"))

    assert result.returncode == 0, result.stderr
    assert "integrity ok" in result.stdout
    assert check_database(tmp_path / "copy.sqlite3") >= 1


def test_the_cli_backup_without_output_names_the_file_by_the_time(tmp_path: Path) -> None:
    example_database(tmp_path / "kkrbot.sqlite3")
    result = kkrbot(tmp_path, "backup", env={"KKRBOT_BACKUP_DIR": str(tmp_path / "nightly")})

    assert result.returncode == 0, result.stderr
    [written] = backups_in(tmp_path / "nightly")
    assert str(written) in result.stdout


# --- refusals ---------------------------------------------------------------------------------------------


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.sqlite3"
    text.write_text("the minutes of 20 November\n" * 100)

    with pytest.raises(BackupError, match="not a kkrbot database"):
        check_database(text)


def test_a_sqlite_database_that_is_not_kkrbots_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")

    with pytest.raises(BackupError, match="not a kkrbot database"):
        check_database(other)


async def test_a_corrupt_copy_is_refused_and_the_database_is_left_alone(tmp_path: Path) -> None:
    database = await make_database(tmp_path)
    backup = take_backup(database, tmp_path / "backup.sqlite3").path
    corrupt = tmp_path / "corrupt.sqlite3"
    data = bytearray(backup.read_bytes())
    page = 4096
    # Scribble over the middle pages, where the tables' b-trees are; the header stays valid.
    for offset in range(2 * page, min(len(data), 8 * page), 7):
        data[offset] = 0xA5
    corrupt.write_bytes(bytes(data))
    before = absences_and_bindings(database)

    with pytest.raises(BackupError):
        restore_backup(corrupt, database, NOW)
    assert absences_and_bindings(database) == before


async def test_restore_is_refused_while_a_bot_runs_on_the_database(tmp_path: Path) -> None:
    database = await make_database(tmp_path)
    backup = take_backup(database, tmp_path / "backup.sqlite3").path

    with exclusive(database):  # what `kkrbot run` holds while it runs
        result = kkrbot(tmp_path, "restore", str(backup))

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    assert "in use" in result.stderr


async def test_the_cli_refuses_a_file_that_is_not_a_database_in_one_line(tmp_path: Path) -> None:
    await make_database(tmp_path)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(os.urandom(10_000))

    result = kkrbot(tmp_path, "restore", str(junk))

    assert result.returncode == 2
    assert result.stderr.startswith("kkrbot: ")
    assert result.stderr.count("\n") == 1


# --- automatic backups ------------------------------------------------------------------------------------


def test_a_backup_is_due_once_a_day_after_the_quiet_hour() -> None:
    settings = Settings(_env_file=None, backup_hour=3)  # type: ignore[call-arg]
    night = datetime(2026, 11, 23, 3, 0, tzinfo=COPENHAGEN)

    assert backup_is_due(None, night, settings)
    assert not backup_is_due(night + timedelta(minutes=1), night + timedelta(hours=20), settings)
    assert backup_is_due(night + timedelta(minutes=1), night + timedelta(days=1), settings)
    assert not backup_is_due(night - timedelta(hours=1), night - timedelta(minutes=30), settings)


def test_retention_removes_the_oldest_first(tmp_path: Path) -> None:
    start = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    for day in range(20):
        (tmp_path / default_backup_name(start + timedelta(days=day))).write_text("x")

    removed = prune_backups(tmp_path, keep=14)

    assert len(removed) == 6
    kept = backups_in(tmp_path)
    assert len(kept) == 14
    assert max(removed) < min(kept)
    assert newest_backup_time(tmp_path) == start + timedelta(days=19)


async def test_the_running_bot_takes_a_nightly_backup_and_keeps_fourteen(tmp_path: Path) -> None:
    database = await make_database(tmp_path)
    folder = tmp_path / "nightly"
    clock = Clock(datetime(2026, 11, 1, 3, 30, tzinfo=COPENHAGEN))
    conversation = await open_conversation(
        Settings(_env_file=None, database=database, backup_dir=folder),
        clock=clock,  # type: ignore[call-arg]
    )
    try:
        for _night in range(16):
            await conversation.tick()
            await conversation.tick()  # a second tick the same night takes none
            clock.advance(days=1)
    finally:
        await conversation.db.close()

    kept = backups_in(folder)
    assert len(kept) == 14
    assert kept[-1].name == default_backup_name(datetime(2026, 11, 16, 3, 30, tzinfo=COPENHAGEN))
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in kept)


async def test_a_failed_backup_is_told_to_the_secretariat_once_and_the_bot_goes_on(tmp_path: Path) -> None:
    database = await make_database(tmp_path)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the backup folder should be")
    clock = Clock(datetime(2026, 11, 1, 3, 30, tzinfo=COPENHAGEN))
    conversation = await open_conversation(
        Settings(_env_file=None, database=database, backup_dir=blocked),
        clock=clock,  # type: ignore[call-arg]
    )
    try:
        for _night in range(3):
            await conversation.tick()
            clock.advance(days=1)
        async with conversation.db.read() as conn:
            told = await conn.execute_fetchall(
                "SELECT o.person_id FROM outbox o JOIN persons p ON p.id = o.person_id "
                "WHERE p.role = 'secretariat' AND o.payload LIKE '%backup%'"
            )
            secretaries = await conn.execute_fetchall("SELECT id FROM persons WHERE role = 'secretariat'")
    finally:
        await conversation.db.close()

    # Each secretary (on each bound account) once, not once a night.
    assert sorted(row[0] for row in told) == sorted(row[0] for row in secretaries)


# --- the whole story: a backup taken while members write, restored and started elsewhere -----------------


async def test_a_backup_taken_while_members_send_afbud_restores_and_starts(tg: FakeTelegram, tmp_path: Path) -> None:
    live = tmp_path / "live"
    live.mkdir()
    database = live / "kkrbot.sqlite3"
    roster, users = await bind_everyone(database)
    for user in users.values():
        tg.inject_message(user, "/hjaelp")
    bot = BotProcess(tg, database, live / "bot.log")
    calls = tg.get_updates_calls
    await bot.start()
    await wait_until_polling(tg, calls)
    members = roster.members
    try:
        for member in members[:11]:
            tg.inject_message(users[member.id], "/afbud 2027-02-12 ok")
        async with asyncio.timeout(60):
            while len(absences_and_bindings(database)[0]) < 5:  # noqa: ASYNC110 - the bot is another process
                await asyncio.sleep(0.05)
        committed_before, bindings_before = absences_and_bindings(database)
        backup = tmp_path / "backup.sqlite3"
        for member in members[11:]:
            tg.inject_message(users[member.id], "/afbud 2027-02-12 ok")
        result = kkrbot(live, "backup", "--output", str(backup))
        assert result.returncode == 0, result.stderr
    finally:
        assert await bot.terminate() == 0

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # Another installation (its own backup key, or none): the operator vouches for the backup with --trust.
    restored = kkrbot(elsewhere, "restore", "--trust", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert check_database(elsewhere / "kkrbot.sqlite3") >= 1
    absences, bindings = absences_and_bindings(elsewhere / "kkrbot.sqlite3")
    assert committed_before, "the test must take its backup after some afbud were committed"
    assert committed_before <= absences
    assert bindings == bindings_before

    again = BotProcess(tg, elsewhere / "kkrbot.sqlite3", elsewhere / "bot.log")
    calls = tg.get_updates_calls
    await again.start()
    await wait_until_polling(tg, calls)
    asker = users[members[0].id]
    answered_before = len(tg.sent_to(asker))
    tg.inject_message(asker, "/naeste")
    # Updates are processed in order, so once the new question is answered, whatever the backup left
    # unprocessed has been replayed before it.
    async with asyncio.timeout(60):
        while not any("Næste møde" in (m.plain_text or "") for m in tg.sent_to(asker)[answered_before:]):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    async with asyncio.timeout(60):
        while True:
            with sqlite3.connect(elsewhere / "kkrbot.sqlite3", timeout=10) as conn:
                unprocessed = conn.execute("SELECT count(*) FROM inbox WHERE processed_at IS NULL").fetchone()[0]
            if unprocessed == 0:
                break
            await asyncio.sleep(0.05)
    assert await again.terminate() == 0
    assert committed_before <= absences_and_bindings(elsewhere / "kkrbot.sqlite3")[0]


async def test_restoring_over_the_database_repeats_nothing_it_had_sent_or_handled(tmp_path: Path) -> None:
    database = await make_database(tmp_path)
    with sqlite3.connect(database) as conn:
        conn.execute(
            "INSERT INTO outbox (channel, address, person_id, payload, created_at, not_before) "
            "VALUES ('telegram', '70000', NULL, '{\"text\": \"queued\"}', '2026-11-23', '')"
        )
        conn.execute(
            "INSERT INTO inbox (channel, update_id, payload, received_at) VALUES ('telegram', 7, '{}', '2026-11-23')"
        )
    backup = take_backup(database, tmp_path / "backup.sqlite3").path
    # After the backup the bot sent the message and handled the update.
    with sqlite3.connect(database) as conn:
        conn.execute("UPDATE outbox SET sent_at = '2026-11-23T09:00' WHERE payload LIKE '%queued%'")
        conn.execute("UPDATE inbox SET processed_at = '2026-11-23T09:00' WHERE update_id = 7")

    report = restore_backup(backup, database, NOW)

    assert report.reconciled == (1, 1)
    assert report.replaced is not None
    assert report.replaced.exists()
    with sqlite3.connect(database) as conn:
        unsent = conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL").fetchone()[0]
        unprocessed = conn.execute("SELECT count(*) FROM inbox WHERE processed_at IS NULL").fetchone()[0]
    assert (unsent, unprocessed) == (0, 0)
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


def test_health_reports_the_age_of_the_newest_automatic_backup(tmp_path: Path) -> None:
    example_database(tmp_path / "kkrbot.sqlite3")
    folder = tmp_path / "nightly"
    without = kkrbot(tmp_path, "health", env={"KKRBOT_BACKUP_DIR": str(folder)})
    kkrbot(tmp_path, "backup", env={"KKRBOT_BACKUP_DIR": str(folder)})
    after = kkrbot(tmp_path, "health", env={"KKRBOT_BACKUP_DIR": str(folder)})

    assert "no automatic backup yet" in without.stdout + without.stderr
    assert "newest automatic backup 0.0 h old" in after.stdout + after.stderr
