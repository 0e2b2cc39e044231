"""What the bot sends, independent of any channel: the model the outbox stores and every channel renders.

Text is plain; a channel decides how to render the title and escape the body. Buttons carry an action,
a command line the core understands ("absent 2027-02-12"), which a channel may use as callback data: it
must stay within Telegram's 64 bytes, which `Button` checks so that no channel ever meets the limit late.
"""

from __future__ import annotations

import base64
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

CALLBACK_LIMIT_BYTES = 64


class Button(BaseModel):
    model_config = ConfigDict(frozen=True)

    label: str
    action: str

    @field_validator("action")
    @classmethod
    def _fits_callback_data(cls, value: str) -> str:
        if not value or len(value.encode()) > CALLBACK_LIMIT_BYTES:
            raise ValueError(f"button action must be 1..{CALLBACK_LIMIT_BYTES} bytes: {value!r}")
        return value


class Document(BaseModel):
    model_config = ConfigDict(frozen=True)

    filename: str
    content: bytes = b""
    mime_type: str = "application/octet-stream"
    # A file the channel already has (Telegram's file_id of a PDF someone sent the bot): sent by reference,
    # so a broadcast to hundreds does not store or upload the file hundreds of times.
    file_id: str | None = None

    def to_payload(self) -> dict[str, str | None]:
        return {
            "filename": self.filename,
            "content": base64.b64encode(self.content).decode(),
            "mime_type": self.mime_type,
            "file_id": self.file_id,
        }


class Message(BaseModel):
    """One message to one person, already in that person's language."""

    model_config = ConfigDict(frozen=True)

    text: str
    title: str | None = None
    # A block shown in a fixed-width font (a table); Telegram renders it as <pre>.
    pre: str | None = None
    buttons: tuple[tuple[Button, ...], ...] = ()
    document: Document | None = None
    # Set for a reply that acknowledges a button press, so the channel can stop the button's spinner.
    callback_id: str | None = None
    # It carries a secret (an invite link): the outbox forgets it once it is delivered or given up. Not part
    # of the payload; the outbox keeps it in its own column.
    sensitive: bool = False

    def to_payload(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "title": self.title,
            "pre": self.pre,
            "buttons": [[b.model_dump() for b in row] for row in self.buttons],
            "document": self.document.to_payload() if self.document else None,
            "callback_id": self.callback_id,
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
            )
            if document
            else None,
            callback_id=payload.get("callback_id"),
        )
