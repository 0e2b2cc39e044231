"""`kkrbot`: run the bot, the console, and the secretariat's roster and invite commands.

Every failure a person can cause (a wrong setting, a bad roster file, an unknown id) ends with one line on
stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from functools import partial
from pathlib import Path

import aiosqlite
from telegram.error import InvalidToken, NetworkError

from bot.app import configure_logging, open_conversation, run_console, run_teams, run_telegram, utc_now
from bot.cli_grammar import (
    UsageError,
    add_json,
    add_output,
    add_yes,
    command_name,
    confirm,
    dump_json,
    is_stdout,
    no_meeting,
    not_a_date,
    require_database,
    write_output,
)
from bot.cli_reference import MEETING_JSON, ROSTER_JSON, describe_commands
from bot.config import ConfigError, Settings, load_settings
from bot.core.commands import is_number
from bot.core.conversation import TICK_SECONDS, Conversation
from bot.core.dates import parse_date
from bot.core.turn import Turn
from bot.core.usecases.absence_notices import where
from bot.core.usecases.broadcasts import MAX_UPLOAD_BYTES, AudienceError, make_draft, select_audience, send
from bot.core.usecases.meeting_changes import Effect, carry_out, clock_time, move_from, refusal_text
from bot.core.usecases.meetings import PDF, build_calendar, is_moved, meeting_named
from bot.delivery.message import Document
from bot.election_cli import ElectionError, secretariat_actor
from bot.election_cli import add_parsers as add_election_parsers
from bot.election_cli import run as run_election
from bot.exports import ExportError, attendance_export, minutes_export, record_attendance_command
from bot.i18n import compile_all, translator
from bot.invite_mail_cli import InviteMailError, invites_by_email
from bot.period_cli import add_parsers as add_period_parsers
from bot.period_cli import load_period
from bot.storage import broadcasts as store
from bot.storage.accounts import emulator_invite, issue_invites, teams_invite_link
from bot.storage.backup import (
    BackupError,
    default_backup_name,
    key_beside_backup_note,
    newest_backup_time,
    restore_backup,
    take_backup,
)
from bot.storage.db import first_row
from bot.storage.faults import Unrecoverable
from bot.storage.health import assess, read_health
from bot.storage.lock import DatabaseInUse, exclusive, holder
from bot.storage.meeting_changes import plan
from bot.storage.periods import PeriodError
from bot.storage.restore_report import lacking_in_backup
from bot.storage.roster import (
    Person,
    Roster,
    RosterError,
    all_people,
    bound_people,
    import_refusal,
    load_roster_file,
    replace_roster,
    roster_as_json,
    roster_bytes,
    seats_for_import,
)
from bot.storage.roster_files import FORMATS as ROSTER_FORMATS
from bot.storage.roster_files import format_for
from bot.storage.roster_preview import DryRun, preview
from bot.storage.text_fields import PLACE_LIMIT, text_problem
from kkrcore.dataset import DatasetError
from kkrcore.meeting_changes import AddMeeting, CancelMeeting, MeetingChange
from kkrcore.models import Dataset, Meeting
from kkrcore.reasons import InvalidInput


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kkrbot", description="The chat bot of KKR Nordjylland.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run on Telegram (or the console when no token is set)")
    commands.add_parser("console", help="chat with the bot in this terminal as any roster person")
    roster_help = "the roster: import, export (.xlsx, .csv, .yaml) and list"
    roster = commands.add_parser("roster", help=roster_help).add_subparsers(dest="roster_command", required=True)
    importing = roster.add_parser(
        "import", help="replace the roster from an Excel workbook (.xlsx), a CSV (comma or semicolon) or YAML file"
    )
    importing.add_argument("file", type=Path)
    importing.add_argument(
        "--dry-run", action="store_true", help="show who would be added, updated and removed; change nothing"
    )
    importing.add_argument(
        "--force",
        action="store_true",
        help="import even with fewer members than the composition needs, with more than half the people removed, "
        "or with a personal substitute of another party than their member's",
    )
    exporting = roster.add_parser("export", help="write the roster to a file that import reads back")
    exporting.add_argument("file", nargs="?", help="the file (the same as --output)")
    add_output(exporting, "the roster")
    exporting.add_argument(
        "--format", choices=ROSTER_FORMATS, help="default: by the file's suffix (.xlsx, .yaml, else csv with commas)"
    )
    listing = roster.add_parser("list", help="everyone in the roster")
    add_json(listing, ROSTER_JSON)
    invite = commands.add_parser("invite", help="single-use invite links: PERSON-ID<TAB>LINK")
    who = invite.add_mutually_exclusive_group(required=True)
    who.add_argument("person_id", nargs="?")
    who.add_argument("--all", action="store_true", help="everyone not yet bound (new people of a loaded period too)")
    invite.add_argument(
        "--channel", choices=("telegram", "teams"), default="telegram", help="whose deep link (default telegram)"
    )
    invite.add_argument("--email", action="store_true", help="e-mail each person their link(s) (the roster's address)")
    invite.add_argument("--yes", action="store_true", help="with --email: send without asking")
    add_json(invite, '[{"person_id", "link"}]')
    backup = commands.add_parser("backup", help="a consistent, checked copy of the database, taken while the bot runs")
    backup.add_argument("file", nargs="?", help="the file to write (the same as --output)")
    add_output(backup, "the backup", default="kkrbot-<UTC time>.sqlite3 in KKRBOT_BACKUP_DIR")
    restore = commands.add_parser("restore", help="put a backup in the database's place (the bot must be stopped)")
    restore.add_argument("file", type=Path)
    restore.add_argument(
        "--trust", action="store_true", help="restore a backup this installation did not take (or cannot check)"
    )
    minutes = commands.add_parser("minutes", help="the minutes lines for a meeting: who was absent, who attended")
    minutes.add_argument("date", help="the meeting's date, e.g. 20.11.2026")
    minutes.add_argument("--format", default="md", help="md (default) or csv")
    add_json(minutes, '{"meeting", "held", "basis", "lines": [{"member_id", "substitute_id", "attended", "text"}]}')
    add_output(minutes, "the minutes lines")
    attendance = commands.add_parser(
        "attendance",
        help="a meeting's attendance and quorum; `attendance record DATE [absent|present|substitute IDS]` records "
        "who came, the attendance the quorum is counted from",
    )
    attendance.add_argument("date", nargs="+", help="the meeting's date, e.g. 12.02.2027 (or: record DATE ...)")
    attendance.add_argument("--as", dest="actor", help="the secretariat person recording (default: the first one)")
    add_json(attendance, '{"meeting", "over", "members", "present", "required", "quorate", "absences": [...]}')
    add_output(attendance, "the attendance")
    commands.add_parser("health", help="exit 0 if the running bot polls and ticks, else 1 with what is stale")
    commands.add_parser("compile-locales", help="compile the gettext catalogs (the Docker build runs this)")
    calendar = commands.add_parser("calendar", help="the meetings as an .ics file (for the website)")
    add_output(calendar, "the .ics file")
    broadcast = commands.add_parser(
        "broadcast",
        help="queue a broadcast for the running bot (`broadcast list`, `broadcast show ID` report on them)",
    )
    broadcast.add_argument("words", nargs="*", metavar="list|show ID")
    broadcast.add_argument("--audience", choices=["members", "all", "substitutes"])
    broadcast.add_argument("--municipality")
    broadcast.add_argument("--party")
    broadcast.add_argument("--meeting", help="tie it to the meeting on this date")
    broadcast.add_argument("--text")
    broadcast.add_argument("--text-file", type=Path)
    broadcast.add_argument("--document", type=Path, help="a PDF (at most 50 MB, Telegram's upload limit)")
    broadcast.add_argument("--ack", action="store_true", help="ask for a Seen button")
    add_json(broadcast, "list: [{id, audience, meeting, sent_at, recipients, delivered, ...}]; show: one of those")
    add_yes(broadcast)
    add_election_parsers(commands)
    add_period_parsers(commands)
    meeting = commands.add_parser(
        "meeting",
        help="the meeting plan with its changes; move, cancel or add a meeting (the running bot tells people)",
    )
    meeting.add_argument("action", choices=["list", "move", "cancel", "add"])
    meeting.add_argument(
        "date", nargs="?", metavar="DATE", help="the meeting's date (for add: the new meeting's; for list: only it)"
    )
    meeting.add_argument("--to", metavar="NEW-DATE", help="move: to another day")
    meeting.add_argument("--start", metavar="HH:MM")
    meeting.add_argument("--end", metavar="HH:MM")
    meeting.add_argument("--place")
    meeting.add_argument("--address")
    meeting.add_argument("--reason", help="cancel: the reason everyone told reads")
    add_json(meeting, MEETING_JSON)
    add_yes(meeting)
    meeting.add_argument("--as", dest="actor", help="the secretariat person acting (default: the first one)")
    describe_commands(parser, commands)
    return parser


async def roster_import(settings: Settings, file: Path, *, force: bool = False, dry_run: bool = False) -> str:
    """Nothing changes unless the whole file is valid (R-MEM-4, R-MEM-6) and safe (see `import_refusal`);
    `dry_run` makes the same import and rolls it back, so what it shows is exactly what an import would do."""
    conversation = await open_conversation(settings)
    try:
        async with conversation.db.read() as conn:
            composition = await seats_for_import(conn, conversation.dataset)
        people = load_roster_file(file, conversation.dataset, composition=composition, force=force)
        members_needed = composition.size
        try:
            async with conversation.db.transaction() as conn:
                current = await all_people(conn)
                refusal = import_refusal(current, people, members_needed, force=force)
                if refusal:
                    raise RosterError(f"{file}: refused, nothing changed: {refusal}")
                result = await replace_roster(conn, people, utc_now())
                if dry_run:
                    raise DryRun(preview(current, people, result, conversation.dataset))
                await conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('roster_seeded', ?)", (str(file),))
        except DryRun as shown:
            return f"dry run, nothing changed: an import of {file} would give {shown}"
    finally:
        await conversation.db.close()
    return f"roster imported from {file}: {result.summary()}"


async def roster_export(settings: Settings, args: argparse.Namespace) -> str:
    if args.file is not None and args.output is not None:
        raise UsageError("give the file once: kkrbot roster export FILE, or --output FILE")
    output = args.output if args.output is not None else args.file
    if output is None:
        raise UsageError("write: kkrbot roster export FILE (.xlsx, .csv or .yaml), or --output - for standard output")
    conversation = await open_conversation(settings)
    try:
        async with conversation.db.read() as conn:
            people = await all_people(conn)
    finally:
        await conversation.db.close()
    content = roster_bytes(people, format_for(Path(output), args.format))
    written = write_output(content, output, what="roster")
    return written and f"{written}: {len(people)} people"


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


async def invites(
    settings: Settings, person_id: str | None, everyone: bool, channel: str = "telegram", *, as_json: bool = False
) -> str:
    link = None
    if channel == "teams" and settings.teams_emulator:
        link = emulator_invite
    elif channel == "teams":
        if settings.teams_client_id is None:
            raise UsageError("Teams invites need the Teams settings (KKRBOT_TEAMS_CLIENT_ID is the bot's app id)")
        link = partial(teams_invite_link, settings.teams_client_id)
    conversation = await open_conversation(settings)
    try:
        async with conversation.db.transaction() as conn:
            roster = await Roster.load(conn)
            bound = await bound_people(conn, channel)
            if everyone:
                people = [p for p in roster.invitable if p.id not in bound]
            elif person_id in (invitable := {p.id: p for p in roster.invitable}):
                people = [invitable[person_id]]
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
    finally:
        await conversation.db.close()
    if as_json:
        return dump_json([{"person_id": person_id, "link": link} for person_id, link in links])
    return "\n".join(f"{person_id}\t{link}" for person_id, link in links)


def backup_command(settings: Settings, args: argparse.Namespace) -> str:
    if args.file is not None and args.output is not None:
        raise UsageError("give the file once: kkrbot backup FILE, or --output FILE")
    output = args.output if args.output is not None else args.file
    if output is not None and is_stdout(output):
        return backup_to_stdout(settings)
    if output is not None:
        destination = Path(output)
    else:
        folder = settings.backup_dir or settings.database.resolve().parent
        if settings.backup_dir is None and in_source_checkout(folder):
            raise UsageError(
                f"{folder} is a source checkout, no place for backups (they hold personal data): "
                "set KKRBOT_BACKUP_DIR or give --output FILE"
            )
        destination = folder / default_backup_name(utc_now())
    report = take_backup(settings.database, destination)
    line = f"backup written: {report.path} ({report.size} bytes, schema {report.schema_version}, integrity ok)"
    return line + key_beside_backup_note(settings.database, report.path)


def in_source_checkout(folder: Path) -> bool:
    """A folder of kkrbot's own source (or any git work tree): backups there end up in commits or `git clean`."""
    return any((folder / marker).exists() for marker in (".git", "pyproject.toml"))


