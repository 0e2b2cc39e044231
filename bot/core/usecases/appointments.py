"""Erhvervshus Nordjylland's board nominations (seed, item 1.6; R-EHUS-1..3) and members who leave the KKR
(R-MEM-5). The secretariat records; kkrcore judges; the bot says what follows and whom to tell.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from bot.core.turn import Turn, _p, display_name, quoted
from bot.core.usecases.elections import next_constituent_meeting
from bot.core.usecases.meetings import local_today
from bot.delivery.message import Button, Message
from bot.delivery.outbox import Lane
from bot.i18n import Translator
from bot.storage import elections as store
from bot.storage.roster import archive_people
from kkrcore.erhvervshus import BOARD_SEATS, BoardCategory, Gender, Phase, gender_balance, phase
from kkrcore.membership import tenure_after_change
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
    waiting_for = await nominations_not_yet_requested(turn)
    if args and waiting_for is not None:
        turn.reply(
            _("Nominations for the next board are requested after the constituent meeting {meeting} (R-EHUS-3), "
              "and can be recorded from then on. Nothing was recorded.", meeting=_.date(waiting_for)),
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
        await store.add_nomination(turn.conn, args[0], category.value, gender.value, " ".join(args[3:]), turn.now)
        turn.reply(
            _("Nomination of {name} by {body} recorded.", name=" ".join(args[3:]), body=args[0])
            + "\n"
            + "\n".join(await body_findings(turn, args[0])),
            buttons=buttons,
        )
        return
    lines = [usage, ""]
    recorded = await store.nominations(turn.conn)
    for body in dict.fromkeys(b for b, _c, _g, _n in recorded):
        lines.append(
            body + ": " + ", ".join(f"{n} ({gender_name(Gender(g), _)})" for b, _c, g, n in recorded if b == body)
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
    timeline = turn.dataset.erhvervshus
    constituent = await nominations_not_yet_requested(turn)
    if constituent is not None and phase(local_today(turn), timeline) is Phase.NEW_BOARD:
        lines.append(
            _("The board sits {start} to {end}; nominations for the next board are requested after the constituent "
              "meeting {meeting} (R-EHUS-3).", start=_.date(timeline.board_from), end=_.date(timeline.board_until),
              meeting=_.date(constituent))
        )  # fmt: skip
    else:
        lines.append(
            _("Nominations by {deadline}; appointment at the KKR meeting {meeting}; the board sits {start} to {end} "
              "(R-EHUS-3).", deadline=_.date(timeline.nominations_deadline),
              meeting=_.date(timeline.appointment_meeting), start=_.date(timeline.board_from),
              end=_.date(timeline.board_until))
        )  # fmt: skip
    turn.reply("\n".join(lines), title=_("Erhvervshus Nordjylland: nominations"), buttons=buttons)


def gender_name(gender: Gender, _: Translator) -> str:
    return _("woman") if gender is Gender.WOMAN else _("man")


async def nominations_not_yet_requested(turn: Turn) -> date | None:
    """The day of the constituent meeting after which the board's nominations are requested, while it is ahead
    (R-EHUS-3, kkrcore's phase); None when nominations can be recorded."""
    timeline = turn.dataset.erhvervshus
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
    if balance.reason is Reason.GENDER_BALANCED:
        return [_("Gender balance: {women} women, {men} men (R-EHUS-2).", women=balance.women, men=balance.men)]
    if balance.reason is Reason.SPECIAL_REASONS_STATED:
        return [_("Not balanced ({women} women, {men} men); special reasons recorded: {reason} (R-EHUS-2).",
                  women=balance.women, men=balance.men, reason=reasons[body])]  # fmt: skip
    return [
        _("Flagged, R-EHUS-2: {body} has proposed {women} women and {men} men; a nominating body proposes a "
          "woman and a man (as many women as men) unless it states special reasons. Record them with "
          "/indstilling grund {body} TEXT.", body=body, women=balance.women, men=balance.men)
    ]  # fmt: skip


async def remind_erhvervshus(turn: Turn) -> None:
    """R-EHUS-3: the secretariat is reminded `reminder_days` before each date of the timeline, once each."""
    timeline = turn.dataset.erhvervshus
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


async def departure_case(turn: Turn) -> None:
    """`/udtraedelse PERSON-ID byraad|parti`: a member leaves the council or the party (R-MEM-5)."""
    _ = turn._
    assert turn.person is not None
    roster = await turn.roster()
    usage = _(
        "Record that a member leaves: /udtraedelse PERSON-ID byraad (left the council) or parti (left the party)."
    )
    member = roster.by_id.get(turn.args[0]) if turn.args else None
    kind = turn.args[1].lower() if len(turn.args) > 1 else ""
    gone = roster.ever_by_id.get(turn.args[0]) if turn.args and member is None else None
    if gone is not None:
        turn.reply(
            _("{name} has already left the roster; nothing was recorded again.", name=display_name(gone, _)),
            buttons=[[turn.button(_("Members"), "members parti")]],
        )
        return
    if member is None or member.role.value != "member" or kind not in ("byraad", "council", "parti", "party"):
        # The reason first where it is known (issue 23), then how to write it.
        if turn.args and turn.args[0] not in roster.by_id:
            usage = _("There is nobody with the id “{id}” in the roster.", id=quoted(turn.args[0])) + " " + usage
        elif member is not None and member.role.value != "member":
            usage = _("{name} is not a member of the KKR.", name=display_name(member, _)) + " " + usage
        turn.reply(usage, buttons=[[turn.button(_("Members"), "members parti")]])
        return
    left_council = kind in ("byraad", "council")
    tenure = tenure_after_change(mayor=member.mayor, council_member=not left_council, in_electing_party=left_council)
    await store.add_departure(turn.conn, member.id, tenure.reason.value, turn.now)
    name = display_name(member, _)
    if tenure.stays:
        turn.reply(
            _("{name} is mayor and stays a member after changing party; the composition is not recalculated "
              "(R-MEM-5). Nothing else follows.", name=name),
            buttons=[[turn.button(_("Members"), "members parti")]],
        )  # fmt: skip
        return
    fora = await store.end_appointments(turn.conn, member.id, turn.now)
    substitute_id = roster.substitute_of.get(member.id)
    substitute = roster.by_id.get(substitute_id) if substitute_id else None
    # The member leaves the roster (their absences stay in the minutes), so nobody is answered or alerted as their
    # substitute any more. The substitute stays until the roster's next import: they are told below, and a person
    # who left the roster could not be.
    await archive_people(turn.conn, [member.id], turn.now)
    lines = [
        _("{name} leaves the KKR (R-MEM-5). The seat goes back to party {party}, which elects a new member and "
          "personal substitute; the composition is not recalculated.", name=name, party=member.party)
        if not member.mayor
        else _("{name} leaves the KKR (R-MEM-5); the municipality's new mayor becomes a member.", name=name)
    ]  # fmt: skip
    lines.append(_("Tell: party {party}'s group, {municipality} Kommune, and the substitute {substitute}.",
                   party=member.party, municipality=member.municipality,
                   substitute=display_name(substitute, _) if substitute else "-"))  # fmt: skip
    if fora:
        lines.append(_("Appointments that end and must be filled again: {fora}.", fora=", ".join(fora)))
    lines.append(
        _("{name} has left the roster. Import the successor with `kkrbot roster import` once they are chosen, and "
          "invite them.", name=name)
    )  # fmt: skip
    turn.reply("\n".join(lines), title=_("A member leaves"), buttons=[[turn.button(_("Fora"), "forum")]])
    if substitute is not None:
        await turn.notify(
            substitute.id,
            lambda _: Message(
                text=(
                    _("{name} has left the KKR. The municipality's new mayor becomes a member, and the "
                      "viceborgmester substitutes for the mayor (R-MEM-2).", name=display_name(member, _))
                    if member.mayor
                    else _("{name} has left the KKR, so you are no longer their substitute. Party {party} elects a "
                           "new member and substitute.", name=display_name(member, _), party=member.party)
                )
            ),
        )  # fmt: skip
