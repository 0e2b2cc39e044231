"""Documents sent to many people (a broadcast's PDF from `kkrbot broadcast --document`): the bytes are stored
once, here, and each outbox row carries only a reference (`Document.stored_id`), so a broadcast to 500 does not
store the PDF 500 times. Telegram gets the file once too: the first send uploads it and keeps the file_id that
Telegram answers with, and the rest are sent by that file_id (bot/channels/telegram.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.storage.db import Database, first_row, utc_text


@dataclass(frozen=True)
class StoredDocument:
    id: int
    filename: str
    mime_type: str
    content: bytes
    telegram_file_id: str | None


async def store_document(
    conn: aiosqlite.Connection, filename: str, mime_type: str, content: bytes, now: datetime
) -> int:
    cursor = await conn.execute(
        "INSERT INTO documents (filename, mime_type, content, created_at) VALUES (?, ?, ?, ?)",
        (filename, mime_type, content, utc_text(now)),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def telegram_file_id(conn: aiosqlite.Connection, document_id: int) -> str | None:
    """Telegram's file_id once a send has uploaded the document; None before (the next send uploads it)."""
    row = await first_row(conn, "SELECT telegram_file_id FROM documents WHERE id = ?", (document_id,))
    return str(row[0]) if row and row[0] else None


async def stored_document(conn: aiosqlite.Connection, document_id: int) -> StoredDocument:
    row = await first_row(
        conn,
        "SELECT id, filename, mime_type, content, telegram_file_id FROM documents WHERE id = ?",
        (document_id,),
    )
    if row is None:
        raise LookupError(f"no stored document {document_id}")
    return StoredDocument(row[0], row[1], row[2], bytes(row[3]), row[4])


async def keep_telegram_file_id(db: Database, document_id: int, file_id: str) -> None:
    await db.write("UPDATE documents SET telegram_file_id = ? WHERE id = ?", (file_id, document_id))
