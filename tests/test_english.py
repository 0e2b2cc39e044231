"""English really is English (issue #10, item 1): every command, walked in English by every role with good and
bad input, gets answers, buttons and notices with no Danish word or letter the bot wrote itself (names,
places and party letters aside)."""

from __future__ import annotations

from pathlib import Path

from bot.core.commands import COMMANDS
from tests.conftest import RunningBot
from tests.test_cli import kkrbot as run_kkrbot
from tests.transcripts import Transcript, all_text, danish_in, proper_names

MEMBER, MAYOR, SUBSTITUTE, SECRETARY = 3001, 3002, 3003, 3004
PEOPLE = {
    MEMBER: "a-medlem-1",
    MAYOR: "aalborg-borgmester",
    SUBSTITUTE: "a-stedfortraeder-1",
    # The roster's language overrides the account's (issue 21's rule): the English-speaking secretary is the one
    # whose roster language is English.
    SECRETARY: "sekretariat-2",
}

# Every command with good and bad input; each role walks them all (so the refusals are walked too).
WALK: dict[str, list[str]] = {
    "next": ["/next", "/next please"],
    "meetings": ["/meetings"],
    "absent": [
        "/absent",
        "/absent more 5",
        "/absent 31/2-2027",
        "/absent xyz",
        "/absent 13.02.2027",
        "/absent 2031-02-14",
        "/absent 20.11.2026",
        "/absent 25.01.2030",
        "/absent 23 April",
        "/absent 23.04.2027 no",
    ],
    "undo": ["/undo", "/undo 999", "/undo xyz"],
    "attendance": [
        "/attendance",
        "/attendance 12.2",
        "/attendance xyz",
        "/attendance 13.02.2027",
        "/attendance record 20.11.2026 absent a-medlem-1",
        "/attendance record 20.11.2026 absent nobody",
        "/attendance record 12.02.2027",
    ],
    "minutes": ["/minutes", "/minutes 20.11", "/minutes 31.02.2027"],
    "agenda": ["/agenda", "/agenda 12.02.2027", "/agenda 13.02.2027 None", "/agenda xyz", "/agenda 12 Feb 1. Welcome"],
    "invite": ["/invite", "/invite nobody", "/invite a-medlem-3"],
    "calendar": ["/calendar"],
    "substitute": ["/substitute"],
    "composition": ["/composition"],
    "members": [
        "/members",
        "/members Aalborg",
        "/members aalborg kommune",
        "/members laeso",
        "/members venstre",
        "/members M",
        "/members party",
        "/members municipality",
        "/members xyz",
    ],
    "language": ["/language", "/language klingon", "/language english"],
    "help": ["/help"],
    "cover": ["/cover", "/cover 1 maybe", "/cover 999 yes"],
    "start": ["/start", "/start not-a-token"],
    "channel": ["/channel", "/channel pigeon", "/channel teams", "/channel telegram"],
    "broadcast": ["/broadcast", "/broadcast members", "/broadcast nobody Hello"],
    "broadcasts": ["/broadcasts"],
    "meeting": [
        "/meeting",
        "/meeting move 12.02.2027 13:00-15:00 Hjørring",
        "/meeting move 12.02.2027 15:00-13:00",
        "/meeting move 12.02.2027 31.02.2027",
        "/meeting move 12.02.2027 next friday",
        "/meeting move 12.02.2027 13.02.2027",
        "/meeting cancel 13.02.2027",
        "/meeting cancel 20.11.2026",
        "/meeting extra 05.03.2027 10:00-11:00 Aalborg",
        "/meeting extra 05.03.2027",
    ],
    "seen": ["/seen", "/seen 999"],
    "status": ["/status"],
    "mydata": ["/mydata"],
    "alliance": ["/alliance", "/alliance A+F", "/alliance A+M", "/alliance approve 999", "/alliance X+Y"],
    "chair": ["/chair", "/chair lot 7", "/chair lot XYZ", "/chair foo"],
    "appointments": ["/appointments", "/appointments all", "/appointments nobody"],
    "forum": [
        "/forum",
        "/forum new traffic 1 Traffic forum",
        "/forum votes traffic 22 a-medlem-2=10 b-medlem-1=8",
        "/forum votes nowhere 22 x=1",
        "/forum new growth 3 Growth forum",
        "/forum list growth blue 12 a-medlem-2,c-medlem-1",
        "/forum allocate growth",
        "/forum lot growth 9",
    ],
    "nomination": ["/nomination", "/nomination DI business man John Example", "/nomination nobody x y z"],
    "departure": ["/departure", "/departure nobody party", "/departure a-medlem-3 party"],
}
ODD = ["/foo", "hello", "9", "/næste", "/"]


def test_the_walk_covers_every_command() -> None:
    assert set(WALK) == {command.name for command in COMMANDS}


async def test_every_command_in_english_answers_in_english(kkrbot: RunningBot) -> None:
    transcript = Transcript(kkrbot)
    for user, person in PEOPLE.items():
        await kkrbot.bind(user, person, language="en")
    # A member's absence and the substitute's answer, so that the alerts and notices are in the walk too.
    await transcript.say(MEMBER, "/absent 2027-02-12", language="en")
    await transcript.press(MEMBER, "Yes, report absence")
    await transcript.press(SUBSTITUTE, "I will attend")
    await transcript.say(MEMBER, "/absent 2027-02-12", language="en")
    await transcript.press(MEMBER, "Withdraw absence")
    for user in PEOPLE:
        for inputs in WALK.values():
            for text in inputs:
                await transcript.say(user, text, language="en")
        for text in ODD:
            await transcript.say(user, text, language="en")

    names = await proper_names(kkrbot)
    danish = {
        (step.did, word)
        for step in transcript.steps
        for message in step.answers + step.others
        if message.chat_id in PEOPLE
        for word in danish_in(all_text(message), names)
    }
    assert not danish, sorted(danish)
    assert all(step.answers for step in transcript.steps), [step.did for step in transcript.steps if not step.answers]


def test_the_console_starts_in_the_configured_language(tmp_path: Path) -> None:
    result = run_kkrbot(tmp_path, "run", env={"KKRBOT_DEFAULT_LANGUAGE": "en"}, typed="/help\n/quit\n")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("No KKRBOT_TELEGRAM_TOKEN is set, so I start the console."), result.stdout
    assert "/next" in result.stdout
    assert not danish_in(result.stdout, ["Camilla Demoholm", "aalborg-borgmester", "Aalborg"]), result.stdout
