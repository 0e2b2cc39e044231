"""Nothing hostile survives a restore (issue 20, item 6): a backup whose schema is not exactly kkrbot's for its
version (a foreign trigger, a dropped one) is refused in one line before anything is written, with the current
database untouched; a backup this installation did not take is restored only with `--trust`."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from bot.storage.backup import BackupError, key_path, prune_backups, restore_backup, signature_path, take_backup
from tests.test_backups import NOW, make_database
from tests.test_cli import kkrbot, new_database

# What the tampered backup of the issue did: every outgoing message, invite links included, copied into a
# hidden table, and a member's messages redirected to another chat.
FOREIGN_TRIGGER = """
    CREATE TABLE shadow (payload TEXT);
    CREATE TRIGGER outbox_copy AFTER UPDATE ON outbox BEGIN
        INSERT INTO shadow VALUES (NEW.payload);
        UPDATE outbox SET address = '666' WHERE id = NEW.id;
    END;
"""


def files_of(database: Path) -> dict[str, bytes]:
    """The database and everything beside it, as bytes: what `untouched` means."""
    beside = [path for path in sorted(database.parent.iterdir()) if path.is_file() and path.suffix != ".lock"]
    return {path.name: path.read_bytes() for path in beside}


async def live_database_with_a_sent_message(folder: Path) -> tuple[Path, Path]:
    """A database, a backup of it (signed here) holding a queued message, and the message sent after the
    backup: restoring it over the database updates that row in the restored copy (`_reconcile`)."""
    database = await make_database(folder)
    with closing(sqlite3.connect(database)) as conn, conn:
        conn.execute(
            "INSERT INTO outbox (channel, address, person_id, payload, created_at, not_before) "
            "VALUES ('telegram', '70000', NULL, '{\"text\": \"queued\"}', '2026-11-23', '')"
        )
    backup = take_backup(database, folder / "backups" / "backup.sqlite3").path
    with closing(sqlite3.connect(database)) as conn, conn:
        conn.execute("UPDATE outbox SET sent_at = '2026-11-23T09:00' WHERE payload LIKE '%queued%'")
    return database, backup


def tamper(backup: Path, script: str) -> None:
    with closing(sqlite3.connect(backup)) as conn:
        conn.executescript(script)


async def test_a_backup_with_a_foreign_trigger_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    database, backup = await live_database_with_a_sent_message(tmp_path)
    tamper(backup, FOREIGN_TRIGGER)
    before = files_of(database)

    with pytest.raises(BackupError) as refused:
        restore_backup(backup, database, NOW, trust=True)  # trusted or not: the schema is checked

    assert str(refused.value) == (
        f"{backup}: its schema is not kkrbot's (schema {current_version(database)}): extra table shadow, "
        "extra trigger outbox_copy; refused, nothing was changed"
    )
    assert files_of(database) == before
    # The trigger never ran: the backup (which the staged copy was made from) has no copied message.
    with closing(sqlite3.connect(backup)) as conn:
        assert conn.execute("SELECT count(*) FROM shadow").fetchone()[0] == 0


async def test_a_backup_without_kkrbots_invite_scrubbing_trigger_is_refused(tmp_path: Path) -> None:
    database, backup = await live_database_with_a_sent_message(tmp_path)
    tamper(backup, "DROP TRIGGER outbox_forget_secrets;")
    before = files_of(database)

    with pytest.raises(BackupError, match=r"missing trigger outbox_forget_secrets; refused, nothing was changed$"):
        restore_backup(backup, database, NOW, trust=True)

    assert files_of(database) == before


async def test_a_trigger_changed_under_kkrbots_name_is_refused(tmp_path: Path) -> None:
    database, backup = await live_database_with_a_sent_message(tmp_path)
    tamper(
        backup,
        "DROP TRIGGER outbox_forget_secrets; CREATE TRIGGER outbox_forget_secrets AFTER UPDATE OF sent_at ON outbox "
        "BEGIN SELECT 1; END;",
    )

    with pytest.raises(BackupError, match="changed trigger outbox_forget_secrets"):
        restore_backup(backup, database, NOW, trust=True)


def test_the_cli_refuses_a_foreign_trigger_in_one_line_and_leaves_the_database(tmp_path: Path) -> None:
    new_database(tmp_path)
    assert kkrbot(tmp_path, "backup", "--output", "backups/b.sqlite3").returncode == 0
    tamper(tmp_path / "backups" / "b.sqlite3", FOREIGN_TRIGGER)
    before = files_of(tmp_path / "kkrbot.sqlite3")

    result = kkrbot(tmp_path, "restore", "--trust", "backups/b.sqlite3")

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "extra trigger outbox_copy" in result.stderr
    assert files_of(tmp_path / "kkrbot.sqlite3") == before


async def test_a_backup_from_another_installation_asks_for_trust(tmp_path: Path) -> None:
    (tmp_path / "there").mkdir()
    (tmp_path / "here").mkdir()
    there = await make_database(tmp_path / "there")
    backup = take_backup(there, tmp_path / "there" / "backup.sqlite3").path
    here = await make_database(tmp_path / "here")
    take_backup(here, tmp_path / "here" / "own.sqlite3")  # this installation has a key of its own
    before = files_of(here)

    with pytest.raises(BackupError, match=r"not signed by this installation.*restore it with --trust$"):
        restore_backup(backup, here, NOW)
    assert files_of(here) == before

    report = restore_backup(backup, here, NOW, trust=True)
    assert report.restored_from == backup


async def test_a_backup_changed_after_it_was_taken_asks_for_trust(tmp_path: Path) -> None:
    database, backup = await live_database_with_a_sent_message(tmp_path)
    # The schema is kkrbot's; the data is not what was taken.
    tamper(backup, "UPDATE persons SET phone = '+45 66 66 66 66' WHERE id = 'a-medlem-2';")

    with pytest.raises(BackupError, match="--trust"):
        restore_backup(backup, database, NOW)


async def test_a_backup_taken_here_restores_without_trust_and_its_key_is_outside_the_backup_folder(
    tmp_path: Path,
) -> None:
    database, backup = await live_database_with_a_sent_message(tmp_path)

    restore_backup(backup, database, NOW)

    assert key_path(database).parent == database.parent != backup.parent
    assert key_path(database).stat().st_mode & 0o077 == 0
    assert signature_path(backup).exists()


def test_the_cli_asks_for_trust_in_one_line_and_restores_with_it(tmp_path: Path) -> None:
    (tmp_path / "there").mkdir()
    new_database(tmp_path / "there")
    assert kkrbot(tmp_path / "there", "backup", "--output", str(tmp_path / "b.sqlite3")).returncode == 0

    refused = kkrbot(tmp_path, "restore", str(tmp_path / "b.sqlite3"))
    trusted = kkrbot(tmp_path, "restore", "--trust", str(tmp_path / "b.sqlite3"))

    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1
    assert "--trust" in refused.stderr
    assert trusted.returncode == 0, trusted.stderr


async def test_retention_removes_a_backups_signature_with_it(tmp_path: Path) -> None:
    database = await make_database(tmp_path)
    folder = tmp_path / "backups"
    old = take_backup(database, folder / "kkrbot-20261101T030000Z.sqlite3").path
    take_backup(database, folder / "kkrbot-20261102T030000Z.sqlite3")
    assert signature_path(old).exists()

    assert prune_backups(folder, 1) == [old]

    assert not signature_path(old).exists()


def current_version(database: Path) -> int:
    with closing(sqlite3.connect(database)) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def test_a_backup_beside_its_key_gets_a_note(tmp_path: Path) -> None:
    new_database(tmp_path)

    beside = kkrbot(tmp_path, "backup")
    apart = kkrbot(tmp_path, "backup", "--output", "backups/b.sqlite3")

    assert beside.returncode == apart.returncode == 0
    assert "note: the backup is in the same folder as the key that signs it" in beside.stdout
    assert "note:" not in apart.stdout
