"""Backups of the one SQLite file that holds everything: bindings, absences and answers, agendas, broadcasts.

A backup is taken online with SQLite's backup API from a connection of its own, so it is consistent even
while the bot writes (copying a WAL database's file by hand can give a torn copy). It is written under a
temporary name, owner-only like the database, checked with `PRAGMA integrity_check`, and only then renamed
to its final name: a file with a backup's name is always a whole, checked backup.

A backup holds everything, personal data included, and a restore puts it in charge: a tampered one could bring
a trigger that copies every outgoing message (invite links included) or drop kkrbot's own. So a restore
compares the backup's whole schema (`sqlite_master`: every table, index, trigger and view with its SQL) with
that of a fresh database migrated to the backup's version, and refuses any difference before anything is
written. And each backup is signed: an HMAC-SHA256 of the file, in `<backup>.hmac` beside it, with a key kept
beside the database (`<database>.backup-key`, owner-only), never in the backup folder. A backup whose signature
this installation cannot check (taken elsewhere, or changed since) is restored only with `--trust`.

These functions are synchronous (the stdlib `sqlite3` module); the running bot calls them in a thread.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.storage.migrations import MIGRATIONS

BACKUP_PREFIX = "kkrbot-"
BACKUP_SUFFIX = ".sqlite3"
# Tables every kkrbot database has had since its first migration.
KKRBOT_TABLES = frozenset({"meta", "persons", "accounts", "inbox", "outbox"})


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is one line for the operator."""


@dataclass(frozen=True)
class BackupReport:
    path: Path
    size: int
    schema_version: int


def default_backup_name(now: datetime) -> str:
    """`kkrbot-20261123T030000Z.sqlite3`: sorts by time, and says when it was taken."""
    return f"{BACKUP_PREFIX}{now.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}{BACKUP_SUFFIX}"


@contextlib.contextmanager
def _connect(path: Path, *, read_only: bool) -> Iterator[sqlite3.Connection]:
    uri = f"file:{path}?mode=ro" if read_only else f"file:{path}"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=30)
    except sqlite3.Error as exc:
        raise BackupError(f"{path}: cannot open: {exc}") from None
    try:
        yield conn
    finally:
        conn.close()


def check_database(path: Path) -> int:
    """The schema version of a whole kkrbot database at `path`; BackupError says why it is not one."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        with _connect(path, read_only=True) as conn:
            result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            if result != ["ok"]:
                raise BackupError(f"{path}: fails the integrity check: {'; '.join(map(str, result[:3]))}")
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path}: not a kkrbot database ({exc})") from None
    if not tables >= KKRBOT_TABLES or version < 1:
        raise BackupError(f"{path}: not a kkrbot database (its tables are not kkrbot's)")
    if version > len(MIGRATIONS):
        raise BackupError(f"{path}: made by a newer kkrbot (schema {version}, this one knows {len(MIGRATIONS)})")
    return version


Schema = frozenset[tuple[str, str, str, str | None]]


def _schema(conn: sqlite3.Connection) -> Schema:
    """Every object of the database with its SQL (SQLite's own statistics tables left out: ANALYZE makes them)."""
    return frozenset(
        (row[0], row[1], row[2], row[3])
        for row in conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master")
        if not str(row[1]).startswith("sqlite_stat")
    )


def expected_schema(version: int) -> Schema:
    """The schema of a fresh kkrbot database migrated to `version`."""
    conn = sqlite3.connect(":memory:")
    try:
        for script in MIGRATIONS[:version]:
            conn.executescript(script)
        return _schema(conn)
    finally:
        conn.close()


def schema_differences(path: Path, version: int) -> list[str]:
    """What the database at `path` has that kkrbot's schema `version` has not, and what it lacks ("extra trigger
    x", "missing trigger y", "changed table z"); empty when they are the same."""
    with _connect(path, read_only=True) as conn:
        found = _schema(conn)
    expected = expected_schema(version)
    named = {(kind, name): sql for kind, name, _table, sql in expected}
    present = {(kind, name): sql for kind, name, _table, sql in found}
    differences = [
        f"{'changed' if (kind, name) in named else 'extra'} {kind} {name}"
        for kind, name, _table, _sql in sorted(found - expected, key=lambda o: (o[0], o[1]))
    ]
    differences += [
        f"missing {kind} {name}" for kind, name, _table, _sql in sorted(expected) if (kind, name) not in present
    ]
    return differences


def key_path(database: Path) -> Path:
    """The installation's backup key: beside the database, never in a backup folder or a backup."""
    return database.with_name(f"{database.name}.backup-key")


def key_beside_backup_note(database: Path, backup: Path) -> str:
    """A note for the operator when a backup lies in the folder of the key that signs it (the default without
    KKRBOT_BACKUP_DIR): whoever can change that folder's backups can then read the key and sign them too."""
    if backup.resolve().parent != key_path(database).resolve().parent:
        return ""
    return (
        f"\nnote: the backup is in the same folder as the key that signs it ({key_path(database).name}); "
        "keep backups in a folder of their own (KKRBOT_BACKUP_DIR or --output)"
    )


def signature_path(backup: Path) -> Path:
    return backup.with_name(f"{backup.name}.hmac")


def _installation_key(database: Path, *, create: bool) -> bytes | None:
    path = key_path(database)
    if create and not path.exists():
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            try:
                os.write(fd, secrets.token_hex(32).encode())
            finally:
                os.close(fd)
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        return None


def _file_hmac(key: bytes, path: Path) -> str:
    mac = hmac.new(key, digestmod=hashlib.sha256)
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            mac.update(chunk)
    return mac.hexdigest()


def taken_here(database: Path, backup: Path, copy: Path) -> bool:
    """True when `copy` (of `backup`) is byte for byte the backup this installation signed."""
    key = _installation_key(database, create=False)
    try:
        signature = signature_path(backup).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return False
    return key is not None and hmac.compare_digest(_file_hmac(key, copy), signature)


def _owner_only_file(path: Path) -> None:
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)


