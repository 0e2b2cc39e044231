"""Telegram manners (issue #10 item 9), through the real Application and the fake Bot API: a button press
is acknowledged at once, even while the outbox waits out a 429; the buttons of a question that has been
answered are removed; the bot describes itself in each language before anyone presses Start."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from tests.conftest import RunningBot, eventually
from tests.fake_telegram import EditRecord, FakeTelegram, SentMessage
from tests.test_absence_e2e import MEMBER, SUBSTITUTE, council, message_to, text

__all__ = ["council"]  # the fixture, shared with the absence tests


async def until(condition: Callable[[], bool]) -> None:
    """Waits for something the fake has no waiter for; bounded, so a bug fails instead of hanging."""
    async with asyncio.timeout(10):
        while not condition():  # noqa: ASYNC110 - the fake has no event for a served fault
            await asyncio.sleep(0.01)


async def buttons_removed(tg: FakeTelegram, message: SentMessage) -> None:
    def removed(edit: EditRecord) -> bool:
        return (
            edit.method == "editMessageReplyMarkup"
            and edit.chat_id == message.chat_id
            and edit.message_id == message.message_id
            and not (edit.reply_markup or {}).get("inline_keyboard")
        )

    await tg.wait_for_edits(removed)
    assert "reply_markup" not in (tg.get_message(message.chat_id, message.message_id) or {})


async def test_a_button_press_is_acknowledged_while_the_outbox_waits_out_a_429(council: RunningBot) -> None:
    tg = council.tg
    following = await council.ask(MEMBER, "/naeste")
    tg.add_fault("sendMessage", "429", retry_after=30)  # the next answer: "retry after 30 s"
    served = tg.faults_served
    tg.inject_message(MEMBER, "/moeder")
    await until(lambda: tg.faults_served > served)  # the outbox now holds this member's messages back
    sent_before = len(tg.sent_to(MEMBER))

    tg.inject_button_press(MEMBER, following.message_id, "Alle møder")

    answers = await tg.wait_for_callback_answers(lambda a: a.user_id == MEMBER)
    assert answers[0].data == "meetings"
    assert len(tg.sent_to(MEMBER)) == sent_before  # acknowledged while nothing could be sent


async def test_yes_report_absence_removes_the_confirmation_buttons(council: RunningBot) -> None:
    choose = await council.ask(MEMBER, "/afbud")
    confirm = await council.press(MEMBER, choose, "fre. 12. feb. 2027")

    recorded = await council.press(MEMBER, confirm, "Ja, meld afbud")

    assert "er registreret" in text(recorded)
    await buttons_removed(council.tg, confirm)


async def test_no_removes_the_confirmation_buttons_too(council: RunningBot) -> None:
    choose = await council.ask(MEMBER, "/afbud")
    confirm = await council.press(MEMBER, choose, "fre. 12. feb. 2027")

    await council.press(MEMBER, confirm, "Nej")

    await buttons_removed(council.tg, confirm)


async def test_i_will_attend_removes_the_alerts_buttons(council: RunningBot) -> None:
    await council.ask(MEMBER, "/afbud 12.02.2027 ok")
    alert = (await message_to(council, SUBSTITUTE, "har meldt afbud"))[0]

    await council.press(SUBSTITUTE, alert, "Jeg deltager")

    await buttons_removed(council.tg, alert)


async def test_i_cannot_removes_the_alerts_buttons(council: RunningBot) -> None:
    await council.ask(MEMBER, "/afbud 12.02.2027 ok")
    alert = (await message_to(council, SUBSTITUTE, "har meldt afbud"))[0]

    await council.press(SUBSTITUTE, alert, "Jeg kan ikke")

    await buttons_removed(council.tg, alert)


async def test_navigation_buttons_stay(council: RunningBot) -> None:
    following = await council.ask(MEMBER, "/naeste")

    await council.press(MEMBER, following, "Alle møder")
    await council.ask(MEMBER, "/hjaelp")  # everything before it has been handled

    assert not council.tg.edits


async def test_the_bot_describes_itself_in_danish_and_english(council: RunningBot) -> None:
    tg = council.tg
    await eventually(lambda: "" in tg.short_descriptions)

    assert "KKR Nordjylland" in tg.descriptions["da"]
    assert "invitationslink" in tg.descriptions["da"]
    assert "invite link" in tg.descriptions["en"]
    assert tg.descriptions[""] == tg.descriptions["da"]  # KKRBOT_DEFAULT_LANGUAGE for any other app language
    assert "møder, afbud og stedfortrædere" in tg.short_descriptions["da"]
    assert "meetings, absence and substitutes" in tg.short_descriptions["en"]