def backup_to_stdout(settings: Settings) -> str:
    """`kkrbot backup -`: the same checked copy, streamed (to ssh, gpg, ...) and then removed."""
    with tempfile.TemporaryDirectory() as folder:
        report = take_backup(settings.database, Path(folder) / default_backup_name(utc_now()))
        with report.path.open("rb") as copy:
            shutil.copyfileobj(copy, sys.stdout.buffer)
        sys.stdout.buffer.flush()
    return ""


def restore_command(settings: Settings, backup: Path, *, trust: bool = False) -> str:
    # Held for the whole restore: a bot that starts meanwhile waits for nothing half-copied; it refuses.
    try:
        with exclusive(settings.database):
            report = restore_backup(backup, settings.database, utc_now(), trust=trust)
    except DatabaseInUse as exc:
        raise UsageError(f"{exc}; a backup is restored only while the bot is stopped") from None
    lines = [f"restored {settings.database} from {backup} (integrity ok)"]
    if report.replaced is not None:
        lines += lacking_in_backup(report.replaced, settings.database)
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


async def calendar_ics(settings: Settings) -> bytes:
    conversation = await open_conversation(settings)
    try:
        async with conversation.db.read() as conn:
            _ = translator(settings.default_language, settings.tz)
            return build_calendar(await plan(conn, conversation.dataset), _, utc_now())
    finally:
        await conversation.db.close()