def take_backup(database: Path, destination: Path) -> BackupReport:
    """A consistent, checked copy of `database` at `destination` (which must not exist)."""
    if not database.is_file():
        raise BackupError(f"{database}: no such database")
    if destination.exists():
        raise BackupError(f"{destination}: exists already; choose another name")
    partial = destination.with_name(f".{destination.name}.partial")
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)
        _owner_only_file(partial)
        # The source is opened read-write (though only read): a read-only connection cannot open a WAL
        # database whose -shm file is missing.
        with _connect(database, read_only=False) as source, _connect(partial, read_only=False) as target:
            source.backup(target)
            # The copy is a single file: no WAL beside it to lose when it is moved or copied.
            target.execute("PRAGMA journal_mode=DELETE")
        version = check_database(partial)
        key = _installation_key(database, create=True)
        assert key is not None
        signature = signature_path(destination)
        signature.unlink(missing_ok=True)
        _owner_only_file(signature)
        signature.write_text(_file_hmac(key, partial) + "\n", encoding="ascii")
        os.replace(partial, destination)
    except (OSError, sqlite3.Error) as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise BackupError(f"backup to {destination} failed: {exc}") from None
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    return BackupReport(destination, destination.stat().st_size, version)


def backups_in(folder: Path) -> list[Path]:
    """The finished backups in `folder`, oldest first (their names sort by time)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob(f"{BACKUP_PREFIX}*{BACKUP_SUFFIX}") if p.is_file())


def prune_backups(folder: Path, keep: int) -> list[Path]:
    """Removes the oldest backups beyond the newest `keep`; returns what it removed."""
    found = backups_in(folder)
    removed = found[: max(0, len(found) - keep)]
    for path in removed:
        path.unlink(missing_ok=True)
        signature_path(path).unlink(missing_ok=True)
    return removed


def newest_backup_time(folder: Path) -> datetime | None:
    found = backups_in(folder)
    if not found:
        return None
    stamp = found[-1].name.removeprefix(BACKUP_PREFIX).removesuffix(BACKUP_SUFFIX)
    try:
        return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return datetime.fromtimestamp(found[-1].stat().st_mtime, UTC)


@dataclass(frozen=True)
class RestoreReport:
    restored_from: Path
    replaced: Path | None
    # What the replaced database said happened after the backup; None when it could not be read.
    reconciled: tuple[int, int] | None


def _reconcile(restored: Path, replaced: Path) -> tuple[int, int] | None:
    """What the replaced database knows happened after the backup, so a restore repeats nothing: messages
    it had sent are marked sent in the restored copy (outbox ids are the same up to the backup), and updates
    it had processed are marked processed (they are not replayed; what they did is not in the backup)."""
    try:
        with _connect(replaced, read_only=True) as old:
            sent = old.execute(
                "SELECT id, sent_at, failed_at FROM outbox WHERE sent_at IS NOT NULL OR failed_at IS NOT NULL"
            ).fetchall()
            processed = old.execute(
                "SELECT channel, update_id, processed_at FROM inbox WHERE processed_at IS NOT NULL"
            ).fetchall()
    except (sqlite3.Error, BackupError):
        # The replaced database is unreadable (the reason for the restore, often): nothing to learn from it.
        return None
    with _connect(restored, read_only=False) as new:
        before = new.total_changes
        new.executemany(
            "UPDATE outbox SET sent_at = ?, failed_at = ? WHERE id = ? AND sent_at IS NULL AND failed_at IS NULL",
            [(row[1], row[2], row[0]) for row in sent],
        )
        marked_sent = new.total_changes - before
        before = new.total_changes
        new.executemany(
            "UPDATE inbox SET processed_at = ? WHERE channel = ? AND update_id = ? AND processed_at IS NULL",
            [(row[2], row[0], row[1]) for row in processed],
        )
        marked_processed = new.total_changes - before
        new.commit()
    return marked_sent, marked_processed


def restore_backup(backup: Path, database: Path, now: datetime, *, trust: bool = False) -> RestoreReport:
    """Puts a checked backup in the database's place and keeps the replaced database beside it.

    The backup is copied as bytes to a staged file first, and that copy is what is checked (whole, kkrbot's
    exact schema for its version, signed by this installation unless `trust`) and restored: nothing is written
    to it, and the current database is not touched, before every check has passed.

    The caller has made sure no bot runs on `database` (the process lock)."""
    if not backup.is_file():
        raise BackupError(f"{backup}: no such file")
    replaced: Path | None = None
    staged = database.with_name(f".{database.name}.restoring")
    staged.unlink(missing_ok=True)
    try:
        _owner_only_file(staged)
        shutil.copyfile(backup, staged)
        _check_restorable(backup, database, staged, trust=trust)
        if database.exists():
            replaced = database.with_name(f"{database.name}.replaced-{now.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}")
            # Fold the replaced database's WAL into it first, so the kept copy is one whole file.
            with contextlib.suppress(sqlite3.Error, BackupError), _connect(database, read_only=False) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            os.replace(database, replaced)
        for leftover in (database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
            leftover.unlink(missing_ok=True)
        reconciled = _reconcile(staged, replaced) if replaced else (0, 0)
        os.replace(staged, database)
        os.chmod(database, 0o600)
    except OSError as exc:
        staged.unlink(missing_ok=True)
        raise BackupError(f"restore into {database} failed: {exc}") from None
    except BackupError:
        staged.unlink(missing_ok=True)
        raise
    return RestoreReport(backup, replaced, reconciled)


def _check_restorable(backup: Path, database: Path, staged: Path, *, trust: bool) -> None:
    """BackupError, in one line naming `backup`, unless the staged copy may be restored."""
    try:
        version = check_database(staged)
        differences = schema_differences(staged, version)
    except BackupError as exc:
        raise BackupError(str(exc).replace(str(staged), str(backup))) from None
    if differences:
        shown = ", ".join(differences[:5]) + (f" and {len(differences) - 5} more" if len(differences) > 5 else "")
        raise BackupError(
            f"{backup}: its schema is not kkrbot's (schema {version}): {shown}; refused, nothing was changed"
        )
    if not trust and not taken_here(database, backup, staged):
        raise BackupError(
            f"{backup}: not signed by this installation (no {signature_path(backup).name} matching the key "
            f"{key_path(database)}); if you know where it comes from, restore it with --trust"
        )
