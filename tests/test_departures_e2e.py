"""Departures and seats end to end, with the clock set in February 2027 (R-MEM-5, R-MEM-7, R-MEET-4): the real
Application against the fake Bot API.

A member who leaves takes nothing standing with them: their absence for a coming meeting is closed and the
substitute who was asked is told; their seat stays, vacant, so the quorum is still counted against the
composition's 22 seats.
"""

from __future__ import annotations

from datetime import datetime

from tests.conftest import COPENHAGEN, RunningBot
from tests.fake_telegram import SentMessage
from tests.test_elections_e2e import recorded, stored

SECRETARY, MEMBER, SUBSTITUTE, OTHER, OTHER_SUBSTITUTE = 3001, 3002, 3003, 3004, 3005
EARLY_FEBRUARY = datetime(2027, 2, 1, 9, 0, tzinfo=COPENHAGEN)  # before the meeting of Friday 12 February 2027


def text(message: SentMessage) -> str:
    return message.plain_text or ""


async def council(kkrbot: RunningBot) -> RunningBot:
    kkrbot.clock.now = EARLY_FEBRUARY
    await kkrbot.bind(SECRETARY, "sekretariat-1")
    await kkrbot.bind(MEMBER, "a-medlem-2")  # Pia Fiktivsen (eksempel)
    await kkrbot.bind(SUBSTITUTE, "a-stedfortraeder-2")  # Rasmus Opdigtsen (eksempel)
    await kkrbot.bind(OTHER, "f-medlem-1")
    await kkrbot.bind(OTHER_SUBSTITUTE, "f-stedfortraeder-1")
    return kkrbot


async def absent_with_substitute_attending(kkrbot: RunningBot, member: int, substitute: int) -> None:
    before = len(kkrbot.tg.sent_to(substitute))
    await kkrbot.ask(member, "/afbud 12.02.2027 ok")
    alert = (await kkrbot.tg.wait_for_messages(substitute, before + 1, timeout=30))[-1]
    await kkrbot.press(substitute, alert, "Jeg deltager")
    # The secretariat's notices come on their own; the next answer it gets must not be taken for one of them.
    await kkrbot.tg.wait_for(lambda m: m.chat_id == SECRETARY and "deltager for" in text(m), timeout=30)


async def test_r_mem_5_a_departure_closes_the_members_absence_and_tells_the_substitute(kkrbot: RunningBot) -> None:
    await council(kkrbot)
    await absent_with_substitute_attending(kkrbot, MEMBER, SUBSTITUTE)
    before = len(kkrbot.tg.sent_to(SUBSTITUTE))

    answer = await recorded(kkrbot, "/udtraedelse a-medlem-2 parti", SECRETARY)

    assert "afbud til et kommende møde er lukket" in text(answer)
    told = await kkrbot.tg.wait_for(
        lambda m: m.chat_id == SUBSTITUTE and "12. februar 2027" in text(m) and "udtrådt" in text(m), timeout=30
    )
    assert "Pia Fiktivsen (eksempel) er udtrådt af KKR" in text(told[-1])
    assert len(kkrbot.tg.sent_to(SUBSTITUTE)) > before
    attendance = text(await kkrbot.ask(SECRETARY, "/fremmoede 12.02.2027"))
    assert "Pia Fiktivsen" not in attendance
    assert "Rasmus Opdigtsen" not in attendance
    assert "21 af 22" in attendance
    status = text(await kkrbot.ask(SUBSTITUTE, "/status"))
    assert "Pia Fiktivsen" not in status
    assert "a-medlem-2" not in status


async def test_r_meet_4_r_mem_7_quorum_is_11_of_22_after_two_departures(kkrbot: RunningBot) -> None:
    await council(kkrbot)
    await recorded(kkrbot, "/udtraedelse a-medlem-2 parti", SECRETARY)
    await recorded(kkrbot, "/udtraedelse f-medlem-1 byraad", SECRETARY)

    attendance = text(await kkrbot.ask(SECRETARY, "/fremmoede 12.02.2027"))
    composition = text(await kkrbot.ask(SECRETARY, "/sammensaetning"))

    assert "20 af 22; beslutningsdygtighed kræver 11" in attendance
    assert "2 pladser står tomme" in attendance
    assert "11 af de 22" in composition