def _broadcast_json(broadcast: store.Broadcast, states: list[store.RecipientState]) -> dict[str, object]:
    return {
        "id": broadcast.number,  # the broadcast's number, as the chat shows it and `show` takes it
        "audience": broadcast.audience,
        "meeting": broadcast.meeting_id,
        "sent_at": broadcast.sent_at.isoformat() if broadcast.sent_at else None,
        **store.count(states).as_json(),
    }


async def broadcast_command(settings: Settings, args: argparse.Namespace) -> str:
    """Queues against the running bot's database; the bot's own outbox worker sends it (no second Telegram
    connection). `list` and `show ID` read the same counts the chat shows."""
    words = args.words
    conversation = await open_conversation(settings)
    try:
        if words and words[0] == "list" and len(words) == 1:
            async with conversation.db.read() as conn:
                found = [(b, await store.recipient_states(conn, b.id)) for b in await store.recent_broadcasts(conn)]
            if args.json:
                return dump_json([_broadcast_json(b, s) for b, s in found])
            return "\n".join(
                "{id}\t{sent_at}\t{audience}\trecipients={recipients} delivered={delivered} failed={failed} "
                "pending={pending} acknowledged={acknowledged}".format(**_broadcast_json(b, s))
                for b, s in found
            )
        if words and words[0] == "show" and len(words) == 2 and is_number(words[1]):
            async with conversation.db.read() as conn:
                broadcast = await store.broadcast_by_number(conn, int(words[1]))
                if broadcast is None:
                    raise UsageError(f"no broadcast {words[1]} (see: kkrbot broadcast list)")
                states = await store.recipient_states(conn, broadcast.id)
            shown = _broadcast_json(broadcast, states) | {
                "text": broadcast.text,
                "recipient_states": [
                    {"person_id": s.person_id, "state": s.state.value, "reason": s.reason} for s in states
                ],
            }
            if args.json:
                return json.dumps(shown, ensure_ascii=False, indent=2)
            lines = [f"{key}: {value}" for key, value in shown.items() if key != "recipient_states"]
            lines += [f"  {s.person_id}\t{s.state.value}\t{s.reason or ''}" for s in states]
            return "\n".join(lines)
        if words:
            raise UsageError("write: kkrbot broadcast --audience ... --text ..., broadcast list, or broadcast show ID")
        return await _queue_broadcast(settings, conversation, args)
    finally:
        await conversation.db.close()


