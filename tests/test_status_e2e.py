"""Where a person stands (issue #10 item 4): /status lists my absences to come, the alerts I must answer
and the meetings I cover, each with its buttons; /naeste, /moeder and the afbud picker mark the same.
The real Application against the fake Bot API (R-MEET-5: the personal substitute is asked and answers)."""

from __future__ import annotations

from tests.conftest import RunningBot
from tests.fake_telegram import SentMessage
from tests.test_absence_e2e import MEMBER, SUBSTITUTE, council, message_to, names, report_absence, text

__all__ = ["council"]  # the fixture, shared with the absence tests

WHEN = "fredag den 12. februar 2027 kl. 10.00–12.00"


def labels(message: SentMessage) -> list[str]:
    return [button["text"] for row in message.buttons for button in row]


async def test_status_with_nothing_pending_says_so(council: RunningBot) -> None:
    status = await council.ask(MEMBER, "/status")

    assert "Du har intet udestående" in text(status)
    assert "Næste møde" in labels(status)


async def test_status_lists_my_absence_and_withdraws_it_from_its_button(council: RunningBot) -> None:
    people = await names(council)
    await report_absence(council)

    status = await council.ask(MEMBER, "/status")

    assert "Dine afbud:" in text(status)
    substitute = f"{people['a-stedfortraeder-1']} (eksempel)"
    assert f"{WHEN}: Du har meldt afbud; din stedfortræder, {substitute}, har ikke svaret" in text(status)
    withdrawn = await council.press(MEMBER, status, "Fortryd afbud fre. 12. feb. 2027")
    assert "trukket tilbage" in text(withdrawn)


async def test_status_gives_a_substitute_the_alerts_answer_buttons(council: RunningBot) -> None:
    """The alert itself may be long gone up the chat; /status asks again, with the same answers."""
    people = await names(council)
    await report_absence(council)
    await message_to(council, SUBSTITUTE, "har meldt afbud")

    status = await council.ask(SUBSTITUTE, "/status")

    assert "Forespørgsler, du skal svare på:" in text(status)
    assert f"{people['a-medlem-1']} (eksempel) har bedt dig deltage i sit sted" in text(status)
    thanks = await council.press(SUBSTITUTE, status, "Jeg deltager")
    assert "du deltager" in text(thanks)
    again = await council.ask(SUBSTITUTE, "/status")
    assert "Møder, du deltager i som stedfortræder:" in text(again)
    assert f"{WHEN}: Du deltager i stedet for {people['a-medlem-1']} (eksempel)." in text(again)
    assert "Jeg deltager" not in labels(again)


async def test_next_marks_my_absence_and_offers_to_withdraw_it_not_to_report_it(council: RunningBot) -> None:
    await report_absence(council)

    following = await council.ask(MEMBER, "/naeste")

    assert text(following).splitlines()[2].startswith("Du har meldt afbud; din stedfortræder")
    assert "Fortryd afbud" in labels(following)
    assert "Meld afbud" not in labels(following)


async def test_next_and_meetings_mark_what_a_substitute_covers(council: RunningBot) -> None:
    people = await names(council)
    await report_absence(council)
    alert = (await message_to(council, SUBSTITUTE, "har meldt afbud"))[0]

    asked = await council.ask(SUBSTITUTE, "/naeste")
    assert "har bedt dig deltage i sit sted" in text(asked)
    assert {"Jeg deltager", "Jeg kan ikke"} <= set(labels(asked))
    await council.press(SUBSTITUTE, alert, "Jeg deltager")
    following = await council.ask(SUBSTITUTE, "/naeste")
    meetings = await council.ask(SUBSTITUTE, "/moeder")

    assert f"Du deltager i stedet for {people['a-medlem-1']} (eksempel)." in text(following)
    assert "Jeg deltager" not in labels(following)
    lines = [line.strip() for line in text(meetings).splitlines()]
    marked = lines.index(f"→ Du deltager i stedet for {people['a-medlem-1']} (eksempel).")
    assert WHEN in lines[marked - 1]


async def test_meetings_mark_my_absence(council: RunningBot) -> None:
    await report_absence(council)

    meetings = await council.ask(MEMBER, "/moeder")

    lines = [line.strip() for line in text(meetings).splitlines()]
    marked = [i for i, line in enumerate(lines) if line.startswith("→ Du har meldt afbud")]
    assert len(marked) == 1
    assert WHEN in lines[marked[0] - 1]


async def test_the_afbud_picker_marks_a_meeting_already_reported(council: RunningBot) -> None:
    await report_absence(council)

    picker = await council.ask(MEMBER, "/afbud")

    assert labels(picker)[:2] == ["fre. 12. feb. 2027 (afbud meldt)", "fre. 23. apr. 2027"]
    again = await council.press(MEMBER, picker, "fre. 12. feb. 2027 (afbud meldt)")
    assert "allerede meldt afbud" in text(again)
    assert "Fortryd afbud" in labels(again)
