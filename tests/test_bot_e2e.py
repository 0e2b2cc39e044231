"""End to end: the real python-telegram-bot Application, over HTTP, against the fake Bot API server."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.storage.roster import Roster
from kkrcore.composition import CompositionInput, compute_composition
from kkrcore.dataset import load_dataset
from tests.conftest import Clock, RunningBot, eventually, link_token, start_bot
from tests.fake_telegram import FakeTelegram

MEMBER = 1001
MAYOR = 1002
SECRETARY = 1003
STRANGER = 1004
OTHER = 1005


async def test_onboarding_through_a_deep_link_binds_and_greets_by_name_and_role(kkrbot: RunningBot) -> None:
    await kkrbot.bind(SECRETARY, "sekretariat-1")
    links = await kkrbot.ask(SECRETARY, "/inviter a-medlem-2", count=2)
    message = kkrbot.tg.sent_to(SECRETARY)[-2]
    token = link_token(message.plain_text or "")
    assert "invitationslink oprettet" in (links.plain_text or "")

    welcome = await kkrbot.ask(MEMBER, f"/start {token}")

    assert "Velkommen" in (welcome.plain_text or "")
    assert "(eksempel)" in (welcome.plain_text or "")
    assert "medlem (A, Hjørring)" in (welcome.plain_text or "")


async def test_a_used_invite_cannot_be_used_again(kkrbot: RunningBot) -> None:
    token = await kkrbot.invite("a-medlem-1")
    await kkrbot.ask(MEMBER, f"/start {token}")

    refusal = await kkrbot.ask(OTHER, f"/start {token}")

    assert "allerede brugt" in (refusal.plain_text or "")
    still_unbound = await kkrbot.ask(OTHER, "/naeste")
    assert "invitationslink" in (still_unbound.plain_text or "")


async def test_an_unknown_or_expired_invite_is_refused(kkrbot: RunningBot) -> None:
    refusal = await kkrbot.ask(STRANGER, "/start not-a-real-token")
    assert "ikke gyldigt" in (refusal.plain_text or "")

    token = await kkrbot.invite("a-medlem-1")
    kkrbot.clock.advance(days=15)
    expired = await kkrbot.ask(STRANGER, f"/start {token}")
    assert "udløbet" in (expired.plain_text or "")


async def test_repeated_failures_slow_an_account_down(kkrbot: RunningBot) -> None:
    for attempt in range(5):
        await kkrbot.ask(STRANGER, f"/start wrong-{attempt}")
    good = await kkrbot.invite("a-medlem-1")

    slowed = await kkrbot.ask(STRANGER, f"/start {good}")

    assert "For mange forsøg" in (slowed.plain_text or "")
    kkrbot.clock.advance(minutes=16)
    welcome = await kkrbot.ask(STRANGER, f"/start {good}")
    assert "Velkommen" in (welcome.plain_text or "")


async def test_an_unbound_account_learns_nothing_about_anyone(kkrbot: RunningBot) -> None:
    async with kkrbot.conversation.db.read() as conn:
        roster = await Roster.load(conn)
    names = [p.name for p in roster.people]
    for text in [
        "/naeste",
        "/moeder",
        "/stedfortraeder",
        "/sammensaetning",
        "/medlemmer aalborg",
        "/kalender",
        "/hjaelp",
        "/inviter alle",
        "/start",
        "/members",
        "hvem er med?",
        "/foo",
    ]:
        answer = await kkrbot.ask(STRANGER, text)
        assert "invitationslink" in (answer.plain_text or ""), text
        assert not any(name in (answer.plain_text or "") for name in names), text
        assert answer.document is None
        assert answer.buttons == [], text


async def test_next_meeting_asked_on_23_november_2026_is_12_february_2027_in_danish(
    kkrbot: RunningBot,
) -> None:
    await kkrbot.bind(MEMBER, "a-medlem-1")

    answer = await kkrbot.ask(MEMBER, "/naeste")

    text = answer.plain_text or ""
    assert "fredag den 12. februar 2027 kl. 10.00–12.00" in text
    assert "Sted: Aalborg" in text
    assert "gruppemøder kl. 08.30–10.00" in text
    assert "Dagsordenen er ikke udsendt endnu" in text
    assert [b["text"] for b in answer.buttons[0]] == ["Alle møder", "Føj til kalender"]
    assert [b["text"] for b in answer.buttons[1]] == ["Meld afbud"]


async def test_times_are_shown_in_the_configured_time_zone(tg: FakeTelegram, tmp_path: Path, clock: Clock) -> None:
    utc = await start_bot(tg, tmp_path / "db.sqlite3", clock, timezone="UTC")
    try:
        await utc.bind(MEMBER, "a-medlem-1")
        answer = await utc.ask(MEMBER, "/naeste")
    finally:
        await utc.stop()

    assert "fredag den 12. februar 2027 kl. 09.00–11.00" in (answer.plain_text or "")


async def test_next_meeting_in_english(kkrbot: RunningBot) -> None:
    await kkrbot.bind(MEMBER, "a-medlem-1", language="en")

    answer = await kkrbot.ask(MEMBER, "/next", language="en")

    assert "Friday 12 February 2027, 10:00–12:00" in (answer.plain_text or "")
    assert "Place: Aalborg" in (answer.plain_text or "")


async def test_all_meetings_lists_the_whole_period(kkrbot: RunningBot) -> None:
    await kkrbot.bind(MEMBER, "a-medlem-1")

    answer = await kkrbot.ask(MEMBER, "/moeder")

    text = answer.plain_text or ""
    assert text.count("kl. 10.00–12.00") + text.count("kl. 10.30–12.00") == len(load_dataset().meetings)
    assert "✓ fredag den 20. november 2026" in text
    assert "• fredag den 12. februar 2027" in text


async def test_a_mayors_substitute_is_the_viceborgmester(kkrbot: RunningBot) -> None:
    await kkrbot.bind(MAYOR, "broenderslev-borgmester")

    answer = await kkrbot.ask(MAYOR, "/stedfortraeder")

    assert "Som borgmester er din stedfortræder Oluf Eksempelsen (eksempel), viceborgmester i Brønderslev (A)." in (
        answer.plain_text or ""
    )


async def test_r_mem_2_when_the_viceborgmester_is_a_member_the_second_substitutes(kkrbot: RunningBot) -> None:
    async with kkrbot.conversation.db.read() as conn:
        roster = await Roster.load(conn)
    second = roster.by_id["aalborg-2-viceborgmester"]
    await kkrbot.bind(MAYOR, "aalborg-borgmester")

    answer = await kkrbot.ask(MAYOR, "/stedfortraeder")

    assert second.name in (answer.plain_text or "")


async def test_a_substitute_learns_whom_they_substitute_for(kkrbot: RunningBot) -> None:
    async with kkrbot.conversation.db.read() as conn:
        roster = await Roster.load(conn)
    await kkrbot.bind(OTHER, "a-stedfortraeder-1")

    answer = await kkrbot.ask(OTHER, "/substitute", language="en")

    assert f"Du er stedfortræder for {roster.by_id['a-medlem-1'].name}" in (answer.plain_text or "")


async def test_the_composition_answer_equals_kkrcores_result(kkrbot: RunningBot) -> None:
    await kkrbot.bind(MEMBER, "a-medlem-1")
    expected = compute_composition(CompositionInput.from_dataset(load_dataset()))

    answer = await kkrbot.ask(MEMBER, "/sammensaetning")

    text = answer.plain_text or ""
    shown = {}
    for line in text.splitlines():
        cells = line.split()
        if len(cells) == 4 and cells[0] in expected.parties:
            shown[cells[0]] = (int(cells[1]), int(cells[2]), int(cells[3]))
    assert shown == {p: (s.mayors, s.supplementary, s.total) for p, s in expected.parties.items()}
    assert "største brøks metode" in text
    assert "mindst 11 af de 22" in text
    assert "V har flere borgmestre" in text


async def test_members_by_municipality_and_by_party(kkrbot: RunningBot) -> None:
    await kkrbot.bind(MEMBER, "a-medlem-1")

    by_town = await kkrbot.ask(MEMBER, "/medlemmer morsoe")
    by_party = await kkrbot.ask(MEMBER, "/medlemmer Ø")

    assert "Morsø (1)" in (by_town.plain_text or "")
    assert "Ø – Enhedslisten (1)" in (by_party.plain_text or "")
    grouped = await kkrbot.press(MEMBER, by_party, "Efter parti")
    assert "V – Venstre (8)" in (grouped.plain_text or "")


async def test_the_calendar_file_holds_every_meeting(kkrbot: RunningBot) -> None:
    await kkrbot.bind(MEMBER, "a-medlem-1")

    answer = await kkrbot.ask(MEMBER, "/kalender")

    assert answer.document is not None
    filename, content = answer.document
    assert filename.endswith(".ics")
    assert content.count(b"BEGIN:VEVENT") == len(load_dataset().meetings)
    assert b"DTSTART;TZID=Europe/Copenhagen:20270212T100000" in content


async def test_bad_input_gets_a_clear_answer(kkrbot: RunningBot) -> None:
    await kkrbot.bind(MEMBER, "a-medlem-1")

    unknown = await kkrbot.ask(MEMBER, "/foo")
    bad_members = await kkrbot.ask(MEMBER, "/medlemmer Narnia")
    bad_language = await kkrbot.ask(MEMBER, "/sprog klingon")
    not_allowed = await kkrbot.ask(MEMBER, "/inviter alle")
    free_text = await kkrbot.ask(MEMBER, "hvornår er næste møde?")

    assert "kender ikke kommandoen /foo" in (unknown.plain_text or "")
    assert "Jeg kender ikke „Narnia“" in (bad_members.plain_text or "")
    assert "kun dansk (da) og engelsk (en)" in (bad_language.plain_text or "")
    assert "Det kan kun KKR-sekretariatet" in (not_allowed.plain_text or "")
    assert "/naeste" in (free_text.plain_text or "")


async def test_buttons_lead_to_the_next_step(kkrbot: RunningBot) -> None:
    await kkrbot.bind(MEMBER, "a-medlem-1")
    answer = await kkrbot.ask(MEMBER, "/naeste")

    meetings = await kkrbot.press(MEMBER, answer, "Alle møder")

    assert "Møder i KKR Nordjylland 2026-2030" in (meetings.plain_text or "")
    await kkrbot.tg.wait_for_callback_answers(lambda a: a.user_id == MEMBER)


async def test_command_menus_are_registered_in_danish_and_english(kkrbot: RunningBot) -> None:
    await kkrbot.bind(MEMBER, "a-medlem-1")
    menus = kkrbot.tg.commands
    await eventually(lambda: (f"chat:{MEMBER}", "") in menus and ("default", "") in menus)

    danish = {c["command"] for c in menus[(f"chat:{MEMBER}", "da")]}
    english = {c["command"] for c in menus[(f"chat:{MEMBER}", "en")]}

    assert {
        "naeste",
        "moeder",
        "stedfortraeder",
        "sammensaetning",
        "medlemmer",
        "kalender",
        "hjaelp",
    } <= danish
    assert {"next", "meetings", "substitute", "composition", "members", "calendar", "help"} <= english
    assert "fremmoede" not in danish
    # The default menu is the members' one; the secretariat's commands are only in its own chats.
    assert "fremmoede" not in {c["command"] for c in menus[("default", "da")]}


async def test_the_secretariat_sees_its_own_commands_in_its_menu(
    tg: FakeTelegram, tmp_path: Path, clock: Clock
) -> None:
    first = await start_bot(tg, tmp_path / "db.sqlite3", clock)
    await first.bind(SECRETARY, "sekretariat-1")
    await eventually(lambda: (f"chat:{SECRETARY}", "") in tg.commands)
    bound_now = {c["command"] for c in tg.commands[(f"chat:{SECRETARY}", "da")]}
    await first.stop()
    tg.commands.clear()

    second = await start_bot(tg, tmp_path / "db.sqlite3", clock)
    await second.ask(SECRETARY, "/hjaelp")
    await eventually(lambda: (f"chat:{SECRETARY}", "") in tg.commands)
    await second.stop()

    assert {"fremmoede", "referat", "inviter", "dagsorden", "naeste"} <= bound_now
    assert {"attendance", "minutes", "invite"} <= {c["command"] for c in tg.commands[(f"chat:{SECRETARY}", "en")]}


async def test_a_restart_keeps_bindings_and_language_choices(tg: FakeTelegram, tmp_path: Path, clock: Clock) -> None:
    first = await start_bot(tg, tmp_path / "db.sqlite3", clock)
    await first.bind(MEMBER, "a-medlem-1")
    await first.ask(MEMBER, "/sprog en")
    await first.stop()

    second = await start_bot(tg, tmp_path / "db.sqlite3", clock)
    try:
        answer = await second.ask(MEMBER, "/naeste", language="da")
    finally:
        await second.stop()

    assert "Friday 12 February 2027" in (answer.plain_text or "")


async def test_group_chats_get_nothing(kkrbot: RunningBot) -> None:
    await kkrbot.bind(MEMBER, "a-medlem-1")
    kkrbot.tg.inject_message(MEMBER, "/naeste", chat_type="group")
    await kkrbot.ask(MEMBER, "/hjaelp")

    assert kkrbot.tg.sent_to(-MEMBER) == []


@pytest.mark.parametrize(
    ("question", "english"),
    [
        ("/next", "Friday 12 February 2027, 10:00–12:00"),
        ("/meetings", "Meetings of KKR Nordjylland 2026-2030"),
        ("/substitute", "As mayor you are substituted by Nanna Attrapgaard (example), deputy mayor no. 2 of Aalborg"),
        ("/composition", "largest remainder (Hare)"),
        ("/members Aalborg", "Aalborg (4)"),
        ("/calendar", "calendar file"),
        ("/help", "/next – The next meeting"),
        ("/language", "Choose your language."),
    ],
)
async def test_each_question_in_english(kkrbot: RunningBot, question: str, english: str) -> None:
    await kkrbot.bind(MAYOR, "aalborg-borgmester", language="en")

    answer = await kkrbot.ask(MAYOR, question, language="en")

    assert english in (answer.plain_text or "")


async def test_the_secretariat_sets_an_agenda_and_members_see_it_under_the_next_meeting(kkrbot: RunningBot) -> None:
    await kkrbot.bind(SECRETARY, "sekretariat-1")
    await kkrbot.bind(MEMBER, "a-medlem-1")

    saved = await kkrbot.ask(SECRETARY, "/dagsorden 12.02.2027 1. Velkomst 2. Kollektiv trafik")
    refused = await kkrbot.ask(MEMBER, "/dagsorden 12.02.2027 noget andet")
    answer = await kkrbot.ask(MEMBER, "/naeste")

    assert "Dagsordenen til fredag den 12. februar 2027" in (saved.plain_text or "")
    assert "Det kan kun KKR-sekretariatet" in (refused.plain_text or "")
    assert "Dagsorden:\n1. Velkomst 2. Kollektiv trafik" in (answer.plain_text or "")
