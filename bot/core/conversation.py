"""The conversation core: takes a `Request`, runs the use case, and writes its replies and notifications
to the outbox in the same transaction as any change it made (and as the inbox mark, when given).

Use cases are registered in `USE_CASES`, the one place that says which function answers which command.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

import aiosqlite

from bot.config import Language, Settings
from bot.core.commands import BY_NAME, INVALID_BUTTON, find_command
from bot.core.messages import Outcome, Request
from bot.core.turn import Turn, UseCase, display_name
from bot.core.usecases import (
    absence_notices,
    appointments,
    attendance_record,
    broadcasts,
    calendar_feed,
    chair_record,
    channel_choice,
    composition,
    crossing,
    departures,
    elections,
    fora,
    general,
    mail_invitations,
    meeting_changes,
    meetings,
    onboarding,
    people,
    personal,
    scheduled,
    status,
    typed_answers,
)
from bot.core.usecases.period import roster_in_window, term_begins
from bot.delivery.inbox import mark_processed
from bot.delivery.message import Message
from bot.delivery.outbox import ATTEMPTS_USED, DEADLINE_PASSED, UNSENDABLE, DeliveryResult, OutboxItem, enqueue
from bot.i18n import Translator, normalise_language, translator
from bot.storage.account_languages import account_language, person_account_language, remember_language
from bot.storage.accounts import notification_routes
from bot.storage.backup import (
    BackupError,
    default_backup_name,
    newest_backup_time,
    prune_backups,
    take_backup,
)
from bot.storage.broadcasts import is_broadcast_row
from bot.storage.db import Database, first_row, utc_text
from bot.storage.health import PROCESSOR, beat, channel_beat
from bot.storage.periods import StoredPeriod, current_row, next_row, opened_ids, stored_periods
from bot.storage.roster import Asker, Role, Roster, RosterCache, find_asker
from kkrcore.models import Dataset

log = logging.getLogger(__name__)

USE_CASES: Mapping[str, UseCase] = {
    "start": onboarding.start_case,
    "help": general.help_case,
    "language": general.language_case,
    "next": meetings.next_meeting_case,
    "status": status.status_case,
    "mydata": personal.my_data_case,
    "meetings": meetings.all_meetings_case,
    "calendar": calendar_feed.calendar_case,
    "substitute": people.substitute_case,
    "members": people.members_case,
    "composition": composition.composition_case,
    "invite": onboarding.invite_case,
    "agenda": meetings.set_agenda_case,
    "absent": absence_notices.absent_case,
    "undo": absence_notices.undo_case,
    "cover": absence_notices.cover_case,
    "attendance": attendance_record.attendance_case,
    "minutes": attendance_record.minutes_case,
    "broadcast": broadcasts.broadcast_case,
    "broadcasts": broadcasts.broadcasts_case,
    "meeting": meeting_changes.meeting_change_case,
    "seen": broadcasts.seen_case,
    "channel": channel_choice.channel_case,
    "alliance": elections.valgforbund_case,
    "chair": chair_record.chair_case,
    "appointments": fora.appointments_case,
    "forum": fora.forum_case,
    "nomination": appointments.nomination_case,
    "departure": departures.departure_case,
}

# What runs on every tick of the clock, in this order.
SCHEDULED: tuple[UseCase, ...] = (
    crossing.cross_into_period,  # first: the rest of the tick works for the period that has begun
    scheduled.send_reminders,
    scheduled.remind_to_load_next_period,
    scheduled.escalate_unanswered,
    absence_notices.tell_changed_answers,
    broadcasts.report_finished,
    scheduled.forget_old_messages,
    appointments.remind_erhvervshus,
    mail_invitations.send_invitations,
)

TICK_SECONDS = 60
# A channel's processor records that it works (its heartbeat, for `kkrbot health`) with an answer at most this
# often: under load, a beat with every answer was a statement per answer that told health nothing new, and health's
# limit (KKRBOT_HEALTH_MAX_AGE_SECONDS) is far longer.
PROCESSOR_BEAT_SECONDS = 1.0
ABSENT = BY_NAME["absent"]

# Not commands: what a channel sends for anything that is not one.
FREE_TEXT = "__text__"

# What a person may send us, in characters: an agenda or a broadcast is a long text; anything else is a date,
# an id or a word, and a longer input is refused before any use case reads it.
AGENDA_INPUT_LIMIT = 4000
INPUT_LIMIT = 200
LONG_TEXT_COMMANDS = frozenset({"agenda", "broadcast"})


UNDELIVERABLE_REPORT_INTERVAL = timedelta(hours=1)


def undeliverable_reason(result: DeliveryResult, _: Translator) -> str:
    """Why a message could not be delivered, in words for the secretariat (channels report codes)."""
    error = (result.error or "").lower()
    if result.set_aside == ATTEMPTS_USED:
        return _("the chat service failed it again and again while other messages went through")
    if result.set_aside == DEADLINE_PASSED:
        return _("it could not be sent before the meeting began, when it stopped mattering")
    if result.set_aside == UNSENDABLE:
        return _("the bot could not send it (our error; it is in the log)")
    if result.blocked or "blocked" in error:
        return _("they have blocked the bot")
    if "too long" in error:
        return _("our message was too long (our error; it is in the log)")
    if "chat not found" in error or "deactivated" in error or "kicked" in error:
        return _("their chat no longer exists")
    if "recipient refused" in error:
        return _("the mail server refused their e-mail address")
    if "mail server" in error:
        return _("the mail server refused the e-mail")
    return _("the chat service refused it")


def backup_is_due(newest: datetime | None, now: datetime, settings: Settings) -> bool:
    """Due when no backup has been taken since the last quiet hour (local time) that has passed."""
    local = now.astimezone(settings.tz)
    quiet = local.replace(hour=settings.backup_hour, minute=0, second=0, microsecond=0)
    if local < quiet:
        quiet -= timedelta(days=1)
    return newest is None or newest < quiet


class Router(Protocol):
    """Where a person can be reached: a list of (channel, address)."""

    async def routes(self, conn: aiosqlite.Connection, person_id: str) -> list[tuple[str, str]]: ...


class AccountRouter:
    """Production routing: the accounts bound with an invite, or the one channel chosen with /kanal; with
    e-mail on, the roster's address for a person without a chat account."""

    def __init__(self, *, email: bool = False) -> None:
        self.email = email

    async def routes(self, conn: aiosqlite.Connection, person_id: str) -> list[tuple[str, str]]:
        return await notification_routes(conn, person_id, email=self.email)


