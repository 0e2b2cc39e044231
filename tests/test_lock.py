"""The database lock that keeps a second bot (or a restore) off a database a running bot uses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.storage.lock import DatabaseInUse, exclusive, holder


def test_a_second_holder_is_refused_with_the_first_ones_pid(tmp_path: Path) -> None:
    database = tmp_path / "kkrbot.sqlite3"
    assert holder(database) is None
    with exclusive(database):
        assert holder(database) == os.getpid()
        with pytest.raises(DatabaseInUse) as refused, exclusive(database):
            pass
        assert refused.value.pid == os.getpid()
        assert f"pid {os.getpid()}" in str(refused.value)
    assert holder(database) is None
    with exclusive(database):  # free again once released
        pass


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    database = tmp_path / "kkrbot.sqlite3"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from bot.storage.lock import exclusive\n"
            f"with exclusive({str(database)!r}):\n    print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "held"
    assert holder(database) == child.pid
    child.kill()
    child.wait()
    assert holder(database) is None
