"""The guide's Truth section, day by day through the real Application and the fake Bot API: on each day the bot
says only what is true that day, and what it only expects or infers it says so. Each test sets the clock to the
day a walk through the period (console under faketime) found a sentence that read false."""

from __future__ import annotations

from datetime import datetime

from tests.conftest import COPENHAGEN, RunningBot
from tests.test_absence_e2e import MEMBER, council, text

__all__ = ["council"]  # the fixture, shared with the absence tests

DURING_THE_MEETING = datetime(2027, 2, 12, 10, 30, tzinfo=COPENHAGEN)  # 10:00–12:00 (R-MEET-1)
AFTER_THE_MEETING = datetime(2027, 2, 15, 9, 0, tzinfo=COPENHAGEN)


async def test_r_meet_1_a_meeting_under_way_is_not_listed_as_held(council: RunningBot) -> None:
    council.clock.now = DURING_THE_MEETING

    listed = text(await council.ask(MEMBER, "/moeder"))

    assert "▸ fredag den 12. februar 2027 kl. 10.00–12.00, Aalborg" in listed
    assert "✓ fredag den 12. februar 2027" not in listed
    assert "▸ i gang" in listed
    assert "✓ fredag den 20. november 2026" in listed  # a meeting that is over is held
