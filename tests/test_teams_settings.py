"""Teams is optional: without its settings nothing of it is imported or listens; its settings come all or none,
and its secret is never logged."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from bot.core.commands import find_command
from tests.processes import PROJECT_ROOT, example_database
from tests.test_cli import kkrbot
from tests.test_start_imports import loaded_at_start

HEAVY = ("aiohttp", "jwt", "microsoft_teams")


def test_the_default_bot_imports_nothing_of_teams_or_the_http_endpoint() -> None:
    assert loaded_at_start(HEAVY) == []


def test_teams_settings_come_all_or_none() -> None:
    assert not load_settings(_env_file=None).teams_enabled
    assert not load_settings(_env_file=None).http_enabled
    with pytest.raises(ConfigError, match="KKRBOT_TEAMS_TENANT_ID is needed too"):
        load_settings(_env_file=None, teams_client_id="app", teams_client_secret="secret")
    settings = load_settings(_env_file=None, teams_client_id="app", teams_client_secret="s", teams_tenant_id="t")
    assert settings.teams_enabled
    assert settings.http_enabled
    assert "s" not in repr(settings.teams_client_secret)


def test_kkrbot_invite_channel_teams_needs_the_teams_settings(tmp_path: Path) -> None:
    example_database(tmp_path / "kkrbot.sqlite3")
    refused = kkrbot(tmp_path, "invite", "a-medlem-1", "--channel", "teams")
    assert refused.returncode == 2
    assert "KKRBOT_TEAMS_CLIENT_ID" in refused.stderr
    assert refused.stderr.count("\n") == 1

    env = {"KKRBOT_TEAMS_CLIENT_ID": "app-id", "KKRBOT_TEAMS_CLIENT_SECRET": "s", "KKRBOT_TEAMS_TENANT_ID": "t"}
    printed = kkrbot(tmp_path, "invite", "a-medlem-1", "--channel", "teams", env=env)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.startswith(
        "a-medlem-1\thttps://teams.microsoft.com/l/chat/0/0?users=28:app-id&message=start%20"
    )


def test_the_teams_manifest_lists_real_commands_and_has_its_icons() -> None:
    """Teams shows the manifest's command list as the bot's menu; every entry must be a command the bot knows,
    and the icons must be the sizes Teams requires (192×192 colour, 32×32 outline)."""
    folder = PROJECT_ROOT / "deploy" / "teams"
    manifest = json.loads((folder / "manifest.json").read_text())
    [bot] = manifest["bots"]
    assert bot["botId"] == manifest["id"] == "{{KKRBOT_TEAMS_CLIENT_ID}}"
    commands = [c["title"] for c in bot["commandLists"][0]["commands"]]
    assert len(commands) <= 10
    assert all(find_command(name) is not None and find_command(name).danish == name for name in commands)
    for name, size in (("color.png", 192), ("outline.png", 32)):
        data = (folder / manifest["icons"][name.removesuffix(".png")]).read_bytes()
        assert data.startswith(b"\x89PNG")
        assert struct.unpack(">II", data[16:24]) == (size, size)
