"""The docs a newcomer relies on stay true to the code: the README is a short front door whose first two `sh`
blocks are the install-and-run and the test command (`.ci/run` runs the second), every relative link leads to a
file, and the settings reference lists exactly the `KKRBOT_*` settings the code reads."""

from __future__ import annotations

import re
from pathlib import Path

from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
SETTINGS_REFERENCE = DOCS / "settings.md"

SH_BLOCK = re.compile(r"^```sh\n(.*?)^```$", re.MULTILINE | re.DOTALL)
# A Markdown link or image target: [text](target) or ![alt](target), up to the closing parenthesis.
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
SETTING = re.compile(r"\bKKRBOT_[A-Z0-9_]*[A-Z0-9]\b")
# A variable read straight from the environment anywhere in the code, beside the pydantic settings.
ENVIRONMENT_READ = re.compile(r"(?:getenv|environ\.get|environ\[)\(?\s*[\"'](KKRBOT_[A-Z0-9_]+)[\"']")


def doc_files() -> list[Path]:
    return [README, *sorted(DOCS.rglob("*.md"))]


def settings_the_code_reads() -> set[str]:
    prefix = Settings.model_config.get("env_prefix", "")
    read = {f"{prefix}{name}".upper() for name in Settings.model_fields}
    for source in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "kkrcore").rglob("*.py")]:
        read.update(ENVIRONMENT_READ.findall(source.read_text(encoding="utf-8")))
    return read


def settings_in_the_reference() -> set[str]:
    """The variables named in the first column of the reference's tables, one a row."""
    named: set[str] = set()
    for line in SETTINGS_REFERENCE.read_text(encoding="utf-8").splitlines():
        cells = line.split("|")
        if line.startswith("|") and len(cells) > 2:
            named.update(SETTING.findall(cells[1]))
    return named


def test_every_setting_the_code_reads_is_in_the_settings_reference() -> None:
    missing = settings_the_code_reads() - settings_in_the_reference()
    assert not missing, f"docs/settings.md lacks {sorted(missing)}"


def test_the_settings_reference_names_no_setting_the_code_does_not_read() -> None:
    unknown = settings_in_the_reference() - settings_the_code_reads()
    assert not unknown, f"docs/settings.md lists settings the code does not read: {sorted(unknown)}"


def test_the_readme_is_a_front_door_of_at_most_150_lines() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 150, f"README.md has {len(lines)} lines; move the rest to docs/"


def test_the_readmes_first_two_sh_blocks_install_and_run_then_test() -> None:
    blocks = SH_BLOCK.findall(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 2
    install_and_run, test = (block.strip() for block in blocks[:2])
    assert install_and_run == "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/kkrbot run"
    assert test == "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/python -m pytest"


def anchors(doc: Path) -> set[str]:
    """The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces made hyphens."""
    found = set()
    in_code = False
    for line in doc.read_text(encoding="utf-8").splitlines():
        in_code ^= line.startswith("```")
        if not in_code and line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            found.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return found


def test_every_relative_link_in_the_docs_leads_to_a_file() -> None:
    broken = []
    for doc in doc_files():
        for target in LINK.findall(doc.read_text(encoding="utf-8")):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                continue  # a web address or mailto:
            path, _, anchor = target.partition("#")
            linked = (doc.parent / path) if path else doc
            if not linked.exists():
                broken.append(f"{doc.relative_to(ROOT)}: {target}")
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
                broken.append(f"{doc.relative_to(ROOT)}: {target} (no such heading)")
    assert not broken, f"links to files or headings that do not exist: {broken}"


def test_the_link_check_sees_links() -> None:
    """The check above is worth something only if it finds the README's map of docs/."""
    targets = LINK.findall(README.read_text(encoding="utf-8"))
    assert "docs/settings.md" in targets


def test_the_cli_references_command_list_is_what_kkrbot_help_prints() -> None:
    from bot.cli import build_parser

    printed = build_parser().format_help()
    listed = printed[printed.index("commands, each with an example:") :].strip()
    reference = (DOCS / "cli.md").read_text(encoding="utf-8")
    copy = reference[reference.index("commands, each with an example:") :].split("\n```", 1)[0].strip()
    assert copy == listed, "docs/cli.md's copy of `kkrbot --help` is out of date: paste the command list again"
