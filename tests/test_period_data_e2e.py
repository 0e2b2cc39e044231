"""End to end: a period whose data file leaves out the Erhvervshus timeline (a next period's file, written in
December before it is known; docs/data-format.md) is answered with that, not with a stack trace, and reminds the
secretariat of nothing (R-EHUS-3)."""

from __future__ import annotations

from datetime import datetime

from tests.conftest import COPENHAGEN, RunningBot
from tests.test_elections_e2e import SECRETARY, setup, stored, text


async def test_r_ehus_3_without_the_timeline_in_the_periods_data_nominations_say_so_and_nothing_is_recorded(
    kkrbot: RunningBot,
) -> None:
    await setup(kkrbot, datetime(2026, 2, 25, 9, 0, tzinfo=COPENHAGEN))  # two days before the 2026 deadline
    dataset = kkrbot.conversation.dataset
    kkrbot.conversation.dataset = dataset.model_copy(update={"erhvervshus": None})
    before = len(kkrbot.tg.sent_to(SECRETARY))

    answer = await kkrbot.ask(SECRETARY, "/indstilling DI erhverv kvinde Karen Eksempel")
    await kkrbot.conversation.tick()

    assert "Tidsplanen for Erhvervshus Nordjyllands bestyrelse er ikke i denne periodes data" in text(answer)
    assert "Intet blev registreret" in text(answer)
    assert await stored(kkrbot, "SELECT * FROM ehus_nominations") == []
    assert await stored(kkrbot, "SELECT * FROM ehus_reminders") == []  # the 2026 deadline is not this period's
    assert len(kkrbot.tg.sent_to(SECRETARY)) == before + 1
