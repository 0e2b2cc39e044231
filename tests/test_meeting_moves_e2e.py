"""Meeting changes that stay true (issue 19, item 3), through the real Application and the fake Bot API with the
clock set: a new date the parser cannot read is refused, never taken for the place; the period's limits
(R-MEET-2); an unusual day or hour is a warning, not a refusal; a cancelled meeting has no agenda; and a move
tells everyone concerned, asks again what was answered for the old time, and re-arms the reminder."""

from __future__ import annotations

from datetime import datetime

from tests.conftest import COPENHAGEN, RunningBot
from tests.fake_telegram import SentMessage

SECRETARY, MEMBER_1, MEMBER_2, MAYOR, SUBSTITUTE, OTHER_SUBSTITUTE = 7001, 7002, 7003, 7004, 7005, 7006


def text(message: SentMessage) -> str:
    return message.plain_text or ""


def labels(message: SentMessage) -> list[str]:
    return [button["text"] for row in message.buttons for button in row]


def told(kkrbot: RunningBot, chat_id: int, fragment: str) -> list[SentMessage]:
    return [m for m in kkrbot.tg.sent_to(chat_id) if fragment in text(m)]


async def message_to(kkrbot: RunningBot, chat_id: int, fragment: str, count: int = 1) -> list[SentMessage]:
    return await kkrbot.tg.wait_for(lambda m: m.chat_id == chat_id and fragment in text(m), count=count)


async def council(kkrbot: RunningBot) -> RunningBot:
    await kkrbot.bind(SECRETARY, "sekretariat-1")
    await kkrbot.bind(MEMBER_1, "a-medlem-1")
    await kkrbot.bind(MEMBER_2, "a-medlem-2")
    await kkrbot.bind(MAYOR, "aalborg-borgmester")
    await kkrbot.bind(SUBSTITUTE, "a-stedfortraeder-1")
    await kkrbot.bind(OTHER_SUBSTITUTE, "a-stedfortraeder-2")
    return kkrbot


async def drafts(kkrbot: RunningBot) -> int:
    async with kkrbot.conversation.db.read() as conn:
        [[count]] = list(await conn.execute_fetchall("SELECT count(*) FROM meeting_change_drafts"))
    return int(count)


async def test_r_meet_2_a_new_date_that_cannot_be_read_is_refused_not_taken_for_the_place(kkrbot: RunningBot) -> None:
    await council(kkrbot)

    impossible = await kkrbot.ask(SECRETARY, "/moede flyt 23.04.2027 31.02.2027")
    relative = await kkrbot.ask(SECRETARY, "/moede flyt 23.04.2027 næste fredag")
    weekday = await kkrbot.ask(SECRETARY, "/moede flyt 23.04.2027 fredag 13:00-15:00 Hjørring")

    assert "Jeg kan ikke læse „31.02.2027“ som den nye dato" in text(impossible)
    assert "fx /moede flyt 23.04.2027 30.04.2027 13:00-15:00" in text(impossible)
    assert "„næste fredag“ afhænger af dagens dato" in text(relative)
    assert "Jeg kan ikke læse „fredag“ som den nye dato" in text(weekday)
    for refused in (impossible, relative, weekday):
        assert "Send til" not in str(refused.buttons)
    assert await drafts(kkrbot) == 0
    # A place still follows the date or the time, digits and all.
    place = await kkrbot.ask(SECRETARY, "/moede flyt 23.04.2027 13:00-15:00 Springvandspladsen 5")
    assert "kl. 13.00–15.00, Springvandspladsen 5." in text(place)


async def test_r_meet_2_no_meeting_of_this_council_moves_to_the_next_constituent_meeting_or_after(
    kkrbot: RunningBot,
) -> None:
    await council(kkrbot)

    ordinary = await kkrbot.ask(SECRETARY, "/moede flyt 26.10.2029 01.02.2030")
    later_time = await kkrbot.ask(SECRETARY, "/moede flyt 26.10.2029 26.01.2030 13:00-15:00")
    extra = await kkrbot.ask(SECRETARY, "/moede ekstra 08.02.2030 10:00-12:00 Aalborg")
    constituent = await kkrbot.ask(SECRETARY, "/moede flyt 25.01.2030 01.02.2030")

    for refused in (ordinary, later_time, extra):
        assert "før det næste konstituerende møde" in text(refused)
    assert "senest 31. januar året efter" in text(constituent)
    assert await drafts(kkrbot) == 0
    allowed = await kkrbot.ask(SECRETARY, "/moede flyt 25.01.2030 31.01.2030")
    assert "Gem ændringen" in str(allowed.buttons)  # allowed; today's council is not told (R-PER-1)


