"""The dataset of one KKR for one election period, as frozen and self-checking models.

The data are typed in by hand from KL's agenda, so the validators check every cross-reference a typing
mistake could break (mayor parties, meeting order, the published table against the mayors) rather than
trusting the file. `Frozen`, the base of these models, is the base of kkrcore's result models too.
"""

import re
from collections import Counter
from datetime import date, datetime, timedelta
from enum import StrEnum
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from kkrcore.days import municipal_election_date
from kkrcore.reasons import InvalidInput


def known_timezone(value: str) -> str:
    """An IANA zone name that tzdata knows, or a ValueError that says which name was wrong."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value


class EntryError(ValueError):
    """A cross-field check that failed, with the location of the offending entry.

    pydantic places errors from model validators at the model itself; the loader reads `loc` from here so
    that its message still names the entry and the field (`meetings[3].start`).
    """

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        self.loc = loc
        super().__init__(message)


class Frozen(BaseModel):
    """Every kkrcore model: immutable, so results can be cached and shared, and strict about unknown fields; its
    validator is built at its first use, so that a bot that never runs an election never builds one."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class MeetingKind(StrEnum):
    ORDINARY = "ordinary"
    CONSTITUENT = "constituent"


class Municipality(Frozen):
    name: str = Field(min_length=1)
    mayor_party: str


class Party(Frozen):
    """A party with a reserved list letter; `represented`: it sits in at least one council (R-COMP-1)."""

    letter: str = Field(min_length=1)
    name: str = Field(min_length=1)
    represented: bool


class PublishedSeats(Frozen):
    mayors: int = Field(ge=0)
    supplementary: int = Field(ge=0)
    total: int = Field(ge=0)

    @model_validator(mode="after")
    def _adds_up(self) -> "PublishedSeats":
        if self.mayors + self.supplementary != self.total:
            raise ValueError(f"mayors + supplementary = {self.mayors + self.supplementary}, not {self.total}")
        return self


EXTRA_SUFFIX = "-extra"
"""An extra meeting's id is the ISO date it was added for and this suffix (a second one that day: `-extra-2`)."""

_MEETING_ID = re.compile(r"(\d{4}-\d{2}-\d{2})(?:-extra(?:-\d{1,2})?)?")


class Meeting(Frozen):
    """One KKR meeting. `id` is the ISO date the meeting was planned for (the KKR meets at most once a day), so
    absences, agendas and broadcasts stay tied to it when it is moved; an extra meeting's id ends in `-extra`.
    `sequence` counts the changes made to it (the calendar's SEQUENCE); a cancelled meeting stays in the plan,
    marked `cancelled`, so calendars can be told."""

    id: str
    start: AwareDatetime
    end: AwareDatetime
    place: str = Field(min_length=1)
    address: str | None = None
    kind: MeetingKind
    group_meetings_start: AwareDatetime | None = None
    group_meetings_end: AwareDatetime | None = None
    extra: bool = False
    cancelled: bool = False
    sequence: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> "Meeting":
        planned = _MEETING_ID.fullmatch(self.id)
        if planned is None or (self.id != planned[1]) != self.extra:
            raise EntryError(("id",), f"id {self.id!r} is not an ISO date (with -extra for an extra meeting)")
        if self.sequence == 0 and planned[1] != self.start.date().isoformat():
            # Only a changed meeting may have left the day it was planned for.
            raise EntryError(("id",), f"id {self.id!r} is not the start date {self.start.date().isoformat()}")
        if self.end <= self.start:
            raise EntryError(("end",), "end is not after start")
        group = (self.group_meetings_start, self.group_meetings_end)
        if (group[0] is None) != (group[1] is None):
            raise EntryError(("group_meetings_end",), "group meetings need both start and end")
        if group[0] is not None and group[1] is not None and not group[0] < group[1] <= self.start:
            raise EntryError(("group_meetings_end",), "group meetings must end by the meeting start")
        return self


class ErhvervshusTimeline(Frozen):
    """R-EHUS-3: the dates of the appointment of Erhvervshus Nordjylland's board.

    `criteria_meeting` is the constituent meeting that decides the criteria and the nominating bodies; the
    nominations are requested after it (seed, item 1.6, "Efterfølgende proces"). The board sits from
    `board_from` to `board_until` (1 April 2026 - 31 March 2030).
    """

    criteria_meeting: date
    nominations_deadline: date
    appointment_meeting: date
    board_from: date
    board_until: date
    old_board_until: date

    @model_validator(mode="after")
    def _in_order(self) -> "ErhvervshusTimeline":
        if not self.criteria_meeting < self.nominations_deadline < self.appointment_meeting < self.board_from:
            raise ValueError("criteria, nominations, appointment and new board must come in that order")
        if self.board_until <= self.board_from:
            raise ValueError("the board period must end after it begins")
        if self.old_board_until != self.board_from - timedelta(days=1):
            raise ValueError("the old board must sit until the day before the new one takes office")
        return self


class LongestServingMayor(Frozen):
    """R-MEET-2: convenes and chairs the constituent meeting until the chair is elected."""

    name: str = Field(min_length=1)
    party: str
    municipality: str
    mayor_since: int


