"""One language rule for every channel: an account's language is fixed at its first message that says one (a Teams
activity's locale, Telegram's language_code) until /sprog; answers and notifications follow the same language.

The person here (a-stedfortraeder-1) has no language in the roster and has not chosen one; they bound their account
with a message that said none, and every message after says English."""

from __future__ import annotations

from tests.conftest import RunningBot
from tests.test_teams_e2e import Both, both  # noqa: F401 - the fixture

ALERT_EN = "reported absence"
ALERT_DA = "har meldt afbud"


async def report_absence_on_telegram(bot: RunningBot) -> None:
    await bot.bind(3001, "a-medlem-1")
    choose = await bot.ask(3001, "/afbud")
    confirm = await bot.press(3001, choose, "fre. 12. feb. 2027")
    await bot.press(3001, confirm, "Ja, meld afbud")


async def test_on_teams_answers_and_the_alert_follow_the_accounts_first_locale_until_sprog(
    both: Both,  # noqa: F811
) -> None:
    bc = both.bc
    binding = bc.activity("rasmus", text=f"start {await both.bot.invite('a-stedfortraeder-1')}")
    del binding["locale"]
    assert await bc.deliver(both.endpoint, binding) == 200
    await bc.wait_for_sent("rasmus", 1)

    def english(text: str) -> dict[str, object]:
        activity = bc.activity("rasmus", text=text)
        activity["locale"] = "en-US"
        return activity

    async def say(activity: dict[str, object]) -> str:
        before = len(bc.sent_to("rasmus"))
        assert await bc.deliver(both.endpoint, activity) == 200
        return (await bc.wait_for_sent("rasmus", before + 1))[-1].text

    assert "Next meeting" in await say(english("next"))
    await report_absence_on_telegram(both.bot)
    await bc.wait_for(lambda: any(ALERT_EN in s.text or ALERT_DA in s.text for s in bc.sent_to("rasmus")))
    [alert] = [s.text for s in bc.sent_to("rasmus") if ALERT_EN in s.text or ALERT_DA in s.text]
    assert ALERT_EN in alert
    # A later activity in another locale does not move it ...
    assert "Next meeting" in await say(bc.activity("rasmus", text="naeste"))
    # ... /sprog does.
    await say(english("language da"))
    assert "Næste møde" in await say(english("next"))


async def test_on_telegram_answers_and_the_alert_follow_the_accounts_first_language_code(kkrbot: RunningBot) -> None:
    await kkrbot.bind(3002, "a-stedfortraeder-1", language=None)

    assert "Next meeting" in (await kkrbot.ask(3002, "/next", language="en")).plain_text
    await report_absence_on_telegram(kkrbot)
    [alert] = await kkrbot.tg.wait_for(
        lambda m: m.chat_id == 3002 and (ALERT_EN in (m.plain_text or "") or ALERT_DA in (m.plain_text or ""))
    )
    assert ALERT_EN in (alert.plain_text or "")
    assert "Next meeting" in (await kkrbot.ask(3002, "/naeste", language="da")).plain_text
