"""A substitute who changes their answer again and again (issue 20, item 8): the member and the secretariat get at
most one notice per substitute, meeting and ten minutes, and the latest answer when the ten minutes are over."""

from __future__ import annotations

from bot.core.usecases.absence_notices import ANSWER_NOTICE_INTERVAL
from tests.conftest import RunningBot
from tests.fake_telegram import SentMessage
from tests.test_absence_e2e import MEMBER, SECRETARY, SUBSTITUTE, council, message_to, report_absence, text

__all__ = ["council"]  # the fixture, imported for pytest


def notices(bot: RunningBot, chat: int) -> list[str]:
    """The notices of the substitute's answer: to the member, and to the secretariat."""
    titles = (
        "Stedfortræderen deltager",
        "Stedfortræderen kan ikke deltage",
        "Stedfortræderens svar",
        "Stedfortræderen har ændret sit svar",
    )
    return [text(m) for m in bot.tg.sent_to(chat) if text(m).startswith(titles)]


async def flip(bot: RunningBot, alert: SentMessage, absence_id: str, answer: str) -> None:
    before = len(bot.tg.sent_to(SUBSTITUTE))
    bot.tg.inject_callback(SUBSTITUTE, alert.message_id, f"cover {absence_id} {answer}", require_button=False)
    await bot.tg.wait_for_messages(SUBSTITUTE, before + 1)


async def test_a_substitute_who_flips_their_answer_is_told_about_once_per_ten_minutes(council: RunningBot) -> None:
    await report_absence(council)
    alert = (await message_to(council, SUBSTITUTE, "har meldt afbud"))[0]
    absence_id = alert.buttons[0][0]["callback_data"].split()[1]

    await council.press(SUBSTITUTE, alert, "Jeg deltager")
    await message_to(council, MEMBER, "deltager i mødet")
    for answer in ["no", "yes", "no", "yes", "no"] * 4:  # twenty flips in a minute
        council.clock.advance(seconds=3)
        await flip(council, alert, absence_id, answer)
    await council.ask(MEMBER, "/naeste")  # everything before it has been handled
    assert "dit seneste svar inden for 10 minutter" in text(council.tg.sent_to(SUBSTITUTE)[-1])
    member_then, secretariat_then = len(notices(council, MEMBER)), len(notices(council, SECRETARY))

    council.clock.advance(seconds=ANSWER_NOTICE_INTERVAL.total_seconds())
    await council.conversation.tick()
    await message_to(council, MEMBER, "kan ikke deltage i mødet")
    await council.conversation.tick()  # told once: nothing more
    await council.ask(MEMBER, "/naeste")

    assert (member_then, secretariat_then) == (1, 1)
    member_told = notices(council, MEMBER)
    assert len(member_told) == 2
    assert "kan ikke deltage" in member_told[-1]  # the latest answer
    assert len(notices(council, SECRETARY)) == 2