async def test_r_mem_5_a_substitute_who_leaves_leaves_the_member_without_one_and_takes_back_the_alert(
    kkrbot: RunningBot,
) -> None:
    await council(kkrbot)
    await absent_with_substitute_attending(kkrbot, OTHER, OTHER_SUBSTITUTE)
    before = len(kkrbot.tg.sent_to(OTHER))

    answer = await recorded(kkrbot, "/udtraedelse f-stedfortraeder-1 byraad", SECRETARY)

    assert "har ingen stedfortræder" in text(answer)
    told = (await kkrbot.tg.wait_for_messages(OTHER, before + 1, timeout=30))[-1]
    assert "ingen stedfortræder" in text(told)
    assert "12. februar 2027" in text(told)
    attendance = text(await kkrbot.ask(SECRETARY, "/fremmoede 12.02.2027"))
    assert "21 af 22" in attendance
    assert "ingen stedfortræder" in text(await kkrbot.ask(OTHER, "/stedfortraeder")).lower()


async def test_r_mem_1_a_mayor_who_stops_being_mayor_leaves_and_the_viceborgmester_is_told(kkrbot: RunningBot) -> None:
    await council(kkrbot)
    vice = 3006
    await kkrbot.bind(vice, "thisted-viceborgmester")
    before = len(kkrbot.tg.sent_to(vice))

    answer = await recorded(kkrbot, "/udtraedelse thisted-borgmester borgmester", SECRETARY)

    assert "er ikke længere borgmester i Thisted" in text(answer)
    told = (await kkrbot.tg.wait_for_messages(vice, before + 1, timeout=30))[-1]
    assert "Kommunens nye borgmester bliver medlem" in text(told)
    assert "Lene Attrapgaard" not in text(await kkrbot.ask(SECRETARY, "/medlemmer Thisted"))


async def test_r_mem_2_a_viceborgmester_who_leaves_as_member_becomes_the_mayors_substitute(kkrbot: RunningBot) -> None:
    """a-medlem-1 is also Aalborg's 1st viceborgmester, so the 2nd substitutes for the mayor; once she leaves the
    KKR by leaving her party she is still viceborgmester, and the 1st again (R-MEM-5, R-MEM-2)."""
    await council(kkrbot)
    mayor = 3007
    await kkrbot.bind(mayor, "aalborg-borgmester")
    before = len(kkrbot.tg.sent_to(mayor))

    answer = await recorded(kkrbot, "/udtraedelse a-medlem-1 parti", SECRETARY)

    assert "bliver på medlemslisten som viceborgmester i Aalborg" in text(answer)
    told = (await kkrbot.tg.wait_for_messages(mayor, before + 1, timeout=30))[-1]
    assert "Din stedfortræder er nu Nina Prøvegaard (eksempel)" in text(told)
    assert "Nina Prøvegaard (eksempel), viceborgmester i Aalborg" in text(await kkrbot.ask(mayor, "/stedfortraeder"))
    again = await recorded(kkrbot, "/udtraedelse a-medlem-1 parti", SECRETARY)
    assert "har allerede forladt partiet" in text(again)


async def test_r_mem_5_a_departure_is_previewed_and_recorded_only_on_send_and_once(kkrbot: RunningBot) -> None:
    """`/udtraedelse` closes what the member had standing and tells people: like every other change the
    secretariat types, it shows what would follow and records nothing until Send."""
    await council(kkrbot)
    before = len(kkrbot.tg.sent_to(SUBSTITUTE))

    preview = await kkrbot.ask(SECRETARY, "/udtraedelse a-medlem-2 parti")

    assert "Intet registreres, før du trykker Send" in text(preview)
    assert "Pia Fiktivsen (eksempel) udtræder af KKR" in text(preview)
    assert await stored(kkrbot, "SELECT * FROM departures") == []
    assert "Pia Fiktivsen" in text(await kkrbot.ask(SECRETARY, "/medlemmer A"))
    cancelled = await kkrbot.press(SECRETARY, preview, "Annuller")
    assert "Intet blev registreret" in text(cancelled)
    assert await stored(kkrbot, "SELECT * FROM departures") == []

    await kkrbot.ask(SECRETARY, "/sprog en")
    preview = await kkrbot.ask(SECRETARY, "/departure a-medlem-2 party")
    assert "Nothing is recorded until you press Send" in text(preview)
    recorded_now = await kkrbot.press(SECRETARY, preview, "Send")
    assert "Pia Fiktivsen (example) leaves the KKR" in text(recorded_now)
    await kkrbot.tg.wait_for(lambda m: m.chat_id == SUBSTITUTE and "udtrådt" in text(m), timeout=30)
    assert len(kkrbot.tg.sent_to(SUBSTITUTE)) == before + 1
    draft = (await stored(kkrbot, "SELECT id FROM departure_drafts WHERE settled = 'sent'"))[0][0]
    again = await kkrbot.ask(SECRETARY, f"/departure send {draft}")
    assert "That preview is settled already" in text(again)
    assert len(await stored(kkrbot, "SELECT * FROM departures")) == 1
