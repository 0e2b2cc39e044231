"""Everything the database holds about one person, for `/mine_data` (the right of access).

It sweeps every table rather than listing them, so a table another feature adds later (broadcasts,
acknowledgements) is included as soon as it names the person in a `person_id`, `member_id` or
`substitute_id` column. Secrets are left out (invite token hashes, calendar feed secrets): the export is a
file in a chat, and a secret in it would be one more copy to leak. What the person wrote is found in the
inbox by their chat accounts' ids.
"""

from __future__ import annotations

import json
from typing import Any

import aiosqlite

from bot.storage.db import rows

PERSON_COLUMNS = ("person_id", "member_id", "substitute_id")
SECRET_COLUMNS = frozenset({"token", "token_hash", "secret", "content"})
# How each channel's stored update names its sender.
SENDER_PATHS = ("$.message.from.id", "$.callback_query.from.id", "$.from.id")


def _message_summary(payload: str) -> dict[str, Any]:
    """An outbox message as the person saw it: title, text, buttons' labels and a document's name."""
    message = json.loads(payload)
    document = message.get("document") or {}
    return {
        "title": message.get("title"),
        "text": message.get("text"),
        "buttons": [b.get("label") for row in message.get("buttons", []) for b in row],
        "document": document.get("filename"),
    }


def _update_summary(payload: str) -> dict[str, Any]:
    """What the person sent: the text they typed or the button they pressed."""
    update = json.loads(payload)
    message = update.get("message") or {}
    query = update.get("callback_query") or {}
    return {"text": message.get("text") or update.get("text"), "button": query.get("data")}


async def _tables(conn: aiosqlite.Connection) -> list[tuple[str, list[str]]]:
    names = [r[0] for r in await rows(conn, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    return [(name, [c[1] for c in await rows(conn, f"PRAGMA table_info({name})")]) for name in names]


async def personal_data(conn: aiosqlite.Connection, person_id: str) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for table, columns in await _tables(conn):
        keys = ["id"] if table == "persons" else [c for c in columns if c in PERSON_COLUMNS]
        if not keys or table.startswith("sqlite_"):
            continue
        where = " OR ".join(f"{key} = ?" for key in keys)
        found = [dict(r) for r in await rows(conn, f"SELECT * FROM {table} WHERE {where}", (person_id,) * len(keys))]
        for row in found:
            for secret in SECRET_COLUMNS & row.keys():
                del row[secret]
            if table == "outbox":
                # A message that carried a secret (invite links) is scrubbed once sent; say so, never copy it.
                scrubbed = row.get("sensitive")
                row["payload"] = {"text": "(secret, not included)"} if scrubbed else _message_summary(row["payload"])
        if found:
            data[table] = found
    accounts = [(a["channel"], a["address"]) for a in data.get("accounts", [])]
    sent: list[dict[str, Any]] = []
    for channel, address in accounts:
        senders = " OR ".join(f"CAST(json_extract(payload, '{path}') AS TEXT) = ?" for path in SENDER_PATHS)
        for update in await rows(
            conn,
            f"SELECT update_id, received_at, processed_at, payload FROM inbox WHERE channel = ? AND ({senders}) "
            "ORDER BY update_id",
            (channel, *(address,) * len(SENDER_PATHS)),
        ):
            sent.append(
                {"channel": channel, "received_at": update["received_at"], **_update_summary(update["payload"])}
            )
        for failure in await rows(
            conn, "SELECT at FROM failed_starts WHERE channel = ? AND address = ?", (channel, address)
        ):
            data.setdefault("failed_starts", []).append({"channel": channel, "at": failure["at"]})
        for language in await rows(
            conn, "SELECT language, set_at FROM account_languages WHERE channel = ? AND address = ?", (channel, address)
        ):
            data.setdefault("account_languages", []).append({"channel": channel, **dict(language)})
    if sent:
        data["inbox (what you sent)"] = sent
    return data