class Dataset(Frozen):
    """One KKR, one period.

    `vote_shares` are the regional shares of the votes cast in tenths of a percentage point (276 = 27.6 %),
    exact integers that need not add up to exactly 1000. `local_lists_share` is the share of local lists
    that are not in a listesamarbejde: counted among the votes cast, never a party. KL's bilag to item 1.2
    has the absolute vote counts, but this data set does not have them; a data set that has them gives
    `vote_counts` (and `local_lists_count`), and `votes` then uses them instead of the shares, so that a
    tie made only by rounding the shares does not decide a seat.

    Two fields may be left out, because a next period's file is written before they are known (December 2029
    for 2030-2034): `published_composition`, KL's table on the agenda of the constituent meeting (only checked
    against the mayors when given; the bot computes the composition itself), and `erhvervshus`, the timeline
    of the Erhvervshus board appointment, which the seeds give for 2026-2030 only.
    """

    region: str
    period: str = Field(pattern=r"^\d{4}-\d{4}$")
    timezone: str
    municipalities: list[Municipality] = Field(min_length=1)
    parties: list[Party] = Field(min_length=1)
    vote_shares: dict[str, int]
    local_lists_share: int = Field(ge=0)
    vote_counts: dict[str, int] | None = None
    local_lists_count: int | None = Field(default=None, ge=0)
    published_composition: dict[str, PublishedSeats] = {}
    meetings: list[Meeting]
    erhvervshus: ErhvervshusTimeline | None = None
    election_date: date
    longest_serving_mayor: LongestServingMayor
    sources: list[str] = []
    assumptions: list[str] = []

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_timezone(value)

    @field_validator("meetings")
    @classmethod
    def _local_times(cls, meetings: list[Meeting], info: ValidationInfo) -> list[Meeting]:
        """Hold meeting times in the dataset's zone, and refuse offsets that are wrong for the date (DST)."""
        if "timezone" not in info.data:
            return meetings
        zone = ZoneInfo(info.data["timezone"])
        fields = ("start", "end", "group_meetings_start", "group_meetings_end")
        local = []
        for i, meeting in enumerate(meetings):
            update = {}
            for name in fields:
                value: datetime | None = getattr(meeting, name)
                if value is None:
                    continue
                if value.replace(tzinfo=zone).utcoffset() != value.utcoffset():
                    raise EntryError((i, name), f"offset {value:%z} is wrong for {zone.key}")
                update[name] = value.astimezone(zone)
            local.append(meeting.model_copy(update=update))
        return local

    @model_validator(mode="after")
    def _cross_references(self) -> "Dataset":
        letters = [party.letter for party in self.parties]
        if len(set(letters)) != len(letters):
            raise EntryError(("parties",), "party letters are not unique")
        names = [m.name for m in self.municipalities]
        if len(set(names)) != len(names):
            raise EntryError(("municipalities",), "municipality names are not unique")
        for i, municipality in enumerate(self.municipalities):
            if municipality.mayor_party not in letters:
                raise EntryError(("municipalities", i, "mayor_party"), f"unknown party {municipality.mayor_party!r}")
        for table in ("vote_shares", "vote_counts", "published_composition"):
            for letter, value in (getattr(self, table) or {}).items():
                if letter not in letters:
                    raise EntryError((table, letter), f"unknown party {letter!r}")
                if table != "published_composition" and value < 0:
                    raise EntryError((table, letter), "negative number of votes")
        if (self.vote_counts is None) != (self.local_lists_count is None):
            raise EntryError(("local_lists_count",), "vote_counts and local_lists_count go together")
        for i, (previous, meeting) in enumerate(pairwise(self.meetings), start=1):
            if meeting.start <= previous.start:
                raise EntryError(("meetings", i, "start"), "meetings are not in order, or a date repeats")
            if meeting.id == previous.id:
                raise EntryError(("meetings", i, "id"), "two meetings on one day: the id would not be unique")
        self._check_published_mayors()
        self._check_dates()
        return self

    def _check_published_mayors(self) -> None:
        if not self.published_composition:
            return
        published = {letter: seats.mayors for letter, seats in self.published_composition.items()}
        counted = Counter(m.mayor_party for m in self.municipalities)
        for letter in dict.fromkeys([*published, *counted]):
            if published.get(letter, 0) != counted[letter]:
                raise EntryError(
                    ("published_composition", letter, "mayors"),
                    f"{published.get(letter, 0)} published, {counted[letter]} in municipalities",
                )

    def _check_dates(self) -> None:
        try:
            election_day: date | None = municipal_election_date(self.election_date.year)
        except InvalidInput:
            election_day = None
        if self.election_date != election_day:
            raise EntryError(("election_date",), "not the third Tuesday of November of an election year")
        meeting_days = {m.start.date() for m in self.meetings}
        timeline = self.erhvervshus
        for field in ("criteria_meeting", "appointment_meeting"):
            if timeline is not None and getattr(timeline, field) not in meeting_days:
                raise EntryError(("erhvervshus", field), "no KKR meeting on that day")
        mayor = self.longest_serving_mayor
        if not any(m.name == mayor.municipality and m.mayor_party == mayor.party for m in self.municipalities):
            raise EntryError(("longest_serving_mayor",), "not the mayor of a municipality in the dataset")

    @property
    def votes(self) -> tuple[dict[str, int], int]:
        """The parties' votes and the local lists' votes: absolute counts when the data set has them."""
        if self.vote_counts is not None and self.local_lists_count is not None:
            return dict(self.vote_counts), self.local_lists_count
        return dict(self.vote_shares), self.local_lists_share

    def party(self, letter: str) -> Party:
        for party in self.parties:
            if party.letter == letter:
                return party
        raise KeyError(letter)
