"""/mine_data (/mydata), issue #10 item 13: a person gets, as a JSON file, everything the bot stores about
them: roster entry, chat accounts, language, absences and answers, the messages sent to them and what they
wrote; no secrets."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import RunningBot
from tests.test_absence_e2e import MEMBER, SECRETARY, SUBSTITUTE, council, message_to, report_absence

__all__ = ["council"]  # the fixture, shared with the absence tests


async def my_data(council: RunningBot, user: int, command: str) -> dict[str, Any]:
    answer = await council.ask(user, command)
    assert answer.method == "sendDocument"
    assert answer.document is not None
    filename, content = answer.document
    assert filename.endswith(".json")
    document: dict[str, Any] = json.loads(content)
    return document


async def test_a_member_gets_everything_stored_about_them(council: RunningBot) -> None:
    await report_absence(council)
    await council.ask(MEMBER, "/sprog en")
    alert = (await message_to(council, SUBSTITUTE, "har meldt afbud"))[0]
    await council.press(SUBSTITUTE, alert, "Jeg deltager")
    await message_to(council, MEMBER, "will attend the meeting")

    document = await my_data(council, MEMBER, "/mydata")

    tables = document["tables"]
    assert document["person_id"] == "a-medlem-1"
    assert tables["persons"][0]["id"] == "a-medlem-1"
    assert tables["persons"][0]["phone"]
    assert tables["accounts"] == [
        {
            "channel": "telegram",
            "address": str(MEMBER),
            "person_id": "a-medlem-1",
            "bound_at": tables["accounts"][0]["bound_at"],
        }
    ]
    assert tables["language_choices"] == [{"person_id": "a-medlem-1", "language": "en"}]
    [absence] = tables["absences"]
    assert (absence["meeting_id"], absence["answer"]) == ("2027-02-12", "accepted")
    titles = [m["payload"]["title"] for m in tables["outbox"]]
    assert "Afbud registreret" in titles
    assert "Substitute found" in titles
    typed = [m["text"] for m in tables["inbox (what you sent)"]]
    pressed = [m["button"] for m in tables["inbox (what you sent)"]]
    assert "/sprog en" in typed
    assert "absent 2027-02-12 ok" in pressed
    assert "token_hash" not in json.dumps(document)


async def test_a_substitute_sees_the_alerts_they_were_sent_and_nobody_elses_data(council: RunningBot) -> None:
    await report_absence(council)
    await message_to(council, SUBSTITUTE, "har meldt afbud")
    await message_to(council, SECRETARY, "har meldt afbud")

    document = await my_data(council, SUBSTITUTE, "/mine_data")

    tables = document["tables"]
    [absence] = tables["absences"]
    assert absence["substitute_id"] == "a-stedfortraeder-1"
    assert any("har meldt afbud" in m["payload"]["text"] for m in tables["outbox"])
    assert {m["person_id"] for m in tables["outbox"]} == {"a-stedfortraeder-1"}
    assert {a["address"] for a in tables["accounts"]} == {str(SUBSTITUTE)}


async def account_languages(council: RunningBot) -> list[tuple[str, str]]:
    async with council.conversation.db.read() as conn:
        cursor = await conn.execute("SELECT channel, address FROM account_languages ORDER BY address")
        return [(str(row[0]), str(row[1])) for row in await cursor.fetchall()]


async def test_an_unbound_accounts_language_is_deleted_with_the_binding(council: RunningBot) -> None:
    """The language an account first said is personal data of its binding: when the binding goes (a new invite
    binds another phone, the person leaves the roster), so does the language, in the same transaction."""
    assert ("telegram", str(MEMBER)) in await account_languages(council)

    new_phone = 2999
    await council.bind(new_phone, "a-medlem-1", language="en")

    assert ("telegram", str(MEMBER)) not in await account_languages(council)
    assert ("telegram", str(new_phone)) in await account_languages(council)
    await council.ask(new_phone, "/naeste")  # the same account answered again keeps its language
    assert ("telegram", str(new_phone)) in await account_languages(council)

    preview = await council.ask(SECRETARY, "/udtraedelse a-stedfortraeder-1 byraad")
    await council.press(SECRETARY, preview, "Send")

    assert ("telegram", str(SUBSTITUTE)) not in await account_languages(council)