async def _queue_broadcast(settings: Settings, conversation: Conversation, args: argparse.Namespace) -> str:
    if args.audience is None:
        raise UsageError("--audience members|all|substitutes is required")
    if (args.text is None) == (args.text_file is None):
        raise UsageError("give the message with --text TEXT or --text-file FILE")
    try:
        text = (args.text if args.text is not None else args.text_file.read_text(encoding="utf-8")).strip()
    except OSError as exc:
        raise UsageError(f"cannot read {args.text_file}: {exc.strerror}") from None
    if not text:
        raise UsageError("the message is empty")
    document = None
    if args.document is not None:
        try:
            content = args.document.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {args.document}: {exc.strerror}") from None
        if not content.startswith(b"%PDF"):
            raise UsageError(f"{args.document} is not a PDF")
        if len(content) > MAX_UPLOAD_BYTES:
            raise UsageError(f"{args.document} is over Telegram's 50 MB limit for a bot's upload")
        document = Document(filename=args.document.name, content=content, mime_type=PDF)
    meeting_id = None
    if args.meeting is not None:
        async with conversation.db.read() as conn:
            meeting = meeting_named(await plan(conn, conversation.dataset), args.meeting)
        if meeting is None:
            raise UsageError(no_meeting(args.meeting))
        meeting_id = meeting.id
    async with conversation.db.read() as conn:
        audience = _audience(await Roster.load(conn), args, conversation.dataset)
    confirm(f"Send this broadcast to {len(audience)} people ({args.audience})?", yes=args.yes)
    now = utc_now()
    async with conversation.db.transaction() as conn:
        people = _audience(await Roster.load(conn), args, conversation.dataset)
        broadcast_id = await make_draft(
            conn,
            conversation,
            people,
            sender_id=None,
            now=now,
            audience=" ".join(filter(None, (args.audience, args.municipality, args.party))),
            text=text,
            meeting_id=meeting_id,
            ack=args.ack,
            document=document,
        )
        reachable = len({person for person, _channel, _address in await store.routes_of(conn, broadcast_id)})
        if reachable == 0:
            raise UsageError(
                f"nobody in that audience is connected to the bot; nothing was queued{await _no_channel(conn)}"
            )
        await send(conn, conversation, broadcast_id, now, await plan(conn, conversation.dataset))
        sent = await store.get_broadcast(conn, broadcast_id)
        assert sent is not None
    return f"broadcast {sent.number} queued: {len(people)} recipients, {reachable} reachable"


