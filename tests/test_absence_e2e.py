"""Absence notices end to end (R-MEET-4, R-MEET-5, R-MEM-2): the real Application against the fake Bot API."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from bot.storage.roster import Roster
from tests.conftest import COPENHAGEN, Clock, RunningBot, start_bot
from tests.fake_telegram import FakeTelegram, SentMessage

MEMBER, SUBSTITUTE, SECRETARY, MAYOR, VICE_MAYOR = 2001, 2002, 2003, 2004, 2005
MEETING = "2027-02-12"
WHEN = "fredag den 12. februar 2027 kl. 10.00–12.00"


def text(message: SentMessage) -> str:
    return message.plain_text or ""


async def names(kkrbot: RunningBot) -> dict[str, str]:
    async with kkrbot.conversation.db.read() as conn:
        return {p.id: p.name for p in (await Roster.load(conn)).people}


async def message_to(kkrbot: RunningBot, chat_id: int, fragment: str, count: int = 1) -> list[SentMessage]:
    return await kkrbot.tg.wait_for(lambda m: m.chat_id == chat_id and fragment in text(m), count=count)


@pytest.fixture
async def council(kkrbot: RunningBot) -> RunningBot:
    await kkrbot.bind(MEMBER, "a-medlem-1")
    await kkrbot.bind(SUBSTITUTE, "a-stedfortraeder-1")
    await kkrbot.bind(SECRETARY, "sekretariat-1")
    return kkrbot


async def report_absence(kkrbot: RunningBot, user: int = MEMBER) -> SentMessage:
    """The whole flow as a member sees it: /afbud, pick the meeting, confirm."""
    choose = await kkrbot.ask(user, "/afbud")
    confirm = await kkrbot.press(user, choose, "fre. 12. feb. 2027")
    assert "Vil du melde afbud til mødet" in text(confirm)
    return await kkrbot.press(user, confirm, "Ja, meld afbud")


async def test_r_meet_5_a_members_afbud_alerts_the_personal_substitute(council: RunningBot) -> None:
    people = await names(council)

    recorded = await report_absence(council)

    assert f"Dit afbud til {WHEN} er registreret" in text(recorded)
    assert people["a-stedfortraeder-1"] in text(recorded)
    alert = (await message_to(council, SUBSTITUTE, "har meldt afbud"))[0]
    assert f"{WHEN}, Aalborg" in text(alert)
    assert people["a-medlem-1"] in text(alert)
    assert [b["text"] for b in alert.buttons[0]] == ["Jeg deltager", "Jeg kan ikke"]
    notice = (await message_to(council, SECRETARY, "har meldt afbud"))[0]
    assert "har fået besked" in text(notice)
    assert "Forventet fremmøde: 21 af 22" in text(notice)


async def test_the_substitutes_acceptance_reaches_member_and_secretariat(council: RunningBot) -> None:
    await report_absence(council)
    alert = (await message_to(council, SUBSTITUTE, "har meldt afbud"))[0]

    thanks = await council.press(SUBSTITUTE, alert, "Jeg deltager")

    assert "du deltager" in text(thanks)
    await message_to(council, MEMBER, "deltager i mødet")
    await message_to(council, SECRETARY, "deltager for")


async def test_the_substitutes_decline_reaches_member_and_secretariat(council: RunningBot) -> None:
    await report_absence(council)
    alert = (await message_to(council, SUBSTITUTE, "har meldt afbud"))[0]

    await council.press(SUBSTITUTE, alert, "Jeg kan ikke")

    await message_to(council, MEMBER, "kan ikke deltage i mødet")
    await message_to(council, SECRETARY, "kan ikke deltage for")


async def test_r_mem_2_a_mayors_afbud_reaches_the_viceborgmester(council: RunningBot) -> None:
    await council.bind(MAYOR, "broenderslev-borgmester")
    await council.bind(VICE_MAYOR, "broenderslev-viceborgmester")

    await report_absence(council, MAYOR)

    await message_to(council, VICE_MAYOR, "har meldt afbud")
    assert not any("har meldt afbud" in text(m) for m in council.tg.sent_to(SUBSTITUTE))


async def test_withdrawal_tells_the_substitute_they_are_not_needed(council: RunningBot) -> None:
    recorded = await report_absence(council)

    withdrawn = await council.press(MEMBER, recorded, "Fortryd afbud")

    assert "trukket tilbage" in text(withdrawn)
    await message_to(council, SUBSTITUTE, "skal alligevel ikke deltage")
    await message_to(council, SECRETARY, "trukket sit afbud")
    again = await council.ask(MEMBER, "/fortryd")
    assert "ikke meldt afbud til et kommende møde" in text(again)


async def test_a_second_notice_for_the_same_meeting_gives_one_alert(council: RunningBot) -> None:
    await report_absence(council)

    second = await council.ask(MEMBER, f"/afbud {MEETING} ok")

    assert "allerede meldt afbud" in text(second)
    await council.ask(MEMBER, "/naeste")  # everything before it has been handled
    assert len([m for m in council.tg.sent_to(SUBSTITUTE) if "har meldt afbud" in text(m)]) == 1


@pytest.mark.parametrize(
    ("argument", "refusal"),
    [
        ("2026-11-20", "Mødet fredag den 20. november 2026 kl. 10.00–12.00 er holdt. Kontakt sekretariatet"),
        ("2031-02-14", "uden for valgperioden 2026-2030"),
        ("2027-02-13", "Der er ikke noget KKR-møde lørdag den 13. februar 2027"),
        ("i morgen", "kan ikke læse „i morgen“ som en dato"),
    ],
)
async def test_refusals_say_why(council: RunningBot, argument: str, refusal: str) -> None:
    answer = await council.ask(MEMBER, f"/afbud {argument}")

    assert refusal in text(answer)


async def test_a_meeting_that_has_started_is_refused(council: RunningBot) -> None:
    council.clock.now = datetime(2027, 2, 12, 10, 5, tzinfo=COPENHAGEN)

    answer = await council.ask(MEMBER, f"/afbud {MEETING} ok")

    assert "er allerede begyndt. Kontakt venligst sekretariatet direkte." in text(answer)


async def test_an_account_that_is_not_a_member_cannot_report_absence(council: RunningBot) -> None:
    for user in (SUBSTITUTE, SECRETARY):
        answer = await council.ask(user, "/afbud")
        assert "Det kan kun medlemmer af KKR" in text(answer)


async def test_an_unbound_substitute_makes_the_secretariat_call_them_at_once(kkrbot: RunningBot) -> None:
    await kkrbot.bind(MEMBER, "a-medlem-1")
    await kkrbot.bind(SECRETARY, "sekretariat-1")

    recorded = await report_absence(kkrbot)

    assert "sekretariatet kontakter" in text(recorded)
    notice = (await message_to(kkrbot, SECRETARY, "ikke forbundet"))[0]
    assert "telefon +45" in text(notice)
    assert "@example.dk" in text(notice)


async def test_no_answer_by_48_hours_before_alerts_the_secretariat_once(council: RunningBot) -> None:
    await report_absence(council)
    council.clock.now = datetime(2027, 2, 10, 9, 0, tzinfo=COPENHAGEN)  # 49 hours before
    await council.conversation.tick()
    council.clock.now = datetime(2027, 2, 10, 10, 30, tzinfo=COPENHAGEN)  # 47.5 hours before

    await council.conversation.tick()
    await council.conversation.tick()

    alerts = await message_to(council, SECRETARY, "har ikke svaret")
    await council.ask(SECRETARY, "/fremmoede")
    assert len([m for m in council.tg.sent_to(SECRETARY) if "har ikke svaret på" in text(m)]) == 1
    assert "telefon" in text(alerts[0])


async def test_reminders_go_out_once_with_an_afbud_button(council: RunningBot) -> None:
    council.clock.now = datetime(2027, 2, 9, 10, 0, tzinfo=COPENHAGEN)

    await council.conversation.tick()
    await council.conversation.tick()

    reminder = (await message_to(council, MEMBER, "Påmindelse"))[0]
    assert [b["text"] for b in reminder.buttons[0]] == ["Meld afbud", "Næste møde"]
    confirm = await council.press(MEMBER, reminder, "Meld afbud")
    assert "Vil du melde afbud til mødet" in text(confirm)
    assert len([m for m in council.tg.sent_to(MEMBER) if "Påmindelse" in text(m)]) == 1
    assert not any("Påmindelse" in text(m) for m in council.tg.sent_to(SUBSTITUTE))


async def test_attendance_and_the_text_for_the_minutes(council: RunningBot) -> None:
    people = await names(council)
    await report_absence(council)
    alert = (await message_to(council, SUBSTITUTE, "har meldt afbud"))[0]
    await council.press(SUBSTITUTE, alert, "Jeg deltager")
    await message_to(council, SECRETARY, "deltager for")

    attendance = await council.ask(SECRETARY, "/fremmoede")
    minutes = await council.press(SECRETARY, attendance, "Tekst til referatet")

    assert "Forventet fremmøde: 22 af 22" in text(attendance)
    assert f"stedfortræder {people['a-stedfortraeder-1']} (eksempel) (telefon +45" in text(attendance)
    assert ".dk) deltager" in text(attendance)
    # The meeting of 12 February 2027 is ahead: the text as it stands, in the present tense.
    assert "Mødet er ikke holdt endnu; sådan ser teksten ud nu." in text(minutes)
    assert (
        f"{people['a-medlem-1']} (eksempel) (A) har meldt afbud, og "
        f"{people['a-stedfortraeder-1']} (eksempel) (A) deltager i stedet." in text(minutes)
    )


async def test_r_meet_4_the_secretariat_hears_once_when_quorum_is_at_risk(council: RunningBot) -> None:
    async with council.conversation.db.read() as conn:
        members = [m.id for m in (await Roster.load(conn)).members]
    for index, member in enumerate(members[:12]):
        user = 3000 + index
        await council.bind(user, member)
        await council.ask(user, f"/afbud {MEETING} ok")

    await message_to(council, SECRETARY, "Beslutningsdygtigheden er i fare")
    await council.ask(SECRETARY, "/hjaelp")
    risks = [m for m in council.tg.sent_to(SECRETARY) if "Beslutningsdygtigheden er i fare:" in text(m)]
    assert len(risks) == 1
    assert "Forventet fremmøde: 10 af 22; beslutningsdygtighed kræver 11" in text(risks[0])


async def test_a_substitute_who_blocked_the_bot_is_reported_to_the_secretariat(council: RunningBot) -> None:
    council.tg.block(SUBSTITUTE)

    await report_absence(council)

    report = (await message_to(council, SECRETARY, "kunne ikke leveres"))[0]
    # Why, in words, and how to reach them otherwise; not a status code.
    assert "vedkommende har blokeret botten" in text(report)
    assert "telefon +45" in text(report)


async def test_reminders_survive_a_restart_without_repeating(tg: FakeTelegram, tmp_path: Path) -> None:
    clock = Clock(datetime(2027, 2, 9, 10, 0, tzinfo=COPENHAGEN))
    first = await start_bot(tg, tmp_path / "db.sqlite3", clock)
    await first.bind(MEMBER, "a-medlem-1")
    await first.conversation.tick()
    await message_to(first, MEMBER, "Påmindelse")
    await first.stop()

    second = await start_bot(tg, tmp_path / "db.sqlite3", clock)
    try:
        await second.conversation.tick()
        await second.ask(MEMBER, "/hjaelp")
    finally:
        await second.stop()

    assert len([m for m in tg.sent_to(MEMBER) if "Påmindelse" in text(m)]) == 1


def labels(message: SentMessage) -> list[str]:
    return [button["text"] for row in message.buttons for button in row]


async def test_r_per_1_the_menu_offers_no_absence_when_no_meeting_takes_one(council: RunningBot) -> None:
    """On 21 January 2030 the only meeting left is the next council's constituent meeting, which /afbud refuses:
    neither the main menu nor /afbud's own answer may offer "Meld afbud", in either language; in December 2026 a
    meeting of this council still takes one."""
    council.clock.now = datetime(2030, 1, 21, 9, 0, tzinfo=COPENHAGEN)

    assert "Meld afbud" not in labels(await council.ask(MEMBER, "/hjaelp"))
    offered = await council.ask(MEMBER, "/afbud")
    assert "Derfor kan du ikke melde afbud til det." in text(offered)
    assert "Meld afbud" not in labels(offered)
    assert "Næste møde" in labels(offered)
    await council.ask(MEMBER, "/sprog en")
    assert "Report absence" not in labels(await council.ask(MEMBER, "/help"))
    assert "Report absence" not in labels(await council.ask(MEMBER, "/absent"))

    council.clock.now = datetime(2026, 12, 7, 10, 0, tzinfo=COPENHAGEN)
    assert "Report absence" in labels(await council.ask(MEMBER, "/help"))
