"""/kalender: the meetings as a file, and a personal calendar feed link that Outlook or Google Calendar
subscribes to, so changes arrive without importing a file again. The link is revocable (`/kalender stop`,
`/kalender ny`). The feed itself is served by the HTTP endpoint (bot/web.py) from `feed_calendar`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.turn import Turn
from bot.core.usecases import meetings
from bot.storage.calendar_feeds import feed_secret, person_for_feed, revoke_feed
from bot.storage.meeting_changes import plan

if TYPE_CHECKING:
    from bot.core.conversation import Conversation

NEW = ("new", "ny")
STOP = ("stop",)


def feed_url(public_url: str, secret: str) -> str:
    return f"{public_url}/calendar/{secret}.ics"


async def calendar_case(turn: Turn) -> None:
    _ = turn._
    assert turn.person is not None
    public_url = turn.settings.public_url
    choice = turn.args[0].lower() if turn.args else ""
    if public_url is None or choice not in (*NEW, *STOP):
        await meetings.calendar_case(turn)
        if public_url is None:
            if choice in (*NEW, *STOP):  # asked for a personal link this installation cannot give (issue 23)
                turn.reply(
                    _(
                        "Personal calendar links need the bot's public web address, which is not set up here "
                        "(the operator's KKRBOT_PUBLIC_URL). The file above has the meetings as they are now."
                    )
                )
            return
    if choice in (*NEW, *STOP):
        await revoke_feed(turn.conn, turn.person.id, turn.now)
    if choice in STOP:
        turn.reply(
            _("Your calendar link is stopped; calendars subscribed to it get no more updates."),
            buttons=[[turn.button(_("New calendar link"), "calendar new")]],
        )
        return
    secret = await feed_secret(turn.conn, turn.person.id, turn.now)
    turn.reply(
        _(
            "Subscribe to the meetings in Outlook or Google Calendar with your personal link; changes reach "
            "your calendar by themselves. Keep the link to yourself.\n{url}",
            url=feed_url(public_url, secret),
        ),
        title=_("Calendar link"),
        buttons=[
            [turn.button(_("New calendar link"), "calendar new"), turn.button(_("Stop the link"), "calendar stop")]
        ],
    )


async def feed_calendar(conversation: Conversation, secret: str) -> bytes | None:
    """The .ics behind a feed link, in its owner's language; None for an unknown or revoked secret."""
    async with conversation.db.read() as conn:
        person_id = await person_for_feed(conn, secret)
        if person_id is None:
            return None
        _ = await conversation.translator_for(conn, person_id)
        return meetings.build_calendar(await plan(conn, conversation.dataset), _, conversation.clock())