def _audience(roster: Roster, args: argparse.Namespace, dataset: Dataset) -> list[Person]:
    try:
        return select_audience(roster, args.audience, municipality=args.municipality, party=args.party, dataset=dataset)
    except AudienceError as exc:
        raise UsageError(f"unknown municipality or party: {exc}") from None


async def _no_channel(conn: aiosqlite.Connection) -> str:
    """On a database nobody has joined by a chat channel (the console's, say), what a broadcast needs."""
    if await first_row(conn, "SELECT 1 FROM accounts LIMIT 1"):
        return ""
    return (
        " (nobody has joined on Telegram or Teams yet; the console reaches the roster only while you type in it: "
        "send invites with kkrbot invite --all and run the bot with KKRBOT_TELEGRAM_TOKEN or the Teams settings)"
    )


def _meeting_json(meeting: Meeting) -> dict[str, object]:
    return {
        "id": meeting.id,
        "start": meeting.start.isoformat(),
        "end": meeting.end.isoformat(),
        "place": meeting.place,
        "address": meeting.address,
        "extra": meeting.extra,
        "cancelled": meeting.cancelled,
        "sequence": meeting.sequence,
        "moved_from": meeting.id if is_moved(meeting) else None,
    }


def _meeting_state(meeting: Meeting) -> str:
    if meeting.cancelled:
        return "cancelled"
    if meeting.extra:
        return "extra"
    if is_moved(meeting):
        return "moved"
    return "changed" if meeting.sequence else "planned"


