"""What the conversation core takes and gives: a `Request` from a channel, and the `Outcome` of a use case
(replies to the asker, notifications to other roster people). The messages themselves are
`bot.delivery.message.Message`, the model the outbox stores."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from bot.delivery.message import Message
from bot.delivery.outbox import Lane
from bot.storage.roster import Person


class Attachment(BaseModel):
    """A file someone sent with their request (the agenda PDF, a broadcast's document). `file_id` is the
    channel's own reference (Telegram's file_id), so the file itself need not be downloaded or stored."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    file_id: str
    filename: str
    mime_type: str | None = None
    size: int | None = None


class Request(BaseModel):
    """Someone asked something: a command with arguments, from an account on a channel.

    `person_id` is set by a channel that knows who acts (the console is a local operator who picks whom to act
    as); left out, the conversation looks the account (channel, address) up in the bindings made by invites,
    inside the use case's transaction (the Telegram channel does so).
    """

    model_config = ConfigDict(frozen=True, defer_build=True)

    channel: str
    address: str
    command: str
    args: tuple[str, ...] = ()
    # Everything after the command as written, line breaks kept (an agenda's items on their own lines);
    # `args` is the same text split on whitespace.
    text: str = ""
    attachment: Attachment | None = None
    person_id: str | None = None
    language_hint: str | None = None
    display_name: str | None = None


class Notification(BaseModel):
    """A message for someone other than the asker, addressed by roster person."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    person_id: str
    message: Message
    lane: Lane = Lane.INTERACTIVE


class Outcome(BaseModel):
    model_config = ConfigDict(defer_build=True)

    replies: list[Message] = Field(default_factory=list)
    notifications: list[Notification] = Field(default_factory=list)
    # The person an invite bound the asking account to, so a channel can set up what it needs for them.
    bound: Person | None = None
    # The request answered the question whose button was pressed (confirmed an afbud, a substitute's answer):
    # that message's buttons are used up, and a channel that can should remove them.
    buttons_used: bool = False
