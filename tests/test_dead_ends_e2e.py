"""The chat's dead ends and words (issue 23, items 1-4), as transcripts per role and language through the real
Application and the fake Bot API: each new path is walked, and no answer crosses the languages."""

from __future__ import annotations

from bot.core.commands import word
from bot.core.usecases.absence_notices import ANSWER_NOTICE_INTERVAL
from tests.test_transcripts_e2e import (
    MEMBER,
    SECRETARY,
    SUBSTITUTE,
    Walk,
    actions,
    no_answer_crosses_the_languages,
    payloads,
    payloads_to,
    walk,  # noqa: F401 - the fixture: one walk per language, the secretary of that roster language
)
from tests.transcripts import Said

CHANGED = {"da": "Stedfortræderen har ændret sit svar", "en": "Substitute changed their answer"}


async def test_a_substitute_can_change_their_mind_until_the_meeting(walk: Walk) -> None:  # noqa: F811
    """Item 1: after "I will attend" the answer offers "I cannot attend after all", and so does /status; after
    "I cannot", /status lists the declined alert with "I can attend after all". Member and secretariat are
    told each time."""
    await walk.do(MEMBER, "absent", "12.02.2027", "ok")
    accept = next(p for p in payloads_to(walk, SUBSTITUTE) if p.endswith(" yes"))
    notice = accept.split()[1]

    accepted = await walk.press(SUBSTITUTE, accept)
    assert payloads(accepted) == [f"cover {notice} no"]

    status = await walk.do(SUBSTITUTE, "status")
    assert f"cover {notice} no" in payloads(status)

    declined = await walk.press(SUBSTITUTE, f"cover {notice} no")
    assert payloads(declined) == [f"cover {notice} yes"]
    # Told with the latest answer once ten minutes have passed since the last notice (issue 20's flood limit).
    bot = walk.transcript.bot
    before = {chat: len(bot.tg.sent_to(chat)) for chat in (MEMBER, SECRETARY)}
    bot.clock.advance(seconds=ANSWER_NOTICE_INTERVAL.total_seconds())
    await bot.conversation.tick()
    for chat in (MEMBER, SECRETARY):
        later = (await bot.tg.wait_for_messages(chat, before[chat] + 1))[before[chat] :]
        assert any(CHANGED[walk.language] in (m.plain_text or "") for m in later)

    after = await walk.do(SUBSTITUTE, "status")
    assert f"cover {notice} yes" in payloads(after)
    assert "Pia Fiktivsen" in after.text

    again = await walk.press(SUBSTITUTE, f"cover {notice} yes")
    assert payloads(again) == [f"cover {notice} no"]
    # A second change within ten minutes of the last notice waits for the next one (one notice per ten minutes).
    assert not any(m.chat_id == MEMBER for m in again.others)
    assert "10" in again.text
    await no_answer_crosses_the_languages(walk)


def first_payload(said: Said, start: str) -> str:
    return next(p for p in payloads(said) if p.startswith(start))


MOVED = {"da": "(flyttet fra fre. 12. feb. 2027)", "en": "(moved from Fri 12 Feb 2027)"}
EXAMPLE = {"da": "(eksempel)", "en": "(example)"}
MOVE = {"da": "flyt", "en": "move"}


async def test_the_secretariats_dead_ends_words_and_order(walk: Walk) -> None:  # noqa: F811
    """Items 2-4 for the secretariat: a meeting button under /dagsorden shows that meeting's agenda and how to
    replace it; /kanal, the /inviter list and an empty /udsend end with buttons; /hjaelp is ordered by task;
    a moved meeting is marked in /moeder and still found by its planned date."""
    usage = await walk.do(SECRETARY, "agenda")
    chosen = await walk.press(SECRETARY, "agenda 2027-02-12")
    assert "agenda 2027-02-12" in payloads(usage)
    assert "12.02.2027" in chosen.text
    assert actions(chosen) == {"next", "meetings"}

    assert actions(await walk.do(SECRETARY, "channel"))
    invite = await walk.do(SECRETARY, "invite")
    assert payloads(invite) == ["invite all"]
    assert EXAMPLE[walk.language] in (invite.last.plain_text or "")
    assert actions(await walk.do(SECRETARY, "broadcast", {"da": "medlemmer", "en": "members"}[walk.language]))

    help_ = (await walk.do(SECRETARY, "help")).text
    assert help_.index(f"/{word('agenda', walk.language)} ") < help_.index(f"/{word('status', walk.language)} ")
    assert help_.index(f"/{word('broadcast', walk.language)} ") < help_.index(f"/{word('language', walk.language)} ")

    preview = await walk.do(SECRETARY, "meeting", MOVE[walk.language], "12.02.2027", "19.02.2027")
    await walk.press(SECRETARY, first_payload(preview, "meeting send"))
    listed = await walk.do(SECRETARY, "meetings")
    assert MOVED[walk.language] in listed.text
    attendance = await walk.do(SECRETARY, "attendance", "12.02.2027")
    assert "minutes 2027-02-12" in payloads(attendance)
    await no_answer_crosses_the_languages(walk)


NO_SUCH_DAY = {"da": "31. februar 2027 findes ikke.", "en": "31 February 2027 does not exist."}
SEEN = {"da": "set", "en": "seen"}