def _change_question(args: argparse.Namespace, meetings: Sequence[Meeting], change: MeetingChange) -> str:
    """What the confirmation asks: the change in words, and that everyone concerned is told."""
    if isinstance(change, AddMeeting):
        what = f"Add an extra meeting on {change.start:%Y-%m-%d %H:%M}-{change.end:%H:%M} in {change.place}"
    else:
        meeting = next(m for m in meetings if m.id == change.meeting_id)
        verb = "Cancel" if isinstance(change, CancelMeeting) else "Change"
        what = f"{verb} the meeting of {meeting.start:%Y-%m-%d %H:%M} ({meeting.id})"
    return f"{what}? Everyone concerned is told at once."


def _clock_option(text: str | None, name: str) -> time | None:
    if text is None:
        return None
    clock = clock_time(text)
    if clock is None:
        raise UsageError(f"--{name} must be a time of day like 13:00, not {text!r}")
    return clock


async def meeting_command(settings: Settings, args: argparse.Namespace) -> str:
    """`kkrbot meeting list|move|cancel|add`: the same change as the chat's /moede Send (`carry_out`), made in
    the running bot's database; its outbox worker tells everyone concerned, no second Telegram connection."""
    conversation = await open_conversation(settings)
    try:
        async with conversation.db.read() as conn:
            meetings = await plan(conn, conversation.dataset)
        if args.action == "list":
            if args.date is not None:
                named = meeting_named(meetings, args.date, utc_now().astimezone(settings.tz).date())
                if named is None:
                    raise UsageError(no_meeting(args.date))
                meetings = (named,)
            if args.json:
                return dump_json([_meeting_json(m) for m in meetings])
            return "\n".join(
                f"{m.id:<18} {m.start:%Y-%m-%d %H:%M}-{m.end:%H:%M} {_meeting_state(m):<9} {where(m)}" for m in meetings
            )
        if args.date is None:
            raise UsageError(f"write: kkrbot meeting {args.action} DATE")
        zone, now = settings.tz, utc_now()
        start, end = _clock_option(args.start, "start"), _clock_option(args.end, "end")
        for option, value in (("--place", args.place), ("--address", args.address)):
            if value and (problem := text_problem(value, PLACE_LIMIT)):
                raise UsageError(f"{option}: {problem.english}")
        change: MeetingChange
        if args.action == "add":
            day = parse_date(args.date, now.astimezone(zone).date())
            if day is None:
                raise UsageError(not_a_date(args.date))
            if start is None or end is None or not args.place:
                raise UsageError("an extra meeting needs --start, --end and --place")
            change = AddMeeting(
                made_at=now,
                start=datetime.combine(day, start, tzinfo=zone),
                end=datetime.combine(day, end, tzinfo=zone),
                place=args.place,
                address=args.address,
            )
        else:
            meeting = meeting_named(meetings, args.date, now.astimezone(zone).date())
            if meeting is None:
                raise UsageError(no_meeting(args.date))
            if args.action == "cancel":
                change = CancelMeeting(meeting_id=meeting.id, made_at=now)
            else:
                to_day = parse_date(args.to, now.astimezone(zone).date()) if args.to else None
                if args.to and to_day is None:
                    raise UsageError(not_a_date(args.to))
                change = move_from(meeting, zone, now, to_day, start, end, args.place, args.address)
        actor = await secretariat_actor(conversation, args.actor)
        confirm(_change_question(args, meetings, change), yes=args.yes)
        effects: list[Effect] = []

        async def change_it(turn: Turn) -> None:
            effects.append(await carry_out(turn, change, reason=args.reason or None))

        try:
            await conversation.act(actor, "meeting", [args.action, args.date], change_it)
        except InvalidInput as refused:
            raise UsageError(refusal_text(refused, translator("en", zone))) from None
    finally:
        await conversation.db.close()
    [effect] = effects
    done = {"add": "added", "move": "moved", "cancel": "cancelled"}[args.action]
    if args.json:
        return dump_json(
            {"action": args.action, "meeting": _meeting_json(effect.after), "concerned": len(effect.told),
             "told": effect.reachable}
        )  # fmt: skip
    return (
        f"meeting {effect.after.id} {done}: {effect.after.start:%Y-%m-%d %H:%M}-{effect.after.end:%H:%M} "
        f"{where(effect.after)}; {len(effect.told)} people concerned, {effect.reachable} told"
        + "".join(f"; note: {warning.value.replace('_', ' ')}" for warning in effect.warnings)
        + (
            "; note: the next council's constituent meeting, whose members are not loaded: tell them once the next "
            "period is loaded (kkrbot period load)"
            if effect.unloaded
            else ""
        )
    )


