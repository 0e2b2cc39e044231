"""The sender's report on a broadcast (issue 23 items 3 and 4): it comes when the broadcast's last message is
delivered or given up, written in the transaction that marks it, not at a later tick of the clock; and its
"Ikke set endnu" lists people by name."""

from __future__ import annotations

import pytest

from bot.core import conversation as conversation_module
from bot.core.usecases.broadcasts import report_finished
from tests.conftest import RunningBot
from tests.fake_telegram import SentMessage

SECRETARY, MEMBER_1, MEMBER_2, MAYOR = 4001, 4002, 4003, 4004
# Patient under load (2 shared cores); the tick that would report is taken out, so only the outbox can.
PATIENCE = 60.0


def text(message: SentMessage) -> str:
    return message.plain_text or ""


@pytest.fixture
async def council(kkrbot: RunningBot, monkeypatch: pytest.MonkeyPatch) -> RunningBot:
    scheduled = tuple(job for job in conversation_module.SCHEDULED if job is not report_finished)
    monkeypatch.setattr(conversation_module, "SCHEDULED", scheduled)
    await kkrbot.bind(SECRETARY, "sekretariat-1")
    await kkrbot.bind(MEMBER_1, "a-medlem-1")
    await kkrbot.bind(MEMBER_2, "a-medlem-2")
    await kkrbot.bind(MAYOR, "aalborg-borgmester")
    return kkrbot


async def test_the_report_comes_when_the_last_message_is_delivered_without_a_tick(council: RunningBot) -> None:
    preview = await council.ask(SECRETARY, "/udsend a-medlem-1,a-medlem-2,aalborg-borgmester Husk bilaget")
    await council.press(SECRETARY, preview, "Send til 3")

    [report] = await council.tg.wait_for(
        lambda m: m.chat_id == SECRETARY and "Udsendelse 1 er færdig" in text(m), timeout=PATIENCE
    )
    assert "3 modtagere: 3 leveret, 0 ikke leveret, 0 venter, 0 set" in text(report)
    last_delivery = max(
        i for i, m in enumerate(council.tg.sent) if "Husk bilaget" in text(m) and m.chat_id != SECRETARY
    )
    assert council.tg.sent.index(report) > last_delivery


async def test_the_report_comes_when_the_last_message_is_given_up_without_a_tick(council: RunningBot) -> None:
    council.tg.block(MAYOR)
    preview = await council.ask(SECRETARY, "/udsend a-medlem-1,aalborg-borgmester Husk bilaget")
    await council.press(SECRETARY, preview, "Send til 2")

    [report] = await council.tg.wait_for(
        lambda m: m.chat_id == SECRETARY and "Udsendelse 1 er færdig" in text(m), timeout=PATIENCE
    )
    assert "2 modtagere: 1 leveret, 1 ikke leveret, 0 venter, 0 set" in text(report)
    assert "har blokeret botten" in text(report)


async def test_not_yet_seen_lists_people_by_name(council: RunningBot) -> None:
    """The report's "Ikke set endnu" in alphabetical order of the names, not of the ids (a-medlem-1 is Nina,
    a-medlem-2 Pia, aalborg-borgmester Camilla in the example roster) nor of the audience as written."""
    preview = await council.ask(SECRETARY, "/udsend a-medlem-2,a-medlem-1,aalborg-borgmester set\nLæs bilaget")
    await council.press(SECRETARY, preview, "Send til 3")

    [report] = await council.tg.wait_for(
        lambda m: m.chat_id == SECRETARY and "Udsendelse 1 er færdig" in text(m), timeout=PATIENCE
    )
    unseen = text(report).split("Ikke set endnu:\n", 1)[1].splitlines()
    names = [line.removeprefix("• ") for line in unseen if line.startswith("• ")]
    assert [name.split()[0] for name in names] == ["Camilla", "Nina", "Pia"]
