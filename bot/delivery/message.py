"""What the bot sends, independent of any channel: the model the outbox stores and every channel renders.

Text is plain; a channel decides how to render the title and escape the body. Buttons carry an action,
a command line the core understands ("absent 2027-02-12"), which a channel may use as callback data: it
must stay within Telegram's 64 bytes, which `Button` checks so that no channel ever meets the limit late.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

CALLBACK_LIMIT_BYTES = 64
# Telegram's limits for what a person sees, in UTF-16 code units; the strictest channel's limits hold for all,
# so a message is split once, when it is queued, and no channel meets a limit late.
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _cut(line: str, budget: int) -> list[str]:
    """A line longer than `budget`, cut at spaces where it can be, else anywhere."""
    pieces = []
    while utf16_length(line) > budget:
        end, size = 0, 0
        while size + utf16_length(line[end]) <= budget:
            size += utf16_length(line[end])
            end += 1
        space = line.rfind(" ", 0, end + 1)
        cut = space if space > end // 2 else end
        pieces.append(line[:cut].rstrip())
        line = line[cut:].lstrip()
    return [*pieces, line]


def split_lines(text: str, budget: int) -> list[str]:
    """`text` in pieces of at most `budget`, split at line breaks, in order."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        for piece in _cut(line, budget):
            added = utf16_length(piece) + (1 if current else 0)
            if current and size + added > budget:
                chunks.append("\n".join(current))
                current, size, added = [], 0, utf16_length(piece)
            current.append(piece)
            size += added
    chunks.append("\n".join(current))
    return [chunk.strip("\n") for chunk in chunks if chunk.strip()]


class Button(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    label: str
    action: str

    @field_validator("action")
    @classmethod
    def _fits_callback_data(cls, value: str) -> str:
        if not value or len(value.encode()) > CALLBACK_LIMIT_BYTES:
            raise ValueError(f"button action must be 1..{CALLBACK_LIMIT_BYTES} bytes: {value!r}")
        return value


class Document(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    filename: str
    content: bytes = b""
    mime_type: str = "application/octet-stream"
    # A file the channel already has (Telegram's file_id of a PDF someone sent the bot): sent by reference,
    # so a broadcast to hundreds does not store or upload the file hundreds of times.
    file_id: str | None = None
    # A file stored once in the database (bot.storage.documents) for many messages: each outbox row carries
    # only this id, and the channel fetches the bytes when it needs them (Telegram only for the first send).
    stored_id: int | None = None

    def to_payload(self) -> dict[str, str | int | None]:
        return {
            "filename": self.filename,
            "content": base64.b64encode(self.content).decode(),
            "mime_type": self.mime_type,
            "file_id": self.file_id,
            "stored_id": self.stored_id,
        }


class Message(BaseModel):
    """One message to one person, already in that person's language."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    text: str
    title: str | None = None
    # A block shown in a fixed-width font (a table); Telegram renders it as <pre>.
    pre: str | None = None
    buttons: tuple[tuple[Button, ...], ...] = ()
    document: Document | None = None
    # It carries a secret (an invite link): the outbox forgets it once it is delivered or given up. Not part
    # of the payload; the outbox keeps it in its own column.
    sensitive: bool = False
    # When it stops mattering (an alert or a reminder: its meeting's start): not sent after that, but marked failed
    # and reported. Not part of the payload; the outbox keeps it in its own column.
    deadline: datetime | None = None

    def visible_length(self) -> int:
        """What the person sees, as channels show it: title, table and text, a blank line between them."""
        shown = [part for part in (self.title, self.pre, self.text) if part]
        return sum(utf16_length(part) for part in shown) + 2 * max(0, len(shown) - 1)

    def parts(self) -> list[Message]:
        """This message as messages within the limits: the text split at line breaks, in order; the title
        and a table that fits go first, the buttons and a document last."""
        if self.visible_length() <= (CAPTION_LIMIT if self.document else TEXT_LIMIT):
            return [self]
        header = utf16_length(self.title) + 2 if self.title else 0
        texts: list[tuple[str | None, str]] = []
        pre = self.pre
        if pre and header + utf16_length(pre) + 2 > TEXT_LIMIT // 2:
            texts += [(chunk, "") for chunk in split_lines(pre, TEXT_LIMIT - header)]
            pre = None
        reserved = header + (utf16_length(pre) + 2 if pre else 0)
        texts += [
            (pre if not texts and index == 0 else None, chunk)
            for index, chunk in enumerate(split_lines(self.text, TEXT_LIMIT - reserved))
        ]
        parts = [
            Message(
                text=text,
                title=self.title if index == 0 else None,
                pre=table,
                sensitive=self.sensitive,
                deadline=self.deadline,
            )
            for index, (table, text) in enumerate(texts)
        ]
        if self.document:
            parts.append(
                Message(
                    text="",
                    document=self.document,
                    buttons=self.buttons,
                    sensitive=self.sensitive,
                    deadline=self.deadline,
                )
            )
        elif parts:
            parts[-1] = parts[-1].model_copy(update={"buttons": self.buttons})
        return parts

    def to_payload(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "title": self.title,
            "pre": self.pre,
            "buttons": [[b.model_dump() for b in row] for row in self.buttons],
            "document": self.document.to_payload() if self.document else None,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Message:
        document = payload.get("document")
        return cls(
            text=payload["text"],
            title=payload.get("title"),
            pre=payload.get("pre"),
            buttons=tuple(tuple(Button(**b) for b in row) for row in payload.get("buttons", [])),
            document=Document(
                filename=document["filename"],
                content=base64.b64decode(document["content"]),
                mime_type=document["mime_type"],
                file_id=document.get("file_id"),
                stored_id=document.get("stored_id"),
            )
            if document
            else None,
        )