async def export(settings: Settings, args: argparse.Namespace) -> str:
    conversation = await open_conversation(settings)
    try:
        if args.command == "minutes":
            fmt = "json" if args.json else args.format
            content = await minutes_export(conversation.db, conversation.dataset, settings, args.date, fmt, utc_now())
        elif args.date[0] == "record":
            return await record_attendance_command(conversation, args.date[1:], args.actor)
        else:
            content = await attendance_export(
                conversation.db, conversation.dataset, settings, " ".join(args.date), utc_now(), as_json=args.json
            )
        return write_output(content, args.output, what=args.command)
    except ExportError as exc:
        raise UsageError(str(exc)) from None
    finally:
        await conversation.db.close()


def run(command: str, settings: Settings) -> None:
    """`kkrbot run`: Telegram when a token is set, else Teams when configured, else the console."""
    if command == "run" and settings.telegram_token is not None:
        try:
            asyncio.run(run_telegram(settings))
        except InvalidToken:
            raise UsageError("Telegram refused KKRBOT_TELEGRAM_TOKEN; check it with @BotFather") from None
        except NetworkError as exc:
            raise UsageError(f"cannot reach the Telegram Bot API at KKRBOT_TELEGRAM_API_URL: {exc}") from None
        return
    if command == "run" and settings.teams_enabled:
        asyncio.run(run_teams(settings))
        return
    if command == "run":
        _ = translator(settings.default_language)
        print(
            _(
                "No KKRBOT_TELEGRAM_TOKEN is set, so I start the console. "
                "To run on Telegram: KKRBOT_TELEGRAM_TOKEN=<token from @BotFather> kkrbot run"
            ),
            flush=True,
        )
    asyncio.run(run_console(settings))


def health(settings: Settings) -> tuple[bool, str]:
    """Reads the running bot's heartbeats from its database (read-only) and says whether it is alive."""
    now = datetime.now(UTC)
    try:
        found = read_health(settings.database, now)
    except (OSError, sqlite3.Error) as exc:
        return False, f"unhealthy: cannot read the database {settings.database}: {exc}"
    healthy, line = assess(
        found,
        now,
        max_age=settings.health_max_age_seconds,
        tick_every=TICK_SECONDS,
        polling=settings.telegram_token is not None,
        running=holder(settings.database) is not None,
    )
    if not healthy and settings.telegram_token is None and not settings.teams_enabled:
        line += (
            "; no chat channel is set (KKRBOT_TELEGRAM_TOKEN or KKRBOT_TEAMS_*): health checks a bot that kkrbot run "
            "keeps on Telegram or Teams, not the console"
        )
    return healthy, line + backup_age(settings, now)