async def test_a_members_dead_ends_and_words(walk: Walk) -> None:  # noqa: F811
    """Items 2-3 for a member: an impossible date says what is wrong and keeps "More meetings"; the picker's
    last page leads back to the first; the English "seen" asks for the Seen button, whose press ends with
    buttons."""
    wrong = await walk.do(MEMBER, "absent", "31.02.2027")
    assert NO_SUCH_DAY[walk.language] in wrong.text
    page = await walk.press(MEMBER, first_payload(wrong, "absent more"))
    while more := [p for p in payloads(page) if p.startswith("absent more") and p != "absent more 0"]:
        page = await walk.press(MEMBER, more[0])
    assert "absent more 0" in payloads(page)

    audience = {"da": "medlemmer", "en": "members"}[walk.language]
    preview = await walk.type(
        SECRETARY, f"/{word('broadcast', walk.language)} {audience} 12.02.2027 {SEEN[walk.language]}\nHej"
    )
    await walk.press(SECRETARY, first_payload(preview, "broadcast send"))
    seen = next(p for p in payloads_to(walk, MEMBER) if p.startswith("seen "))
    thanked = await walk.press(MEMBER, seen)
    assert actions(thanked) >= {"next", "meetings"}
    listed = await walk.do(SECRETARY, "broadcasts")
    assert {"da": "(mødet fre. 12. feb. 2027)", "en": "(meeting Fri 12 Feb 2027)"}[walk.language] in listed.text
    await no_answer_crosses_the_languages(walk)


YES = {"da": "ja", "en": "yes"}
NO = {"da": "nej", "en": "no"}


async def test_a_typed_yes_or_no_answers_the_open_question_or_asks_which(walk: Walk) -> None:  # noqa: F811
    """Item 2: "ja"/"yes" typed at "report absence?" reports it; "nej"/"no" typed at the alert declines; with two
    questions open the bot asks which; a settled question no longer counts. Item 3: /kalender ny without a
    public address says that personal links need one."""
    await walk.do(MEMBER, "absent", "12.02.2027")
    recorded = await walk.type(MEMBER, YES[walk.language])
    assert actions(recorded) == {"undo"}
    assert any(m.chat_id == SUBSTITUTE for m in recorded.others)

    declined = await walk.type(SUBSTITUTE, NO[walk.language])
    assert [p.split()[0] for p in payloads(declined)] == ["cover"]
    assert payloads(declined)[0].endswith(" yes")

    await walk.do(MEMBER, "absent", "23.04.2027")
    await walk.do(MEMBER, "absent", "25.06.2027")
    which = await walk.type(MEMBER, YES[walk.language])
    assert sorted(payloads(which)) == [
        "absent 2027-04-23 no",
        "absent 2027-04-23 ok",
        "absent 2027-06-25 no",
        "absent 2027-06-25 ok",
    ]

    calendar = await walk.do(MEMBER, "calendar", {"da": "ny", "en": "new"}[walk.language])
    assert "KKRBOT_PUBLIC_URL" in calendar.text
    await no_answer_crosses_the_languages(walk)


async def test_broadcast_audiences_are_read_as_members_reads_them(walk: Walk) -> None:  # noqa: F811
    """Item 3: /udsend reads "aalborg kommune", "Venstre" and duplicates as /medlemmer does, and a party
    without members is said to be empty."""
    command = f"/{word('broadcast', walk.language)}"
    aalborg = await walk.type(SECRETARY, f"{command} aalborg kommune\nHej")
    assert any(p.startswith("broadcast send") for p in payloads(aalborg))
    assert "kommune" not in aalborg.text.split("\n\n", 2)[-1]

    party = await walk.type(SECRETARY, f"{command} Socialdemokratiet,A,a\nHej")
    assert any(p.startswith("broadcast send") for p in payloads(party))
    assert party.text.count({"da": "parti A", "en": "party A"}[walk.language]) == 1

    nobody = await walk.type(SECRETARY, f"{command} M\nHej")
    assert actions(nobody) == {"members"}
    assert "“M”" in nobody.text or "„M“" in nobody.text
    await no_answer_crosses_the_languages(walk)


async def test_refusals_give_the_reason_where_it_is_known(walk: Walk) -> None:  # noqa: F811
    """Item 3: the reason before the usage line: no seats, an unknown id, a vote that is not a number, a lot
    with nothing to draw between."""
    forum, departure = f"/{word('forum', walk.language)}", f"/{word('departure', walk.language)}"
    english = walk.language == "en"
    seats = await walk.type(SECRETARY, f"{forum} {'new' if english else 'ny'} raad 0 Raad")
    assert ("at least one seat" if english else "mindst én plads") in seats.text
    unknown = await walk.type(SECRETARY, f"{departure} xyz {'council' if english else 'byraad'}")
    assert ("“xyz”" if english else "„xyz“") in unknown.text
    await walk.type(SECRETARY, f"{forum} {'new' if english else 'ny'} trafik 1 Trafik")
    vote = await walk.type(SECRETARY, f"{forum} {'votes' if english else 'stemmer'} trafik 22 a-medlem-2=abc")
    assert "a-medlem-2=abc" in vote.text
    secretary = await walk.type(SECRETARY, f"{forum} {'votes' if english else 'stemmer'} trafik 22 sekretariat-2=3")
    assert f"Bent Prøvegaard {EXAMPLE[walk.language]}" in secretary.text
    lot = await walk.type(SECRETARY, f"{forum} {'lot' if english else 'lod'} trafik Pia")
    assert ("No votes are recorded yet." if english else "Der er ikke registreret nogen stemmer endnu.") in lot.text
    await no_answer_crosses_the_languages(walk)
