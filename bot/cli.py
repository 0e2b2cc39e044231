"""`kkrbot`: run the bot, the console, and the secretariat's roster and invite commands.

Every failure a person can cause (a wrong setting, a bad roster file, an unknown id) ends with one line on
stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from datetime import timedelta
from functools import partial
from pathlib import Path

from telegram.error import InvalidToken, NetworkError

from bot.app import configure_logging, open_conversation, run_console, run_teams, run_telegram, utc_now
from bot.config import ConfigError, Settings, load_settings
from bot.i18n import compile_all, translator
from bot.storage.accounts import issue_invites, teams_invite_link
from bot.storage.backup import BackupError, default_backup_name, restore_backup, take_backup
from bot.storage.lock import DatabaseInUse, exclusive
from bot.storage.roster import (
    Roster,
    RosterError,
    all_people,
    bound_people,
    export_roster,
    import_refusal,
    load_roster_file,
    replace_roster,
    roster_as_json,
)
from kkrcore.composition import CompositionInput, compute_composition
from kkrcore.dataset import DatasetError


class UsageError(Exception):
    """A mistake the person at the terminal can fix; the message is the whole explanation."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kkrbot", description="The chat bot of KKR Nordjylland.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run on Telegram (or the console when no token is set)")
    commands.add_parser("console", help="chat with the bot in this terminal as any roster person")
    roster = commands.add_parser("roster", help="the roster").add_subparsers(dest="roster_command", required=True)
    importing = roster.add_parser("import", help="replace the roster from a CSV (with header) or YAML file")
    importing.add_argument("file", type=Path)
    importing.add_argument(
        "--force",
        action="store_true",
        help="import even with fewer members than the composition needs, or with more than half the people removed",
    )
    exporting = roster.add_parser("export", help="write the roster to a CSV or YAML file that import reads back")
    exporting.add_argument("file", type=Path)
    listing = roster.add_parser("list", help="everyone in the roster")
    listing.add_argument("--json", action="store_true")
    invite = commands.add_parser("invite", help="single-use invite links: PERSON-ID<TAB>LINK")
    who = invite.add_mutually_exclusive_group(required=True)
    who.add_argument("person_id", nargs="?")
    who.add_argument("--all", action="store_true", help="everyone not yet bound")
    invite.add_argument(
        "--channel", choices=("telegram", "teams"), default="telegram", help="whose deep link (default telegram)"
    )
    backup = commands.add_parser("backup", help="a consistent, checked copy of the database, taken while the bot runs")
    backup.add_argument(
        "--output",
        type=Path,
        help="file to write (default: kkrbot-<UTC time>.sqlite3 in KKRBOT_BACKUP_DIR, or beside the database)",
    )
    restore = commands.add_parser("restore", help="put a backup in the database's place (the bot must be stopped)")
    restore.add_argument("file", type=Path)
    commands.add_parser("compile-locales", help="compile the gettext catalogs (the Docker build runs this)")
    return parser


async def roster_import(settings: Settings, file: Path, *, force: bool = False) -> str:
    """Nothing changes unless the whole file is valid (R-MEM-4, R-MEM-6) and safe (see `import_refusal`)."""
    conversation = await open_conversation(settings)
    try:
        people = load_roster_file(file, conversation.dataset)
        members_needed = compute_composition(CompositionInput.from_dataset(conversation.dataset)).size
        async with conversation.db.transaction() as conn:
            refusal = import_refusal(await all_people(conn), people, members_needed, force=force)
            if refusal:
                raise RosterError(f"{file}: refused, nothing changed: {refusal}")
            result = await replace_roster(conn, people, utc_now())
            await conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('roster_seeded', ?)", (str(file),))
    finally:
        await conversation.db.close()
    return f"roster imported from {file}: {result.summary()}"


async def roster_export(settings: Settings, file: Path) -> str:
    conversation = await open_conversation(settings)
    try:
        async with conversation.db.read() as conn:
            people = await all_people(conn)
    finally:
        await conversation.db.close()
    export_roster(people, file)
    return f"roster exported to {file}: {len(people)} people"


async def roster_list(settings: Settings, as_json: bool) -> str:
    conversation = await open_conversation(settings)
    try:
        async with conversation.db.read() as conn:
            roster = await Roster.load(conn)
            bound = await bound_people(conn, "telegram")
    finally:
        await conversation.db.close()
    rows = roster_as_json(roster, bound)
    if as_json:
        return json.dumps(rows, ensure_ascii=False, indent=2)
    lines = [f"{'id':<28} {'role':<12} {'municipality':<15} {'party':<5} {'bound':<5} name"]
    for row in rows:
        example = " (example)" if row["example"] else ""
        lines.append(
            f"{row['id']!s:<28} {row['role']!s:<12} {row['municipality'] or '':<15} {row['party'] or '':<5} "
            f"{'yes' if row['telegram_bound'] else 'no':<5} {row['name']}{example}"
        )
    return "\n".join(lines)


