"""Erhvervshus Nordjylland's board seats the KKR fills from its own ranks (seed, item 1.6; R-EHUS-1): the chair,
who must be an elected official, and three municipal politicians.

The seeds say the KKR appoints them, not how it votes. By analogy with item 1.5 (inferred): the chair is one post,
so a flertalsvalg (R-ELEC-5); the three municipal seats are several representatives to one body, so a
forholdstalsvalg (R-ELEC-6). Each is a forum of its own, recorded with /forum like any other, and the board as
appointed so far is checked with kkrcore's `check_board`.
"""

from __future__ import annotations

from bot.core.turn import Turn
from bot.core.usecases.fora import candidate_names
from bot.i18n import Translator
from bot.storage import elections as store
from kkrcore.erhvervshus import BOARD_SEATS, BoardCategory, BoardSeat, check_board
from kkrcore.reasons import Reason

CHAIR_FORUM = "ehus-formand"
MUNICIPAL_FORUM = "ehus-kommunale"
SEATS = {CHAIR_FORUM: BoardCategory.CHAIR, MUNICIPAL_FORUM: BoardCategory.MUNICIPAL_POLITICIAN}
BOARD = ("bestyrelse", "board")


async def create_board_fora(turn: Turn) -> None:
    """`/indstilling bestyrelse`: the chair's seat and the municipal seats as fora (once), and how to record them."""
    _ = turn._
    names = {
        CHAIR_FORUM: _("Erhvervshus Nordjylland: chair"),
        MUNICIPAL_FORUM: _("Erhvervshus Nordjylland: municipal members"),
    }
    for forum_id, category in SEATS.items():
        await store.add_forum(turn.conn, forum_id, names[forum_id], BOARD_SEATS[category], False, False, turn.now)
    turn.reply(
        "\n".join([method_text(_), "", *await board_lines(turn)]),
        title=_("Erhvervshus Nordjylland: the KKR's seats"),
        buttons=[[turn.button(_("Fora"), "forum"), turn.button(_("Nominations"), "nomination")]],
    )


def method_text(_: Translator) -> str:
    return _(
        "The chair (an elected official) is one post: recorded as a flertalsvalg with /forum stemmer {chair} …. The "
        "three municipal members are several seats in one body: recorded as a forholdstalsvalg with /forum liste "
        "{municipal} … and /forum fordel {municipal}. Inferred: the sources do not say how the KKR votes on these "
        "seats; the methods follow the rule for appointments to regional fora (agenda item 1.5).",
        chair=CHAIR_FORUM,
        municipal=MUNICIPAL_FORUM,
    )


async def board_lines(turn: Turn) -> list[str]:
    """The KKR's own seats as appointed so far, and what kkrcore's board check finds about them."""
    _ = turn._
    fora = {forum.id: forum for forum in await store.all_fora(turn.conn)}
    if not any(forum_id in fora for forum_id in SEATS):
        return [
            _("The chair's seat and the municipal seats are not set up yet: {command} {board}.",
              command=turn.command("nomination"), board=BOARD[0] if _.language == "da" else BOARD[1])
        ]  # fmt: skip
    appointed = await store.appointments(turn.conn)
    seats = [
        BoardSeat(person=person_id, category=category, elected_official=True)  # R-ELEC-7: council members only
        for forum_id, category in SEATS.items()
        if forum_id in fora
        for name, person_id in appointed
        if name == fora[forum_id].name
    ]
    names = await candidate_names(turn)
    lines = []
    for finding in check_board(seats):
        if finding.reason is Reason.SEAT_COUNT_MISMATCH and finding.category in SEATS.values():
            label = _("chair") if finding.category is BoardCategory.CHAIR else _("municipal members")
            lines.append(_("{seats}: {actual} of {expected} appointed.", seats=label, actual=finding.actual,
                           expected=finding.expected))  # fmt: skip
        elif finding.reason is Reason.DUPLICATE_PERSON:
            lines.append(
                _(
                    "{person} holds two of the KKR's seats on the board.",
                    person=names.get(finding.person or "", finding.person),
                )
            )
    return lines or [_("The chair and the three municipal members are appointed.")]