class Conversation:
    def __init__(
        self,
        db: Database,
        dataset: Dataset,
        settings: Settings,
        clock: Callable[[], datetime],
        router: Router | None = None,
    ) -> None:
        self.db = db
        # The data file the bot was started with: the first period's, until a loaded period begins (R-PER-1).
        self.first_dataset = dataset
        self.periods: tuple[StoredPeriod, ...] = ()
        self._periods_version: int | None = None
        self._merged: dict[tuple[str | None, str | None], Dataset] = {}
        self._councils: dict[str, Roster] = {}
        self._opened: frozenset[str] | None = None
        # The roster of the window between the terms, with the key and the roster it was made from (kept alive,
        # so that the id in the key is not reused).
        self._window: tuple[tuple[int, str], Roster, Roster] | None = None
        self.settings = settings
        self.clock = clock
        self.router: Router = router or AccountRouter(email=settings.email_enabled)
        self._after_commit: list[Callable[[], None]] = []
        self._rosters = RosterCache()
        # When each channel's processor beat last (the event loop's clock), see PROCESSOR_BEAT_SECONDS.
        self._beaten: dict[str, float] = {}

    @property
    def dataset(self) -> Dataset:
        """The current period's data, by the clock (R-PER-1)."""
        return self.dataset_at(self.clock())

    @dataset.setter
    def dataset(self, dataset: Dataset) -> None:
        """Replaces the data of the period the bot was started with (a test's variant of the data file)."""
        self.first_dataset = dataset
        self._merged = {}
        self._opened = None

    def dataset_at(self, now: datetime, *, with_next: bool = True) -> Dataset:
        """The data of the period current at `now` (R-PER-1), its plan with the plans of the periods before it in
        front, so earlier meetings keep their minutes, and (`with_next`) a loaded next period's plan after it: its
        constituent meeting as the new data file has it, and its meetings as far as known."""
        row = current_row(self.periods, now)
        coming = next_row(self.periods, now) if with_next else None
        key = (row.name if row else None, coming.name if coming else None)
        if key not in self._merged:
            meetings = list(self.first_dataset.meetings)
            for period in self.periods:
                if period is row or period is coming or period.constituent.start < (row or period).constituent.start:
                    start = period.constituent.start
                    meetings = [*(m for m in meetings if m.start < start), *period.dataset.meetings]
            base = row.dataset if row else self.first_dataset
            self._merged[key] = base.model_copy(update={"meetings": meetings}) if row or coming else base
        return self._merged[key]

    def next_period_at(self, now: datetime) -> StoredPeriod | None:
        """The loaded period whose constituent meeting is still to come, if one is loaded."""
        return next_row(self.periods, now)

    def council_roster(self, period: StoredPeriod) -> Roster:
        """A loaded period's roster, as its council: for its constituent meeting before the crossing."""
        if period.name not in self._councils:
            self._councils[period.name] = Roster(period.people)
        return self._councils[period.name]

    @property
    def opened(self) -> frozenset[str]:
        """The ids of the constituent meetings whose period's data the bot holds and acts on: the first period's and
        every loaded period's (a next one's too: its council acts for its constituent meeting)."""
        if self._opened is None:
            self._opened = opened_ids(self.first_dataset, self.periods)
        return self._opened

    async def refresh_periods(self, conn: aiosqlite.Connection, version: int | None = None) -> None:
        """Reads the stored periods again when the roster's version changed (a period's load or crossing counts as
        a roster change, migration 23), from any process."""
        if version is None:
            row = await first_row(conn, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'roster_version'")
            version = row[0] if row else None
        if version is None or version != self._periods_version:
            self.periods = await stored_periods(conn)
            self._merged = {}
            self._opened = None
            self._councils = {}
            self._periods_version = version

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Outbox workers register here to be woken when there is something new to send."""
        self._after_commit.append(callback)

    def _committed(self) -> None:
        for callback in self._after_commit:
            self.db.when_committed(callback)

    async def language_of(self, conn: aiosqlite.Connection, person_id: str | None, hint: str | None) -> Language:
        """One rule for every channel, for answers and notifications alike: the person's /sprog, else the
        roster's language, else the language their account first said (account_languages), else `hint`."""
        if person_id is not None:
            row = await first_row(
                conn,
                "SELECT l.language, p.language FROM persons p LEFT JOIN language_choices l ON l.person_id = p.id "
                "WHERE p.id = ?",
                (person_id,),
            )
            found = (row[0] or row[1]) if row else None
            if found or (found := await person_account_language(conn, person_id)):
                return normalise_language(found, self.settings.default_language)
        return normalise_language(hint, self.settings.default_language)

    async def translator_for(
        self, conn: aiosqlite.Connection, person_id: str | None, hint: str | None = None
    ) -> Translator:
        return translator(await self.language_of(conn, person_id, hint), self.settings.tz)

    async def roster(
        self, conn: aiosqlite.Connection, version: int | None = None, now: datetime | None = None
    ) -> Roster:
        """The roster as `conn` sees it, loaded again only after it changed (RosterCache); with a next period
        loaded, from the municipal term's start (`now`, the turn's clock) the council of the window between the
        terms (R-MEM-1, R-MEM-5, `roster_in_window`)."""
        roster = await self._rosters.get(conn, version)
        coming = self.next_period_at(now or self.clock())
        if coming is None or (now or self.clock()) < term_begins(coming):
            return roster
        key = (id(roster), coming.name)
        if self._window is None or self._window[0] != key:
            self._window = (key, roster, roster_in_window(roster, coming))
        return self._window[2]

    def forget_roster(self) -> None:
        """After a change to `persons` was rolled back (a preview, `Turn.rehearse`): the version it counted up to
        will be counted again by another change, so the roster loaded under it must not be kept."""
        self._rosters = RosterCache()
        self._periods_version = None

    async def _asker(self, conn: aiosqlite.Connection, request: Request) -> tuple[Request, Asker, Translator]:
        """Who asks and in which language, in one read inside the request's transaction: a request without
        `person_id` is identified by the account it came from (the bindings made by invites)."""
        asker = await find_asker(conn, self._rosters, request.person_id, request.channel, request.address)
        person = asker.person
        if person is not None and request.person_id is None:
            request = request.model_copy(update={"person_id": person.id})
        remembered = False
        if request.language_hint and asker.account_language is None:
            # The account's language is fixed at its first message that says one (the rule of `language_of`).
            first = normalise_language(request.language_hint, self.settings.default_language)
            await remember_language(conn, request.channel, request.address, first, self.clock())
            remembered = True
        language = (asker.chosen_language or person.language) if person else None
        if not language and not remembered:
            # As find_asker read them: nothing was written since.
            language = asker.person_account_language if person else asker.account_language
        elif not language:
            language = await (
                person_account_language(conn, person.id)
                if person
                else account_language(conn, request.channel, request.address)
            )
        return (
            request,
            asker,
            translator(normalise_language(language, self.settings.default_language), self.settings.tz),
        )

    async def _turn(self, conn: aiosqlite.Connection, request: Request) -> Turn:
        """The turn for a request: who asks, in their language, with the roster's version read with them."""
        request, asker, _ = await self._asker(conn, request)
        await self.refresh_periods(conn, asker.roster_version)
        turn = Turn(
            conn=conn,
            request=request,
            person=asker.person,
            _=_,
            now=self.clock(),
            conversation=self,
            roster_version=asker.roster_version,
        )
        if turn.person is not None and ABSENT.allows(turn.person.role):
            turn.absence_open = await absence_notices.has_absence_choice(turn)
        return turn

    async def handle(self, request: Request, *, update_id: int | None = None) -> Outcome:
        """Answers one request. With `update_id`, a replayed update that was already handled is skipped."""
        started = asyncio.get_running_loop().time()
        beat_due = started - self._beaten.get(request.channel, -PROCESSOR_BEAT_SECONDS) >= PROCESSOR_BEAT_SECONDS
        try:
            async with self.db.transaction() as conn:
                # Marking first is the replay check too: an update that was handled before changes no row.
                if update_id is not None and not await mark_processed(conn, request.channel, update_id, self.clock()):
                    return Outcome()
                if beat_due:
                    await beat(conn, channel_beat(request.channel, PROCESSOR), datetime.now(UTC))
                turn = await self._turn(conn, request)
                await self._dispatch(turn)
                await self._persist(conn, turn)
        except BaseException:
            self.forget_roster()  # what the failed turn read after a change of its own was rolled back with it
            raise
        if beat_due:
            self._beaten[request.channel] = started
        self._committed()
        return turn.outcome

    async def apologise(self, request: Request, *, update_id: int | None = None) -> None:
        """After a use case failed: tell the person, and mark the update done so it is not replayed forever."""
        async with self.db.transaction() as conn:
            request, _person, _ = await self._asker(conn, request)
            message = Message(
                text=_("Sorry, something went wrong on my side. The secretariat can see the error; please try again."),
            )
            await enqueue(conn, request.channel, request.address, request.person_id, message, self.clock())
            if update_id is not None:
                await mark_processed(conn, request.channel, update_id, self.clock())
        self._committed()

    def _system_turn(self, conn: aiosqlite.Connection, command: str) -> Turn:
        request = Request(channel="system", address="system", command=command)
        return Turn(
            conn=conn,
            request=request,
            person=None,
            _=translator(self.settings.default_language, self.settings.tz),
            now=self.clock(),
            conversation=self,
        )

    async def tick(self) -> None:
        """Reminders, escalations and retention; channels call this every `TICK_SECONDS`."""
        async with self.db.transaction() as conn:
            await self.refresh_periods(conn)
            turn = self._system_turn(conn, "tick")
            for use_case in SCHEDULED:
                await use_case(turn)
            await self._persist(conn, turn)
        if turn.outcome.notifications:
            self._committed()
        # Forgotten contents (a delivered invite link, pruned messages) also leave the WAL within one tick.
        await self.db.checkpoint()
        await self.scheduled_backup()

    async def scheduled_backup(self) -> Path | None:
        """Once a day after the quiet hour, when `KKRBOT_BACKUP_DIR` is set: a checked backup, then the oldest
        beyond `KKRBOT_BACKUP_KEEP` removed. A failure is logged and told to the secretariat once (until a
        backup succeeds again), and never stops the bot."""
        folder = self.settings.backup_dir
        if folder is None:
            return None
        now = self.clock()
        if not backup_is_due(await asyncio.to_thread(newest_backup_time, folder), now, self.settings):
            return None
        try:
            report = await asyncio.to_thread(take_backup, self.db.path, folder / default_backup_name(now))
            await asyncio.to_thread(prune_backups, folder, self.settings.backup_keep)
        except BackupError as exc:
            log.error("automatic backup failed: %s", exc)
            await self._tell_backup_failure(str(exc))
            return None
        await self.db.write("DELETE FROM meta WHERE key = 'backup_failure_told'")
        log.info("automatic backup written: %s (%d bytes)", report.path, report.size)
        return report.path

    async def _tell_backup_failure(self, reason: str) -> None:
        async with self.db.transaction() as conn:
            if await first_row(conn, "SELECT 1 FROM meta WHERE key = 'backup_failure_told'"):
                return
            await conn.execute("INSERT INTO meta (key, value) VALUES ('backup_failure_told', ?)", (reason,))
            turn = self._system_turn(conn, "backup")
            await turn.notify_secretariat(
                lambda _: Message(
                    title=_("The automatic backup failed"),
                    text=_(
                        "Tonight's backup of the bot's database could not be taken: {reason}. The bot goes on "
                        "working. Please ask the operator to look at the backup folder; I will tell you again "
                        "only after a backup has succeeded.",
                        reason=reason,
                    ),
                ),
            )
            await self._persist(conn, turn)
        self._committed()

    async def report_undeliverable(self, conn: aiosqlite.Connection, item: OutboxItem, result: DeliveryResult) -> None:
        """The outbox gave up on a message (blocked bot, chat gone): the secretariat hears of it, in the same
        transaction as the give-up, at most once per person and hour, with the reason in words and how to
        reach them otherwise. The message itself is not quoted: it may hold what someone typed."""
        if await is_broadcast_row(conn, item.id):
            # The broadcast's own report names who was not reached, and why: now, if this was its last message.
            await self.report_finished_broadcasts(conn, [item])
            return
        turn = self._system_turn(conn, "undeliverable")
        roster = await turn.roster()
        recipient = roster.by_id.get(item.person_id or "")
        if recipient is None or recipient.role is Role.SECRETARIAT:
            # The secretariat is where failures end up; a failure to reach it goes to the log only, or two
            # unreachable secretaries would report each other's failures forever.
            log.error("undeliverable message %s to %s: %s", item.id, item.person_id or item.address, result.error)
            return
        reported = await conn.execute(
            "INSERT INTO undeliverable_reports (person_id, reported_at) VALUES (?, ?) ON CONFLICT (person_id) "
            "DO UPDATE SET reported_at = excluded.reported_at WHERE reported_at <= ?",
            (recipient.id, utc_text(turn.now), utc_text(turn.now - UNDELIVERABLE_REPORT_INTERVAL)),
        )
        if reported.rowcount == 0:
            log.warning(
                "undeliverable message %s to %s: %s (reported within the hour)", item.id, recipient.id, result.error
            )
            return
        await turn.notify_secretariat(
            lambda _: Message(
                title=_("A message could not be delivered"),
                text=_(
                    "My message to {name} could not be delivered: {reason}. Please contact them another way "
                    "({contact}).",
                    name=display_name(recipient, _),
                    reason=undeliverable_reason(result, _),
                    contact=absence_notices.contact(recipient, _),
                ),
            ),
        )
        await self._persist(conn, turn)

    async def report_finished_broadcasts(self, conn: aiosqlite.Connection, items: Sequence[OutboxItem]) -> None:
        """The outbox's hook for rows it marks sent (or gives up): a broadcast whose last message they were gets
        its report in the same transaction, so it comes as the broadcast ends and exactly once (issue 23)."""
        turn = self._system_turn(conn, "broadcast report")
        await broadcasts.report_finished(turn, [item.id for item in items])
        await self._persist(conn, turn)

    async def _dispatch(self, turn: Turn) -> None:
        command = find_command(turn.request.command)
        limit = AGENDA_INPUT_LIMIT if command is not None and command.name in LONG_TEXT_COMMANDS else INPUT_LIMIT
        if max(len(turn.request.text), len(" ".join(turn.request.args))) > limit:
            await general.too_long_case(turn, limit)
            return
        if turn.person is None:
            # An unbound account learns nothing but how to get an invite, and can use one.
            if command is not None and command.name == "start":
                await onboarding.start_case(turn)
            else:
                turn.reply(onboarding.not_bound_text(turn._))
            return
        if turn.request.command == FREE_TEXT:
            if not await typed_answers.answered(turn, self._dispatch):  # "ja" to a yes/no question (issue 23)
                await general.free_text_case(turn)
            return
        if turn.request.command == INVALID_BUTTON:
            await general.invalid_button_case(turn)
            return
        if command is None:
            await general.unknown_command_case(turn)
            return
        if not command.allows(turn.person.role):
            await general.refuse(turn, command)
            return
        await USE_CASES[command.name](turn)

    async def act(self, person_id: str, command: str, args: Sequence[str], use_case: UseCase) -> Outcome:
        """A use case run for a local operator acting as a roster person (the command line): the replies come
        back to the caller, who prints them, instead of going to a channel; what it tells others goes through the
        outbox as always. An exception from the use case rolls the whole turn back."""
        request = Request(
            channel="cli", address="cli", command=command, args=tuple(args), text=" ".join(args), person_id=person_id
        )
        async with self.db.transaction() as conn:
            turn = await self._turn(conn, request)
            await use_case(turn)
            await self._persist_notifications(conn, turn)
        self._committed()
        return turn.outcome

    async def _persist(self, conn: aiosqlite.Connection, turn: Turn) -> None:
        request = turn.request
        person_id = turn.person.id if turn.person else None
        for message in turn.outcome.replies:
            await enqueue(conn, request.channel, request.address, person_id, message, turn.now)
        await self._persist_notifications(conn, turn)

    async def _persist_notifications(self, conn: aiosqlite.Connection, turn: Turn) -> None:
        for notification in turn.outcome.notifications:
            for channel, address in await self.router.routes(conn, notification.person_id):
                await enqueue(
                    conn, channel, address, notification.person_id, notification.message, turn.now, notification.lane
                )
