"""/start with an invite binds the account; the secretariat hands out invites."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from bot.core.turn import Turn, _p, describe_role, display_name, quoted
from bot.core.usecases.general import main_menu
from bot.i18n import Translator
from bot.storage.accounts import Redemption, emulator_invite, issue_invites, redeem_invite, teams_invite_link
from bot.storage.roster import Person, bound_people

# Telegram allows 4,096 characters; staying well below leaves room for the title.
MESSAGE_BUDGET = 3500


def not_bound_text(_: Translator) -> str:
    return _(
        "This bot is for the members of KKR Nordjylland, their substitutes and the secretariat. "
        "To use it, ask the KKR secretariat for a personal invite link and open it."
    )


async def start_case(turn: Turn) -> None:
    _ = turn._
    if not turn.args:
        if turn.person is None:
            turn.reply(not_bound_text(_), title=_("Welcome"))
        else:
            await greet(turn, turn.person)
        return
    outcome, person_id = await redeem_invite(
        turn.conn, turn.args[0], turn.request.channel, turn.request.address, turn.now
    )
    if outcome is Redemption.BOUND and person_id is not None:
        person = (await turn.roster()).by_id[person_id]
        # The account's first language (account_languages) now counts for the person too, in answers and
        # notifications alike, until /sprog.
        turn.person = person
        turn.outcome.bound = person
        turn._ = await turn.conversation.translator_for(turn.conn, person.id)
        await greet(turn, person)
        return
    refusals = {
        Redemption.UNKNOWN: _("This invite link is not valid. Please ask the KKR secretariat for a new one."),
        Redemption.USED: _("This invite link has already been used. Please ask the KKR secretariat for a new one."),
        Redemption.EXPIRED: _("This invite link has expired. Please ask the KKR secretariat for a new one."),
        Redemption.SLOWED_DOWN: _("Too many attempts with invalid links. Please wait 15 minutes and try again."),
    }
    # A bound person who opens a bad link can go on with what they can do.
    turn.reply(refusals[outcome], buttons=main_menu(turn) if turn.person else ())


async def greet(turn: Turn, person: Person) -> None:
    _ = turn._
    turn.reply(
        _(
            "Welcome, {name}. You are registered as {role}. Ask me about the next meeting, your substitute "
            "or the council's composition.",
            name=display_name(person, _),
            role=describe_role(person, _),
        ),
        title=_("Welcome"),
        buttons=main_menu(turn),
    )


def chunk_lines(lines: list[str], budget: int = MESSAGE_BUDGET) -> list[str]:
    chunks: list[str] = []
    current: list[str] = []
    for line in lines:
        if current and sum(len(x) + 1 for x in current) + len(line) > budget:
            chunks.append("\n".join(current))
            current = []
        current.append(line)
    if current:
        chunks.append("\n".join(current))
    return chunks


async def invite_case(turn: Turn) -> None:
    _ = turn._
    roster = await turn.roster()
    # Invite links are deep links of the channel asked on (Teams from Teams, else Telegram), so "connected"
    # means bound on that channel, as for `kkrbot invite --all --channel ...`.
    on_teams = turn.request.channel == "teams"
    app_id = turn.settings.teams_client_id
    # In Teams' emulator mode there is no app to link to: the text to type in Agents Playground.
    link = (partial(teams_invite_link, app_id) if app_id else emulator_invite) if on_teams else None
    bound = await bound_people(turn.conn, "teams" if on_teams else "telegram")
    if not turn.args:
        waiting = [p for p in roster.invitable if p.id not in bound]
        width = max((len(p.id) for p in waiting), default=0)
        turn.reply(
            _("Write /invite PERSON-ID for one person, or /invite all for everyone who is not connected yet."),
            pre="\n".join(f"{p.id:<{width}}  {display_name(p, _)}" for p in waiting) or None,
            buttons=[[turn.button(_("Invite everyone not connected"), "invite all")]] if waiting else (),
        )
        return
    target = turn.args[0]
    if target.lower() in ("all", "alle"):
        people = [p for p in roster.invitable if p.id not in bound]
        if not people:
            turn.reply(_("Everyone in the roster is already connected."))
            return
    elif target in roster.by_id:
        people = [roster.by_id[target]]
    else:
        turn.reply(
            _("There is nobody with the id “{id}” in the roster.", id=quoted(target)),
            buttons=[[turn.button(_("Who is not connected yet"), "invite")]],
        )
        return
    links = await issue_invites(
        turn.conn,
        [p.id for p in people],
        turn.settings.bot_username,
        turn.now,
        timedelta(days=turn.settings.invite_ttl_days),
        link=link,
    )
    lines = [f"{display_name(roster.by_id[p], _)} ({p}):\n{link}" for p, link in links]
    days = turn.settings.invite_ttl_days
    for chunk in chunk_lines(lines):
        # The outbox forgets these once delivered: a copy of the database must not bind anyone.
        turn.reply(chunk, sensitive=True)
    turn.reply(
        _p(
            turn,
            "{count} invite link created. Each works once and expires in {days} days.",
            "{count} invite links created. Each works once and expires in {days} days.",
            len(links),
            days=days,
        )
    )