async def invites(settings: Settings, person_id: str | None, everyone: bool, channel: str = "telegram") -> str:
    link = None
    if channel == "teams":
        if settings.teams_client_id is None:
            raise UsageError("Teams invites need the Teams settings (KKRBOT_TEAMS_CLIENT_ID is the bot's app id)")
        link = partial(teams_invite_link, settings.teams_client_id)
    conversation = await open_conversation(settings)
    try:
        async with conversation.db.transaction() as conn:
            roster = await Roster.load(conn)
            bound = await bound_people(conn, channel)
            if everyone:
                people = [p for p in roster.people if p.id not in bound]
            elif person_id in roster.by_id:
                people = [roster.by_id[person_id]]
            else:
                raise UsageError(f"no person with id {person_id!r} in the roster (see: kkrbot roster list)")
            links = await issue_invites(
                conn,
                [p.id for p in people],
                settings.bot_username,
                utc_now(),
                timedelta(days=settings.invite_ttl_days),
                link=link,
            )
            lines = [f"{person_id}\t{link}" for person_id, link in links]
    finally:
        await conversation.db.close()
    return "\n".join(lines)


def backup_command(settings: Settings, output: Path | None) -> str:
    destination = output or (settings.backup_dir or settings.database.resolve().parent) / default_backup_name(utc_now())
    report = take_backup(settings.database, destination)
    return f"backup written: {report.path} ({report.size} bytes, schema {report.schema_version}, integrity ok)"


def restore_command(settings: Settings, backup: Path) -> str:
    # Held for the whole restore: a bot that starts meanwhile waits for nothing half-copied; it refuses.
    try:
        with exclusive(settings.database):
            report = restore_backup(backup, settings.database, utc_now())
    except DatabaseInUse as exc:
        raise UsageError(f"{exc}; a backup is restored only while the bot is stopped") from None
    lines = [f"restored {settings.database} from {backup} (integrity ok)"]
    if report.replaced is not None:
        lines.append(f"the replaced database is kept as {report.replaced}")
    if report.reconciled is None:
        lines.append(
            "the replaced database could not be read: messages still queued in the backup will be sent when the "
            "bot starts, even if they had gone out before"
        )
    elif report.replaced is not None:
        sent, processed = report.reconciled
        lines.append(f"from the replaced database: {sent} queued messages had been sent, {processed} updates handled")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        if args.command == "compile-locales":
            print("\n".join(str(path) for path in compile_all()))
            return 0
        if args.command in ("run", "console"):
            configure_logging(settings)
            if args.command == "run" and settings.telegram_token is not None:
                try:
                    asyncio.run(run_telegram(settings))
                except InvalidToken:
                    raise UsageError("Telegram refused KKRBOT_TELEGRAM_TOKEN; check it with @BotFather") from None
                except NetworkError as exc:
                    raise UsageError(f"cannot reach the Telegram Bot API at KKRBOT_TELEGRAM_API_URL: {exc}") from None
                return 0
            if args.command == "run" and settings.teams_enabled:
                asyncio.run(run_teams(settings))
                return 0
            if args.command == "run":
                _ = translator(settings.default_language)
                print(
                    _(
                        "No KKRBOT_TELEGRAM_TOKEN is set, so I start the console. "
                        "To run on Telegram: KKRBOT_TELEGRAM_TOKEN=<token from @BotFather> kkrbot run"
                    ),
                    flush=True,
                )
            asyncio.run(run_console(settings))
            return 0
        if args.command == "roster":
            if args.roster_command == "import":
                print(asyncio.run(roster_import(settings, args.file, force=args.force)))
            elif args.roster_command == "export":
                print(asyncio.run(roster_export(settings, args.file)))
            else:
                print(asyncio.run(roster_list(settings, args.json)))
            return 0
        if args.command == "backup":
            print(backup_command(settings, args.output))
            return 0
        if args.command == "restore":
            print(restore_command(settings, args.file))
            return 0
        if args.command == "invite":
            output = asyncio.run(invites(settings, args.person_id, args.all, args.channel))
            if output:
                print(output)
            return 0
    except (ConfigError, RosterError, DatasetError, UsageError, BackupError) as exc:
        print(f"kkrbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