def backup_age(settings: Settings, now: datetime) -> str:
    """With automatic backups on, the age of the newest one, so a stale backup shows where operators look."""
    if settings.backup_dir is None:
        return ""
    newest = newest_backup_time(settings.backup_dir)
    if newest is None:
        return f"; no automatic backup yet in {settings.backup_dir}"
    return f"; newest automatic backup {(now - newest).total_seconds() / 3600:.1f} h old"


def describe(exc: BaseException, file: Path | None) -> str:
    """One line for a failure of the machine or of a file, rather than a traceback."""
    if isinstance(exc, UnicodeDecodeError):
        return f"{file or 'a file'} is not UTF-8 text (byte {exc.start}); save it as UTF-8"
    if isinstance(exc, OSError):
        return f"{exc.filename or file or 'a file'}: {exc.strerror or exc}"
    if isinstance(exc, sqlite3.Error):
        return f"the database cannot be used: {exc}"
    return f"unexpected {type(exc).__name__}: {exc}"


def say(text: str) -> None:
    """Prints a command's answer; nothing for a command that wrote its content to standard output itself."""
    if text:
        print(text)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _main(args)
    except BrokenPipeError:
        # `kkrbot roster list | head`: the reader has gone; nothing more to say, and no traceback at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def _main(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
        require_database(settings.database, command_name(args))
        if args.command == "health":
            healthy, line = health(settings)
            print(line, file=sys.stdout if healthy else sys.stderr)
            return 0 if healthy else 1
        if args.command == "compile-locales":
            print("\n".join(str(path) for path in compile_all()))
            return 0
        if args.command in ("run", "console"):
            configure_logging(settings)
            # Held for the whole run: a second bot on this database would poll and send everything twice.
            with exclusive(settings.database):
                run(args.command, settings)
            return 0
        if args.command == "roster":
            if args.roster_command == "import":
                print(asyncio.run(roster_import(settings, args.file, force=args.force, dry_run=args.dry_run)))
            elif args.roster_command == "export":
                say(asyncio.run(roster_export(settings, args)))
            else:
                print(asyncio.run(roster_list(settings, args.json)))
            return 0
        if args.command == "backup":
            say(backup_command(settings, args))
            return 0
        if args.command == "restore":
            print(restore_command(settings, args.file, trust=args.trust))
            return 0

        if args.command == "calendar":
            say(write_output(asyncio.run(calendar_ics(settings)), args.output, what="calendar", public=True))
            return 0
        if args.command == "broadcast":
            print(asyncio.run(broadcast_command(settings, args)))
            return 0
        if args.command == "meeting":
            print(asyncio.run(meeting_command(settings, args)))
            return 0
        if args.command in ("minutes", "attendance"):
            say(asyncio.run(export(settings, args)))
            return 0
        if args.command == "period":
            print(asyncio.run(load_period(settings, args)))
            return 0
        if args.command in ("election", "forum", "chair"):
            print(asyncio.run(run_election(settings, args)))
            return 0
        if args.command == "invite" and args.email:
            print(asyncio.run(invites_by_email(settings, args.person_id, args.all, yes=args.yes)))
            return 0
        if args.command == "invite":
            say(asyncio.run(invites(settings, args.person_id, args.all, args.channel, as_json=args.json)))
            return 0
    except (
        ConfigError,
        RosterError,
        DatasetError,
        UsageError,
        BackupError,
        DatabaseInUse,
        Unrecoverable,
        ElectionError,
        InviteMailError,
        PeriodError,
    ) as exc:
        print(f"kkrbot: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        raise
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # every failure is one line and exit 2, never a traceback
        print(f"kkrbot: {describe(exc, getattr(args, 'file', None))}", file=sys.stderr)
        return 2
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
