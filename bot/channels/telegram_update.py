"""The fields of a Telegram update that kkrbot reads, validated where they are read: one pydantic model, checked
before python-telegram-bot parses the update. An update that does not fit (an id that is not a number, a `from`
without an id in a private chat, a name longer than Telegram allows) is malformed and kept aside in the inbox,
never answered: an answer to the address "None" could never be sent. Everything else in the payload stays raw and
unchecked (`extra="allow"`): kkrbot does not read it.

The limits are Telegram's own (https://core.telegram.org/bots/api): 64 bytes of callback data, ids within 52 bits,
names of up to 64 characters (kept generous here: 256). Texts and captions have none here: one that is too long is
the person's mistake, and gets the conversation's answer saying so.
"""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError, model_validator

MAX_ID = 2**53
UserId = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
ChatId = Annotated[StrictInt, Field(ge=-MAX_ID, le=MAX_ID)]
Name = Annotated[StrictStr, Field(max_length=256)]


class _Read(BaseModel):
    """Only what kkrbot reads is checked; the rest of the payload is allowed and left alone."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, defer_build=True)


class User(_Read):
    id: UserId
    is_bot: StrictBool = False
    first_name: Name
    last_name: Name | None = None
    username: Name | None = None
    language_code: Annotated[StrictStr, Field(max_length=35)] | None = None


class Chat(_Read):
    id: ChatId
    type: Annotated[StrictStr, Field(max_length=32)]


class Document(_Read):
    file_id: Annotated[StrictStr, Field(min_length=1, max_length=512)]
    file_name: Annotated[StrictStr, Field(max_length=1024)] | None = None
    mime_type: Annotated[StrictStr, Field(max_length=255)] | None = None
    file_size: Annotated[StrictInt, Field(ge=0)] | None = None


class ChatMessage(_Read):
    message_id: StrictInt
    sender: User | None = Field(default=None, alias="from")
    chat: Chat
    # No length limit here: an over-long text gets the use case's clear answer (the conversation's INPUT_LIMIT).
    text: StrictStr | None = None
    caption: StrictStr | None = None
    document: Document | None = None

    @model_validator(mode="after")
    def private_messages_have_a_sender(self) -> Self:
        """The bot answers private chats only, and answers the sender: a private message without one is no message."""
        if self.chat.type == "private" and self.sender is None:
            raise ValueError("a private message without from")
        return self


class CallbackMessage(_Read):
    message_id: StrictInt
    chat: Chat


class CallbackQuery(_Read):
    id: Annotated[StrictStr, Field(min_length=1, max_length=256)]
    sender: User = Field(alias="from")
    data: Annotated[StrictStr, Field(max_length=64)] | None = None
    message: CallbackMessage | None = None

    @model_validator(mode="after")
    def data_within_64_bytes(self) -> Self:
        if self.data is not None and len(self.data.encode()) > 64:
            raise ValueError("callback data over 64 bytes")
        return self


class TelegramUpdate(_Read):
    update_id: Annotated[StrictInt, Field(ge=0)]
    message: ChatMessage | None = None
    callback_query: CallbackQuery | None = None


def why_malformed(payload: Any) -> str | None:
    """None when the fields kkrbot reads are all well-formed; otherwise where the first fault is, by field path
    only (never the value: it may be what someone wrote)."""
    try:
        TelegramUpdate.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False, include_context=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "update"
        return f"invalid {where} ({first['type']})"
    return None