async def test_r_meet_1_an_unusual_day_or_hour_is_a_warning_and_send_still_works(kkrbot: RunningBot) -> None:
    await council(kkrbot)

    saturday = await kkrbot.ask(SECRETARY, "/moede flyt 12.02.2027 13.02.2027")
    good_friday = await kkrbot.ask(SECRETARY, "/moede flyt 23.04.2027 26.03.2027")
    early = await kkrbot.ask(SECRETARY, "/moede flyt 25.06.2027 07:00-09:00")

    assert "Bemærk: den nye dag er ikke en fredag" in text(saturday)
    assert "Bemærk: den nye dag er en helligdag" in text(good_friday)
    assert "ikke en fredag" not in text(good_friday)
    assert "Bemærk: mødet begynder uden for kl. 8–18." in text(early)
    done = await kkrbot.press(SECRETARY, saturday, "Send til 3")
    assert "Udført" in text(done)
    await message_to(kkrbot, MAYOR, "lørdag den 13. februar 2027")


async def test_no_agenda_is_set_or_sent_for_a_cancelled_meeting(kkrbot: RunningBot) -> None:
    await council(kkrbot)
    saved = await kkrbot.ask(SECRETARY, "/dagsorden 12.02.2027\n1. Velkomst\n2. Regional trafik")
    assert "Fortæl alle berørte" in str(saved.buttons)
    preview = await kkrbot.ask(SECRETARY, "/moede aflys 12.02.2027 Sne")
    await kkrbot.press(SECRETARY, preview, "Send til 3")
    await message_to(kkrbot, MAYOR, "er aflyst")

    offered = await kkrbot.press(SECRETARY, saved, "Fortæl alle berørte")
    again = await kkrbot.ask(SECRETARY, "/dagsorden 12.02.2027\n1. Velkomst")

    for refused in (offered, again):
        assert "er aflyst, så der er ingen dagsorden at lægge ind eller sende ud" in text(refused)
    async with kkrbot.conversation.db.read() as conn:
        [[broadcasts]] = list(await conn.execute_fetchall("SELECT count(*) FROM broadcasts"))
        [[versions]] = list(await conn.execute_fetchall("SELECT count(*) FROM agenda_versions"))
    assert (broadcasts, versions) == (0, 1)
    assert not told(kkrbot, MAYOR, "Dagsordenen")
    shown = await kkrbot.ask(MAYOR, "/moeder 12.02.2027")
    assert "Mødet er aflyst." in text(shown)
    assert "Dagsorden" not in text(shown)


async def test_no_agenda_draft_made_before_the_cancellation_is_sent_after_it(kkrbot: RunningBot) -> None:
    await council(kkrbot)
    saved = await kkrbot.ask(SECRETARY, "/dagsorden 12.02.2027\n1. Velkomst")
    draft = await kkrbot.press(SECRETARY, saved, "Fortæl alle berørte")
    cancel = await kkrbot.ask(SECRETARY, "/moede aflys 12.02.2027")
    await kkrbot.press(SECRETARY, cancel, "Send til 3")
    await message_to(kkrbot, MAYOR, "er aflyst")

    [send] = [label for label in labels(draft) if label.startswith("Send")]
    refused = await kkrbot.press(SECRETARY, draft, send)

    assert "er aflyst, så der er ingen dagsorden" in text(refused)
    await kkrbot.ask(MAYOR, "/hjaelp")
    assert not told(kkrbot, MAYOR, "Velkomst")


