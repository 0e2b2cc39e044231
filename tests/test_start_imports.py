"""What the running bot leaves unimported until it needs it (issue 25's memory and start goals): each of these is
imported where a workbook, a calendar, a YAML roster or a working-day deadline is read or computed, and weighs
megabytes a bot that answers its members never uses (bench.bench_memory, docs/benchmarks.md)."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys

from pydantic import BaseModel
from pydantic_settings import BaseSettings

from tests.processes import PROJECT_ROOT

# holidays with python-dateutil, which only it imports: some 3 MiB of VmRSS (bench.bench_memory).
LATER = ("holidays", "dateutil", "openpyxl", "icalendar", "yaml")


def loaded_at_start(packages: tuple[str, ...]) -> list[str]:
    """Which of `packages` a fresh process has imported once the running bot's modules are (its start)."""
    code = (
        "import sys, bot.cli, bot.app, bot.channels.telegram, bot.channels.console, bot.core.conversation\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({packages!r})))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    return list(ast.literal_eval(result.stdout.strip()))


def test_the_running_bot_starts_without_the_packages_it_needs_only_later() -> None:
    assert loaded_at_start(LATER) == []


def models_of(*packages: str) -> list[type[BaseModel]]:
    """Every pydantic model the modules of `packages` define (their __main__ modules, which run, left out)."""
    for package in packages:
        for module in pkgutil.walk_packages(importlib.import_module(package).__path__, f"{package}."):
            if not module.name.endswith(".__main__"):
                importlib.import_module(module.name)
    found, todo = [], [BaseModel]
    while todo:
        for model in todo.pop().__subclasses__():
            todo.append(model)
            if model.__module__.split(".")[0] in packages:
                found.append(model)
    return found


def test_every_model_builds_its_validator_when_first_used_and_builds() -> None:
    """A model builds its validator at first use (defer_build), not at import: a start builds only what it uses, and
    the models of elections, appointments, Teams or the attendance record wait until they are needed (3 % fewer
    instructions to start, 0.5 MiB less after it: docs/benchmarks.md, seventh stop). The settings, read at every
    start, are the exception. Each model is built here, so that a definition that would fail at its first use fails
    now."""
    models = [m for m in models_of("bot", "kkrcore") if not issubclass(m, BaseSettings)]
    assert len(models) > 50
    assert [m.__qualname__ for m in models if m.model_config.get("defer_build") is not True] == []
    for model in models:
        assert model.model_rebuild(force=True) is True, model.__qualname__
