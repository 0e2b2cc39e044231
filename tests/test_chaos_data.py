"""Chaos for the data: what a wrong roster file, a copy of the database, a long text or a forged button
could do, and why none of it can lose or leak anything (issue #7, items 4 to 8)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

import pytest
import yaml

from bot.app import open_conversation
from bot.cli import main
from bot.config import Settings
from bot.core.commands import INVALID_BUTTON, parse_action
from bot.core.messages import Request
from bot.delivery.message import CAPTION_LIMIT, TEXT_LIMIT, Button, Document, Message
from bot.delivery.retention import FORGOTTEN, FORGOTTEN_UPDATE
from bot.storage.accounts import hash_token
from bot.storage.db import rows
from tests.conftest import Clock, RunningBot, link_token, start_bot
from tests.fake_telegram import FakeTelegram
from tests.processes import example_database
from tests.test_faults import drained

# --- roster imports that cannot destroy ---------------------------------------------------------------------


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`kkrbot` in this process, on a database of its own, with none of the caller's settings."""
    for name in [n for n in os.environ if n.startswith("KKRBOT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("KKRBOT_DATABASE", str(tmp_path / "kkrbot.sqlite3"))
    monkeypatch.chdir(tmp_path)
    example_database(tmp_path / "kkrbot.sqlite3")
    return tmp_path


def kkrbot(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def database_state(path: Path) -> list[tuple[object, ...]]:
    """Everything an import could touch: people (with archive marks), bindings, invites, absences."""
    with sqlite3.connect(path) as conn:
        return [
            *conn.execute("SELECT * FROM persons ORDER BY id"),
            *conn.execute("SELECT * FROM accounts ORDER BY channel, address"),
            *conn.execute("SELECT * FROM invites ORDER BY token_hash"),
            *conn.execute("SELECT * FROM absences ORDER BY id"),
        ]


def bind_and_record_history(database: Path) -> None:
    """A bound member and a bound substitute, and a past meeting where the one stood in for the other."""
    with sqlite3.connect(database) as conn:
        conn.execute(
            "INSERT INTO accounts (channel, address, person_id, bound_at) VALUES "
            "('telegram', '7001', 'a-medlem-2', '2026-02-01T00:00:00+00:00'), "
            "('telegram', '7002', 'a-stedfortraeder-2', '2026-02-01T00:00:00+00:00')"
        )
        conn.execute(
            "INSERT INTO absences (meeting_id, member_id, substitute_id, reported_at, answer, answered_at) VALUES "
            "('2026-03-27', 'a-medlem-2', 'a-stedfortraeder-2', '2026-03-01T00:00:00+00:00', 'accepted', "
            "'2026-03-02T00:00:00+00:00')"
        )


def example_people(workdir: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    """The roster as `kkrbot roster export` writes it (YAML)."""
    assert kkrbot(capsys, "roster", "export", "current.yaml")[0] == 0
    people: list[dict[str, object]] = yaml.safe_load((workdir / "current.yaml").read_text())["people"]
    return people


def write_people(path: Path, people: list[dict[str, object]]) -> Path:
    path.write_text(yaml.safe_dump({"people": people}, allow_unicode=True, sort_keys=False))
    return path


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.yaml", "people: []\n"),
        ("empty.csv", "id,name,role,municipality,party,mayor,substitute_id\n"),
    ],
)
def test_an_empty_roster_file_is_refused_and_the_database_is_unchanged(
    workdir: Path, capsys: pytest.CaptureFixture[str], name: str, content: str
) -> None:
    kkrbot(capsys, "roster", "list")
    bind_and_record_history(workdir / "kkrbot.sqlite3")
    before = database_state(workdir / "kkrbot.sqlite3")
    (workdir / name).write_text(content)

    status, _out, err = kkrbot(capsys, "roster", "import", name)
    forced = kkrbot(capsys, "roster", "import", name, "--force")

    assert status == 2
    assert forced[0] == 2
    assert "refused, nothing changed" in err
    assert "no secretariat" in err
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert database_state(workdir / "kkrbot.sqlite3") == before


def test_a_file_without_the_secretariat_is_refused_even_with_force(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = [p for p in example_people(workdir, capsys) if p["role"] != "secretariat"]
    before = database_state(workdir / "kkrbot.sqlite3")

    status, _out, err = kkrbot(capsys, "roster", "import", str(write_people(workdir / "r.yaml", people)), "--force")

    assert status == 2
    assert "no secretariat" in err
    assert database_state(workdir / "kkrbot.sqlite3") == before


def test_fewer_members_than_the_composition_needs_is_refused_unless_forced(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = example_people(workdir, capsys)
    # The member from Læsø leaves, and with her the substitute nobody else has.
    people = [p for p in people if p["id"] not in ("laesoe-borgmester",)]
    path = write_people(workdir / "r.yaml", people)
    before = database_state(workdir / "kkrbot.sqlite3")

    status, _out, err = kkrbot(capsys, "roster", "import", str(path))

    assert status == 2
    assert "21 members, fewer than the 22 the composition needs" in err
    assert database_state(workdir / "kkrbot.sqlite3") == before
    status, out, _err = kkrbot(capsys, "roster", "import", str(path), "--force")
    assert status == 0
    assert "0 added, 0 updated, 1 removed" in out


def test_removing_more_than_half_of_the_people_is_refused_unless_forced(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = [{**p, "example": False} for p in example_people(workdir, capsys)]
    extra = [
        {"id": f"extra-{n}", "name": f"Extra {n}", "role": "substitute", "municipality": "Aalborg", "party": "A"}
        for n in range(len(example) + 3)
    ]
    assert kkrbot(capsys, "roster", "import", str(write_people(workdir / "big.yaml", example + extra)))[0] == 0
    path = write_people(workdir / "r.yaml", example)
    before = database_state(workdir / "kkrbot.sqlite3")

    status, _out, err = kkrbot(capsys, "roster", "import", str(path))

    assert status == 2
    assert f"would remove {len(extra)} of the {len(example) + len(extra)} people" in err
    assert database_state(workdir / "kkrbot.sqlite3") == before
    status, out, _err = kkrbot(capsys, "roster", "import", str(path), "--force")
    assert status == 0
    assert f"{len(extra)} removed" in out


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # R-MEM-6: two members as each other's substitute.
        ({"a-medlem-2": "a-medlem-3", "a-medlem-3": "a-medlem-2"}, "lead back to a-medlem-2 (R-MEM-6)"),
        # R-MEM-6: two members sharing one substitute.
        ({"a-medlem-3": "a-stedfortraeder-2"}, "already the personal substitute of a-medlem-2"),
        # R-MEM-6: a member substituted by a mayor.
        ({"a-medlem-2": "aalborg-borgmester"}, "aalborg-borgmester is a mayor"),
    ],
)
def test_r_mem_6_an_impossible_substitute_structure_is_refused_even_with_force(
    workdir: Path, capsys: pytest.CaptureFixture[str], change: dict[str, str], expected: str
) -> None:
    people = [
        {**p, "substitute_id": change.get(str(p["id"]), p.get("substitute_id"))}
        for p in example_people(workdir, capsys)
    ]
    people = [{k: v for k, v in p.items() if v is not None} for p in people]
    before = database_state(workdir / "kkrbot.sqlite3")

    status, _out, err = kkrbot(capsys, "roster", "import", str(write_people(workdir / "r.yaml", people)), "--force")

    assert status == 2, err
    assert expected in err
    assert "substitute_id" in err
    assert "Traceback" not in err
    assert database_state(workdir / "kkrbot.sqlite3") == before


async def minutes_of(database: Path, meeting_id: str) -> str:
    settings = Settings(_env_file=None, database=database)  # type: ignore[call-arg]
    conversation = await open_conversation(settings)
    try:
        request = Request(
            channel="console", address="sekretariat-1", command="minutes", args=(meeting_id,), person_id="sekretariat-1"
        )
        outcome = await conversation.handle(request)
    finally:
        await conversation.db.close()
    return "\n".join(m.text for m in outcome.replies)


def test_people_removed_are_archived_and_a_re_import_brings_their_history_back_but_not_their_bindings(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = workdir / "kkrbot.sqlite3"
    everyone = example_people(workdir, capsys)
    bind_and_record_history(database)
    leaving = ("a-medlem-2", "a-stedfortraeder-2")
    line = (
        "Pia Fiktivsen (eksempel) (A) havde meldt afbud, og Rasmus Opdigtsen (eksempel) (A) havde sagt ja til at "
        "deltage i stedet."
    )
    assert line in asyncio.run(minutes_of(database, "2026-03-27"))

    without = write_people(workdir / "without.yaml", [p for p in everyone if p["id"] not in leaving])
    status, out, _err = kkrbot(capsys, "roster", "import", str(without), "--force")

    assert status == 0
    assert "0 added, 0 updated, 2 removed" in out
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM absences WHERE member_id = 'a-medlem-2'").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM accounts").fetchone()[0] == 0
    assert line in asyncio.run(minutes_of(database, "2026-03-27"))
    listed = kkrbot(capsys, "roster", "list")[1]
    assert "a-medlem-2 " not in listed

    status, out, _err = kkrbot(capsys, "roster", "import", "current.yaml")

    assert status == 0
    assert "2 added, 0 updated, 0 removed (2 of the added restored from the archive" in out
    assert line in asyncio.run(minutes_of(database, "2026-03-27"))
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM accounts").fetchone()[0] == 0
    assert "a-medlem-2 " in kkrbot(capsys, "roster", "list")[1]


@pytest.mark.parametrize("name", ["roster.yaml", "roster.csv"])
def test_an_exported_roster_imports_back_unchanged(
    workdir: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    before = kkrbot(capsys, "roster", "list", "--json")[1]

    status, out, err = kkrbot(capsys, "roster", "export", name)
    assert status == 0, err
    assert "46 people" in out
    status, out, err = kkrbot(capsys, "roster", "import", name)

    assert status == 0, err
    assert "0 added, 0 updated, 0 removed" in out
    assert kkrbot(capsys, "roster", "list", "--json")[1] == before


# --- secrets at rest and retention --------------------------------------------------------------------------

SECRETARY = 8001
MEMBER = 8002
OTHER_MEMBER = 8003


def stored_bytes(database: Path) -> bytes:
    """The database file and its WAL as a stranger with a copy of them would read them."""
    wal = database.with_name(database.name + "-wal")
    return database.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


async def test_a_delivered_invite_link_leaves_no_usable_token_in_the_database_or_its_wal(
    tg: FakeTelegram, tmp_path: Path, clock: Clock
) -> None:
    database = tmp_path / "kkrbot.sqlite3"
    kkrbot = await start_bot(tg, database, clock)
    await kkrbot.bind(SECRETARY, "sekretariat-1")
    await kkrbot.ask(SECRETARY, "/inviter a-medlem-2", count=2)
    token = link_token(tg.sent_to(SECRETARY)[-2].plain_text or "")
    await drained(kkrbot)

    await kkrbot.conversation.tick()

    # Only the token's hash is kept; the message that carried the link is gone, from the file and the WAL.
    assert hash_token(token).encode() in stored_bytes(database)
    assert token.encode() not in stored_bytes(database)
    await kkrbot.stop()
    assert token.encode() not in stored_bytes(database)
    # The link still works for the person it was meant for: forgetting it took nothing else away.
    kkrbot = await start_bot(tg, database, clock)
    welcome = await kkrbot.ask(MEMBER, f"/start {token}")
    assert "Velkommen" in (welcome.plain_text or "")
    await kkrbot.stop()


async def test_a_link_that_could_not_be_delivered_is_forgotten_too(kkrbot: RunningBot) -> None:
    await kkrbot.bind(SECRETARY, "sekretariat-1")
    kkrbot.tg.block(SECRETARY)
    kkrbot.tg.inject_message(SECRETARY, "/inviter a-medlem-2", language_code="da")
    async with asyncio.timeout(30):
        while True:
            async with kkrbot.conversation.db.read() as conn:
                given_up = await rows(conn, "SELECT payload FROM outbox WHERE failed_at IS NOT NULL AND sensitive")
            if len(given_up) == 1:
                break
            await asyncio.sleep(0.05)

    assert [row[0] for row in given_up] == [FORGOTTEN]


async def test_after_the_retention_period_updates_and_messages_lose_their_contents_but_absences_stay(
    kkrbot: RunningBot,
) -> None:
    await kkrbot.bind(MEMBER, "a-medlem-2")
    await kkrbot.ask(MEMBER, "/afbud 2027-02-12 ok")
    await kkrbot.ask(MEMBER, "/naeste")
    await drained(kkrbot)
    kkrbot.clock.advance(days=29)
    await kkrbot.conversation.tick()
    async with kkrbot.conversation.db.read() as conn:
        assert await rows(conn, "SELECT 1 FROM inbox WHERE payload LIKE '%/naeste%'")

    kkrbot.clock.advance(days=2)
    await kkrbot.conversation.tick()

    async with kkrbot.conversation.db.read() as conn:
        inbox = await rows(conn, "SELECT payload FROM inbox WHERE processed_at IS NOT NULL")
        outbox = await rows(conn, "SELECT payload FROM outbox WHERE sent_at IS NOT NULL")
        absences = await rows(conn, "SELECT meeting_id, member_id FROM absences")
    assert inbox
    assert {row[0] for row in inbox} == {FORGOTTEN_UPDATE}
    assert {row[0] for row in outbox} == {FORGOTTEN}
    assert [tuple(row) for row in absences] == [("2027-02-12", "a-medlem-2")]
    assert b"/naeste" not in stored_bytes(kkrbot.settings.database)


# --- long messages ------------------------------------------------------------------------------------------


async def test_a_5000_character_agenda_is_sent_in_parts_within_telegrams_limit_and_naeste_keeps_answering(
    kkrbot: RunningBot,
) -> None:
    agenda = "\n".join(f"{n}. Punkt {n}: " + "regional udvikling og trafik " * 3 for n in range(1, 60))
    assert len(agenda) > 5000
    async with kkrbot.conversation.db.transaction() as conn:
        await conn.execute(
            "INSERT INTO agenda_versions (meeting_id, text, created_at) "
            "VALUES ('2027-02-12', ?, '2026-11-20T00:00:00+00:00')",
            (agenda,),
        )
    await kkrbot.bind(MEMBER, "a-medlem-2")

    for _ in range(3):
        before = len(kkrbot.tg.sent_to(MEMBER))
        kkrbot.tg.inject_message(MEMBER, "/naeste", language_code="da")
        answers = (await kkrbot.tg.wait_for_messages(MEMBER, before + 2))[before:]
        await drained(kkrbot)
        answers = kkrbot.tg.sent_to(MEMBER)[before:]
        # The fake Bot API refuses a text over 4,096 characters, as Telegram does: every part was accepted.
        assert len(answers) >= 2
        assert all(len(a.plain_text or "") <= 4096 for a in answers)
        shown = "\n".join(a.plain_text or "" for a in answers)
        assert "1. Punkt 1:" in shown
        assert "59. Punkt 59:" in shown
        assert shown.index("1. Punkt 1:") < shown.index("30. Punkt 30:") < shown.index("59. Punkt 59:")
        assert answers[-1].buttons  # the next step comes last, under the end of the text
    async with kkrbot.conversation.db.read() as conn:
        assert await rows(conn, "SELECT 1 FROM outbox WHERE failed_at IS NOT NULL") == []


async def test_an_over_long_input_is_refused_with_the_next_step_and_not_echoed(kkrbot: RunningBot) -> None:
    await kkrbot.bind(MEMBER, "a-medlem-2")
    await kkrbot.bind(SECRETARY, "sekretariat-1")

    digits = await kkrbot.ask(MEMBER, "/afbud " + "7" * 3000)
    agenda = await kkrbot.ask(SECRETARY, "/dagsorden 2027-02-12 " + "Punkt. " * 600)

    assert "højst 200 tegn" in (digits.plain_text or "")
    assert "7777" not in (digits.plain_text or "")
    assert digits.buttons
    assert "højst 4000 tegn" in (agenda.plain_text or "")
    async with kkrbot.conversation.db.read() as conn:
        assert await rows(conn, "SELECT 1 FROM agenda_versions") == []


async def test_what_a_person_typed_is_quoted_at_most_80_characters(kkrbot: RunningBot) -> None:
    await kkrbot.bind(MEMBER, "a-medlem-2")

    answer = await kkrbot.ask(MEMBER, "/afbud " + "x" * 150 + "\u202e")

    text = answer.plain_text or ""
    assert "x" * 80 not in text
    assert "„" + "x" * 79 + "…“" in text
    assert "\u202e" not in text


async def test_undeliverable_notices_say_why_without_quoting_and_come_once_an_hour(kkrbot: RunningBot) -> None:
    await kkrbot.bind(SECRETARY, "sekretariat-1")
    await kkrbot.bind(MEMBER, "a-medlem-2")
    kkrbot.tg.block(MEMBER)
    before = len(kkrbot.tg.sent_to(SECRETARY))

    for _ in range(3):
        kkrbot.tg.inject_message(MEMBER, "/afbud hemmelig-tekst-fra-medlemmet")
    await kkrbot.tg.wait_for_messages(SECRETARY, before + 1)
    await drained(kkrbot)
    notices = [m for m in kkrbot.tg.sent_to(SECRETARY)[before:] if "kunne ikke leveres" in (m.plain_text or "")]

    assert len(notices) == 1
    assert "har blokeret botten" in (notices[0].plain_text or "")
    assert "hemmelig" not in (notices[0].plain_text or "")
    kkrbot.clock.advance(minutes=61)
    kkrbot.tg.inject_message(MEMBER, "/naeste")
    await kkrbot.tg.wait_for_messages(SECRETARY, before + 2)


# --- strict payloads ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        "cover ² yes",
        "cover " + "9" * 50 + " yes",
        "cover ١ yes",
        "undo ²",
        "cover 99999999999 yes",
        "bogus\u202e payload",
        "next\x00",
        "cover  1 yes",
    ],
)
async def test_a_forged_button_payload_is_refused_briefly_without_traceback_or_echo(
    kkrbot: RunningBot, data: str, caplog: pytest.LogCaptureFixture
) -> None:
    await kkrbot.bind(MEMBER, "a-stedfortraeder-2")
    await kkrbot.bind(OTHER_MEMBER, "a-medlem-2")
    await kkrbot.ask(OTHER_MEMBER, "/afbud 2027-02-12 ok")
    alert = (await kkrbot.tg.wait_for_messages(MEMBER, 2))[-1]

    before = len(kkrbot.tg.sent_to(MEMBER))
    kkrbot.tg.inject_callback(MEMBER, alert.message_id, data[:64], require_button=False)
    answer = (await kkrbot.tg.wait_for_messages(MEMBER, before + 1))[-1]

    # Short, and nothing of the payload in it: the whole answer is the one fixed sentence.
    assert answer.plain_text == "Denne knap gælder ikke længere. Vælg herunder, eller skriv /hjaelp."
    assert answer.buttons
    assert "Traceback" not in caplog.text
    assert "gik galt" not in (answer.plain_text or "")
    async with kkrbot.conversation.db.read() as conn:
        assert await rows(conn, "SELECT 1 FROM absences WHERE answer IS NOT NULL") == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("cover 12 yes", ("cover", ("12", "yes"))),
        ("absent 2027-02-12 ok", ("absent", ("2027-02-12", "ok"))),
        ("", ("help", ())),
        ("cover ² yes", (INVALID_BUTTON, ())),
        ("cover ١ yes", (INVALID_BUTTON, ())),
        ("cover " + "1" * 10 + " yes", (INVALID_BUTTON, ())),
        ("drop table", (INVALID_BUTTON, ())),
        ("next " + "a " * 10, (INVALID_BUTTON, ())),
    ],
)
def test_button_data_follows_a_strict_grammar(data: str, expected: tuple[str, tuple[str, ...]]) -> None:
    assert parse_action(data) == expected


def test_a_long_message_is_split_at_line_breaks_in_order_with_buttons_last() -> None:
    text = "\n".join(f"line {n} " + "ø" * 100 for n in range(100))
    message = Message(title="Title", text=text, buttons=((Button(label="Next", action="next"),),), sensitive=True)

    parts = message.parts()

    assert len(parts) == 3
    assert all(part.visible_length() <= TEXT_LIMIT for part in parts)
    assert "\n".join(part.text for part in parts) == text
    assert [part.title for part in parts] == ["Title", None, None]
    assert [bool(part.buttons) for part in parts] == [False, False, True]
    assert all(part.sensitive for part in parts)


def test_a_line_without_breaks_is_cut_and_a_long_caption_leaves_the_document_last() -> None:
    emoji = Message(text="😀" * 5000)  # two UTF-16 units each, as Telegram counts
    document = Message(text="word " * 400, document=Document(filename="a.ics", content=b"x"))

    assert [part.visible_length() for part in emoji.parts()] == [4096, 4096, 1808]
    parts = document.parts()
    assert [part.document is not None for part in parts] == [False, True]
    assert all(part.visible_length() <= CAPTION_LIMIT for part in parts if part.document)
