"""Erhvervshus Nordjylland's board nominations (seed, item 1.6; R-EHUS-1..3). The secretariat records; kkrcore
judges; the bot says what follows and whom to tell. (Members who leave: `departures`.)
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from bot.core.turn import Turn, _p
from bot.core.usecases.ehus_board import BOARD, board_lines, create_board_fora
from bot.core.usecases.elections import next_constituent_meeting
from bot.core.usecases.meetings import local_today
from bot.core.usecases.period import ended_at, held_period_name
from bot.delivery.message import Button, Message
from bot.delivery.outbox import Lane
from bot.i18n import Translator
from bot.storage import elections as store
from kkrcore.erhvervshus import BOARD_SEATS, BoardCategory, Gender, Phase, gender_balance, phase
from kkrcore.reasons import Reason

CATEGORIES = {
    "erhverv": BoardCategory.BUSINESS,
    "business": BoardCategory.BUSINESS,
    "viden": BoardCategory.KNOWLEDGE,
    "knowledge": BoardCategory.KNOWLEDGE,
    "arbejdstager": BoardCategory.EMPLOYEE,
    "employee": BoardCategory.EMPLOYEE,
}
GENDERS = {"kvinde": Gender.WOMAN, "woman": Gender.WOMAN, "mand": Gender.MAN, "man": Gender.MAN}
REASON = ("grund", "reason")


def category_name(category: BoardCategory, _: Translator) -> str:
    names = {
        BoardCategory.BUSINESS: _("business representatives"),
        BoardCategory.KNOWLEDGE: _("knowledge institution"),
        BoardCategory.EMPLOYEE: _("employee organisation"),
    }
    return names.get(category, str(category))


async def nomination_case(turn: Turn) -> None:
    """`/indstilling BODY CATEGORY GENDER NAME`, `/indstilling grund BODY TEXT`, `/indstilling` (overview)."""
    _ = turn._
    args = turn.args
    usage = _(
        "Record a nomination: /indstilling BODY erhverv|viden|arbejdstager kvinde|mand NAME. Record a body's "
        "special reasons for not proposing a woman and a man: /indstilling grund BODY TEXT."
    )
    buttons = [[turn.button(_("Nominations"), "nomination")]]
    if args and args[0].lower() in BOARD:
        await create_board_fora(turn)
        return
    timeline = turn.dataset.erhvervshus
    if timeline is None:  # a next period's data file, written before the board's timeline is known
        turn.reply(
            _("The timeline of Erhvervshus Nordjylland's board is not in this period's data, so the bot cannot "
              "record or judge nominations for it. Nothing was recorded."),
            buttons=buttons,
        )  # fmt: skip
        return
    meetings = await turn.meetings()
    if ending := ended_at(meetings, turn.opened, turn.now):  # R-PER-1: the timeline's period is over
        refusal = _(
            "Erhvervshus Nordjylland's timeline in the bot belongs to the period {period}, which ended at the "
            "constituent meeting of {date}: nominations for the next board follow the next period's timeline "
            "(inferred: the sources give only the 2026 timeline), which is not loaded yet.",
            period=held_period_name(meetings, turn.opened, turn.dataset),
            date=_.date(ending.start),
        )
        turn.reply(refusal + (" " + _("Nothing was recorded.") if args else ""), buttons=buttons)
        return
    waiting_for = await nominations_not_yet_requested(turn)
    if args and waiting_for is not None:
        turn.reply(
            _("Nominations for the next board are requested after the constituent meeting {meeting} (inferred: "
              "the sources give only the 2026 timeline), and can be recorded from then on. Nothing was recorded.",
              meeting=_.date(waiting_for)),
            buttons=buttons,
        )  # fmt: skip
        return
    if args and args[0].lower() in REASON and len(args) >= 3:
        await store.set_special_reason(turn.conn, args[1], " ".join(args[2:]), turn.now)
        turn.reply(_("The special reasons of {body} are recorded (R-EHUS-2).", body=args[1]), buttons=buttons)
        return
    if args:
        if len(args) < 4 or args[1].lower() not in CATEGORIES or args[2].lower() not in GENDERS:
            turn.reply(usage, buttons=buttons)
            return
        category, gender = CATEGORIES[args[1].lower()], GENDERS[args[2].lower()]
        deadline = timeline.nominations_deadline
        late = local_today(turn) > deadline
        await store.add_nomination(
            turn.conn, args[0], category.value, gender.value, " ".join(args[3:]), turn.now, late=late
        )
        flag = [late_text(deadline, _)] if late else []
        turn.reply(
            "\n".join(
                [
                    _("Nomination of {name} by {body} recorded.", name=" ".join(args[3:]), body=args[0]),
                    *flag,
                    *await body_findings(turn, args[0]),
                ]
            ),
            buttons=buttons,
        )
        return
    lines = [usage, ""]
    recorded = await store.nominations(turn.conn)
    after_deadline = await store.late_nominations(turn.conn)
    for body in dict.fromkeys(b for b, _c, _g, _n in recorded):
        lines.append(
            body
            + ": "
            + ", ".join(
                f"{n} ({gender_name(Gender(g), _)})"
                + (" " + _("(after the deadline)") if (b, n) in after_deadline else "")
                for b, _c, g, n in recorded
                if b == body
            )
        )
        lines.extend("  " + line for line in await body_findings(turn, body))
    counts = Counter(BoardCategory(c) for _b, c, _g, _n in recorded)
    for category in (BoardCategory.BUSINESS, BoardCategory.KNOWLEDGE, BoardCategory.EMPLOYEE):
        if counts[category] < BOARD_SEATS[category]:
            name = category_name(category, _)  # outside the call: a bare `_` in it hides the message from pybabel
            lines.append(
                _p(turn, "R-EHUS-1: {category}: {nominated} nominated for {count} seat.",
                   "R-EHUS-1: {category}: {nominated} nominated for {count} seats.", BOARD_SEATS[category],
                   category=name, nominated=counts[category])
            )  # fmt: skip
    lines += ["", _("The KKR's own seats on the board:"), *await board_lines(turn), ""]
    constituent = await nominations_not_yet_requested(turn)
    if constituent is not None and phase(local_today(turn), timeline) is Phase.NEW_BOARD:
        lines.append(
            _("The board sits {start} to {end}; nominations for the next board are requested after the constituent "
              "meeting {meeting} (inferred: the sources give only the 2026 timeline).",
              start=_.date(timeline.board_from), end=_.date(timeline.board_until), meeting=_.date(constituent))
        )  # fmt: skip
    else:
        lines.append(
            _("Nominations by {deadline}; appointment at the KKR meeting {meeting}; the board sits {start} to {end} "
              "(R-EHUS-3).", deadline=_.date(timeline.nominations_deadline),
              meeting=_.date(timeline.appointment_meeting), start=_.date(timeline.board_from),
              end=_.date(timeline.board_until))
        )  # fmt: skip
    turn.reply("\n".join(lines), title=_("Erhvervshus Nordjylland: nominations"), buttons=buttons)


def late_text(deadline: date, _: Translator) -> str:
    return _(
        "Flagged: received after the deadline {deadline}. It is recorded; the KKR decides whether to consider it.",
        deadline=_.date(deadline),
    )


def gender_name(gender: Gender, _: Translator) -> str:
    return _("woman") if gender is Gender.WOMAN else _("man")


async def nominations_not_yet_requested(turn: Turn) -> date | None:
    """The day of the constituent meeting after which the board's nominations are requested, while it is ahead
    (R-EHUS-3, kkrcore's phase); None when nominations can be recorded."""
    timeline = turn.dataset.erhvervshus
    if timeline is None:
        return None
    current = phase(local_today(turn), timeline)
    if current is Phase.CRITERIA:
        return timeline.criteria_meeting
    if current is Phase.NEW_BOARD:
        constituent = next_constituent_meeting(await turn.meetings(), turn.now)
        return constituent.start.astimezone(turn.settings.tz).date() if constituent else None
    return None


async def body_findings(turn: Turn, body: str) -> list[str]:
    """R-EHUS-2 for one nominating body: balanced, excused by recorded special reasons, or flagged."""
    _ = turn._
    genders = [Gender(g) for b, _c, g, _n in await store.nominations(turn.conn) if b == body]
    reasons = await store.special_reasons(turn.conn)
    balance = gender_balance(genders, special_reasons=body in reasons)
    women = _p(turn, "{count} woman", "{count} women", balance.women)
    men = _p(turn, "{count} man", "{count} men", balance.men)
    if balance.reason is Reason.GENDER_BALANCED:
        return [_("Gender balance: {women}, {men} (R-EHUS-2).", women=women, men=men)]
    if balance.reason is Reason.SPECIAL_REASONS_STATED:
        return [_("Not balanced ({women}, {men}); special reasons recorded: {reason} (R-EHUS-2).",
                  women=women, men=men, reason=reasons[body])]  # fmt: skip
    return [
        _("Flagged, R-EHUS-2: {body} has proposed {women} and {men}; a nominating body proposes a "
          "woman and a man (as many women as men) unless it states special reasons. Record them with "
          "/indstilling grund {body} TEXT.", body=body, women=women, men=men)
    ]  # fmt: skip


async def remind_erhvervshus(turn: Turn) -> None:
    """R-EHUS-3: the secretariat is reminded `reminder_days` before each date of the timeline, once each (none
    when the period's data has no timeline)."""
    timeline = turn.dataset.erhvervshus
    if timeline is None:
        return  # not in this period's data: nothing to remind of
    today = turn.now.astimezone(turn.settings.tz).date()
    lead = timedelta(days=turn.settings.reminder_days)
    deadlines: list[tuple[str, date]] = [
        ("nominations", timeline.nominations_deadline),
        ("appointment", timeline.appointment_meeting),
        ("board", timeline.board_from),
    ]
    for key, day in deadlines:
        if not day - lead <= today <= day or not await store.claim_ehus_reminder(turn.conn, f"{key}:{day}", turn.now):
            continue
        await turn.notify_secretariat(
            lambda _, key=key, day=day: Message(  # type: ignore[misc]
                title=_("Erhvervshus Nordjylland: deadline {date}", date=_.date(day)),
                text={
                    "nominations": _("The nominations for the board are due {date} (R-EHUS-3).", date=_.date(day)),
                    "appointment": _("The KKR appoints the board at its meeting {date} (R-EHUS-3).", date=_.date(day)),
                    "board": _(
                        "The new board takes office {date}; the old one sits until the day before (R-EHUS-3).",
                        date=_.date(day),
                    ),
                }[key],
                buttons=((Button(label=_("Nominations"), action="nomination"),),),
            ),
            lane=Lane.BULK,
        )
