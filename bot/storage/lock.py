"""One process per database: `kkrbot run` (and a later `kkrbot restore`) hold an exclusive lock on it.

Two bots on one database both poll and both send, so every answer and alert would go out twice. The lock
is an flock(2) on a file beside the database (`kkrbot.sqlite3.lock`) that holds the holder's pid: the
kernel releases it when the holder dies, even by SIGKILL, so a crash never leaves a stale lock behind,
and a second process learns whom it is waiting for.

    with exclusive(database):        # raises DatabaseInUse(pid) when another process holds it
        ...
    holder(database)                  # the pid holding it (0: not yet written), or None when free
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


class DatabaseInUse(Exception):
    """Another process holds the database; `pid` is that process (None if it has not written it yet)."""

    def __init__(self, database: Path, pid: int | None) -> None:
        self.database = database
        self.pid = pid
        holder = f"pid {pid}" if pid is not None else "another process"
        super().__init__(f"the database {database} is in use by another kkrbot ({holder}); stop that one first")


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


def _read_pid(fd: int) -> int | None:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 32).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None


def _is_contended(exc: OSError) -> bool:
    return exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES)


@contextlib.contextmanager
def exclusive(database: Path) -> Iterator[None]:
    """Holds the database's lock for the block; raises `DatabaseInUse` at once if another process has it."""
    path = lock_path(Path(database))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if _is_contended(exc):
                raise DatabaseInUse(Path(database), _read_pid(fd)) from None
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            # Emptied before the unlock, so nobody reads a pid that no longer holds it.
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)


def holder(database: Path) -> int | None:
    """The pid of the process holding the database's lock (0 in the instant before it writes it), or None
    when nobody does."""
    path = lock_path(Path(database))
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError as exc:
            if _is_contended(exc):
                return _read_pid(fd) or 0
            raise
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