async def test_r_meet_5_a_move_tells_everyone_concerned_asks_again_and_reminds_before_the_new_time(
    kkrbot: RunningBot,
) -> None:
    kkrbot.clock.now = datetime(2027, 2, 8, 9, 0, tzinfo=COPENHAGEN)
    await council(kkrbot)
    # MEMBER_1 is away and SUBSTITUTE accepted; MEMBER_2 is away and OTHER_SUBSTITUTE has not answered.
    await kkrbot.ask(MEMBER_1, "/afbud 12.02.2027 ok")
    alert = (await kkrbot.tg.wait_for(lambda m: m.chat_id == SUBSTITUTE and "Jeg deltager" in str(m.buttons)))[0]
    await kkrbot.press(SUBSTITUTE, alert, "Jeg deltager")
    await kkrbot.ask(MEMBER_2, "/afbud 12.02.2027 ok")
    await kkrbot.tg.wait_for(lambda m: m.chat_id == OTHER_SUBSTITUTE and "Jeg deltager" in str(m.buttons))

    # Three days before: the reminder goes to members without an absence, and to the substitute who accepted.
    kkrbot.clock.now = datetime(2027, 2, 9, 10, 0, tzinfo=COPENHAGEN)
    await kkrbot.conversation.tick()
    [mayor_reminder] = await message_to(kkrbot, MAYOR, "Påmindelse")
    [substitute_reminder] = await message_to(kkrbot, SUBSTITUTE, "Påmindelse")
    assert "Meld afbud" in labels(mayor_reminder)
    assert "Du deltager i stedet for" in text(substitute_reminder)
    assert "Meld afbud" not in labels(substitute_reminder)

    preview = await kkrbot.ask(SECRETARY, "/moede flyt 12.02.2027 19.02.2027")
    assert "spurgt igen til det nye tidspunkt" in text(preview)
    await kkrbot.press(SECRETARY, preview, "Send til 5")

    [to_accepted] = await message_to(kkrbot, SUBSTITUTE, "Mødet er flyttet")
    [to_alerted] = await message_to(kkrbot, OTHER_SUBSTITUTE, "Mødet er flyttet")
    [to_absent] = await message_to(kkrbot, MEMBER_1, "Mødet er flyttet")
    assert "fredag den 19. februar 2027" in text(to_accepted)
    assert "det var til det gamle tidspunkt" in text(to_accepted)
    assert labels(to_accepted)[:2] == ["Jeg deltager", "Jeg kan ikke"]
    assert "har bedt dig deltage i sit sted" in text(to_alerted)
    assert labels(to_alerted)[:2] == ["Jeg deltager", "Jeg kan ikke"]
    assert "Står dit afbud stadig?" in text(to_absent)
    assert labels(to_absent)[:2] == ["Ja, det står", "Fortryd afbud"]

    # The "yes" for the old time no longer counts: asked again, and the forecast has 20 of 22.
    attendance = await kkrbot.ask(SECRETARY, "/fremmoede 19.02.2027")
    assert "er spurgt igen, da mødet er flyttet" in text(attendance)
    assert "Forventet fremmøde: 20 af 22" in text(attendance)
    status = await kkrbot.ask(SUBSTITUTE, "/status")
    assert "Mødet er flyttet: kan du stadig deltage i stedet for" in text(status)

    stands = await kkrbot.press(MEMBER_1, to_absent, "Ja, det står")
    assert "Det afbud står ved magt" in text(stands)
    await kkrbot.press(SUBSTITUTE, to_accepted, "Jeg deltager")
    await message_to(kkrbot, SECRETARY, "Forventet fremmøde: 21 af 22")

    # The reminder comes again before the new time, to the same people.
    kkrbot.clock.now = datetime(2027, 2, 16, 10, 0, tzinfo=COPENHAGEN)
    await kkrbot.conversation.tick()
    [_old, new_reminder] = await message_to(kkrbot, MAYOR, "Påmindelse", count=2)
    assert "19. februar 2027" in text(new_reminder)
    await message_to(kkrbot, SUBSTITUTE, "Påmindelse", count=2)
    assert not told(kkrbot, MEMBER_1, "Påmindelse")
    assert not told(kkrbot, MEMBER_2, "Påmindelse")


async def test_r_per_1_no_reminder_offers_absence_for_the_next_councils_constituent_meeting(
    kkrbot: RunningBot,
) -> None:
    await council(kkrbot)
    kkrbot.clock.now = datetime(2030, 1, 22, 10, 0, tzinfo=COPENHAGEN)

    await kkrbot.conversation.tick()
    await kkrbot.ask(MAYOR, "/hjaelp")

    assert not told(kkrbot, MAYOR, "Påmindelse")
