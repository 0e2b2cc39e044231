"""The secretariat's broadcasts through the real Telegram Application and the fake Bot API: a preview before
anything goes out, exactly the chosen audience, Send twice sends once, Cancel sends nothing, "Set" counted,
a 403 reported as blocked, and an agenda change offered to the members and the substitute who attends."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.usecases.broadcasts import AudienceError, read_options, select_audience
from bot.storage.roster import Roster
from tests.conftest import RunningBot
from tests.fake_telegram import SentMessage
from tests.processes import add_crowd

SECRETARY, MEMBER_1, MEMBER_2, MAYOR, SUBSTITUTE, OTHER_SUBSTITUTE = 4001, 4002, 4003, 4004, 4005, 4006
MEMBERS = (MEMBER_1, MEMBER_2, MAYOR)


def text(message: SentMessage) -> str:
    return message.plain_text or ""


def broadcasts_to(kkrbot: RunningBot, chat_id: int, fragment: str) -> list[SentMessage]:
    return [m for m in kkrbot.tg.sent_to(chat_id) if fragment in text(m)]


@pytest.fixture
async def council(kkrbot: RunningBot) -> RunningBot:
    await kkrbot.bind(SECRETARY, "sekretariat-1")
    await kkrbot.bind(MEMBER_1, "a-medlem-1")
    await kkrbot.bind(MEMBER_2, "a-medlem-2")
    await kkrbot.bind(MAYOR, "aalborg-borgmester")
    await kkrbot.bind(SUBSTITUTE, "a-stedfortraeder-1")
    await kkrbot.bind(OTHER_SUBSTITUTE, "a-stedfortraeder-2")
    return kkrbot


async def finish(kkrbot: RunningBot, broadcast_id: int) -> None:
    """Waits until the outbox has sent or given up every message of the broadcast, then runs the tick that
    reports it (the bot's own tick runs once a minute)."""
    for _attempt in range(400):
        async with kkrbot.conversation.db.read() as conn:
            [[left]] = list(
                await conn.execute_fetchall(
                    "SELECT count(*) FROM broadcast_recipients r JOIN outbox o ON o.id = r.outbox_id "
                    "WHERE r.broadcast_id = ? AND o.sent_at IS NULL AND o.failed_at IS NULL",
                    (broadcast_id,),
                )
            )
        if left == 0:
            break
        await asyncio.sleep(0.05)
    await kkrbot.conversation.tick()


async def test_a_broadcast_to_the_members_reaches_exactly_the_members_after_send(council: RunningBot) -> None:
    preview = await council.ask(SECRETARY, "/udsend medlemmer\nHusk gruppemøderne fra kl. 8.30.\nVel mødt!")

    assert "Forhåndsvisning af udsendelsen" in text(preview)
    assert "22 modtagere" in text(preview)
    assert "Husk gruppemøderne fra kl. 8.30.\nVel mødt!" in text(preview)
    assert "Kan ikke nås (19)" in text(preview)
    assert not any(broadcasts_to(council, member, "Vel mødt!") for member in MEMBERS)

    sent = await council.press(SECRETARY, preview, "Send til 3")
    for member in MEMBERS:
        await council.tg.wait_for(lambda m, member=member: m.chat_id == member and "Vel mødt!" in text(m))

    assert "sendes nu til 3 modtagere" in text(sent)
    for member in MEMBERS:
        [message] = broadcasts_to(council, member, "Vel mødt!")
        assert "BESKED FRA KKR-SEKRETARIATET" in text(message).upper()
    assert not broadcasts_to(council, SUBSTITUTE, "Vel mødt!")
    assert not broadcasts_to(council, OTHER_SUBSTITUTE, "Vel mødt!")


async def test_send_pressed_twice_sends_once(council: RunningBot) -> None:
    preview = await council.ask(SECRETARY, "/udsend stedfortraedere Husk at svare")

    await council.press(SECRETARY, preview, "Send til 2")
    # The answer to the second press, whether the report that the broadcast is done comes before it or after.
    council.tg.inject_button_press(SECRETARY, preview.message_id, "Send til 2")
    await council.tg.wait_for(lambda m: m.chat_id == OTHER_SUBSTITUTE and "Husk at svare" in text(m))
    await finish(council, 1)

    await council.tg.wait_for(
        lambda m: m.chat_id == SECRETARY and "Udsendelse 1 er allerede sendt; der sendes ikke mere." in text(m)
    )
    assert len(broadcasts_to(council, SUBSTITUTE, "Husk at svare")) == 1
    assert len(broadcasts_to(council, OTHER_SUBSTITUTE, "Husk at svare")) == 1


async def test_cancel_sends_nothing(council: RunningBot) -> None:
    preview = await council.ask(SECRETARY, "/udsend alle Aflyst besked")

    cancelled = await council.press(SECRETARY, preview, "Annuller")
    late_send = await council.press(SECRETARY, preview, "Send til 5")

    assert "Udsendelsen er annulleret; intet blev sendt." in text(cancelled)
    assert "Udsendelsen er allerede annulleret; intet blev sendt." in text(late_send)
    for user in (*MEMBERS, SUBSTITUTE, OTHER_SUBSTITUTE):
        assert not broadcasts_to(council, user, "Aflyst besked")
    async with council.conversation.db.read() as conn:
        [[bulk]] = list(await conn.execute_fetchall("SELECT count(*) FROM outbox WHERE lane = 'bulk'"))
    assert bulk == 0


async def test_a_members_broadcast_is_refused_and_nothing_is_sent(council: RunningBot) -> None:
    refused = await council.ask(MEMBER_1, "/udsend alle Hej alle")

    assert "Det kan kun KKR-sekretariatet" in text(refused)
    async with council.conversation.db.read() as conn:
        [[drafts]] = list(await conn.execute_fetchall("SELECT count(*) FROM broadcasts"))
    assert drafts == 0
    for user in (MEMBER_2, MAYOR, SUBSTITUTE):
        assert not broadcasts_to(council, user, "Hej alle")


async def test_refusals_name_the_reason(council: RunningBot) -> None:
    empty = await council.ask(SECRETARY, "/udsend medlemmer")
    unknown = await council.ask(SECRETARY, "/udsend Odense Hej")
    no_meeting = await council.ask(SECRETARY, "/udsend medlemmer 13.02.2027\nHej")
    nobody = await council.ask(SECRETARY, "/udsend thisted-borgmester Hej")

    assert "Beskeden er tom" in text(empty)
    assert "Jeg kender ikke „Odense“ som modtagere" in text(unknown)
    assert "Der er ikke noget KKR-møde lørdag den 13. februar 2027." in text(no_meeting)
    assert "Ingen af modtagerne er forbundet med botten" in text(nobody)


async def test_several_parties_municipalities_or_people_with_commas_are_one_audience(council: RunningBot) -> None:
    async with council.conversation.db.read() as conn:
        roster = await Roster.load(conn)
    members = roster.members
    a_and_v = [p.id for p in members if p.party in ("A", "V")]

    assert [p.id for p in select_audience(roster, "A,V")] == [p.id for p in members if p.party == "A"] + [
        p.id for p in members if p.party == "V"
    ]
    assert sorted(p.id for p in select_audience(roster, "a, v")) == sorted(a_and_v)
    mixed = select_audience(roster, "Aalborg,a-stedfortraeder-2")
    assert {p.id for p in mixed} == {p.id for p in members if p.municipality == "Aalborg"} | {"a-stedfortraeder-2"}
    with pytest.raises(AudienceError, match=r"^Q$"):
        select_audience(roster, "A,Q")
    preview = await council.ask(SECRETARY, "/udsend A,V Gruppemøde kl. 8.30")
    assert f"Til: medlemmerne fra parti A, medlemmerne fra parti V, {len(a_and_v)} modtagere." in text(preview)
    one = await council.ask(SECRETARY, "/udsend a-medlem-2 Hej")
    assert "Til: Pia Fiktivsen (eksempel), 1 modtager." in text(one)


async def test_a_blocked_member_is_reported_as_blocked_and_acknowledgements_are_counted(council: RunningBot) -> None:
    council.tg.block(MEMBER_2)
    preview = await council.ask(SECRETARY, "/udsend medlemmer 12.02.2027 set\nLæs bilaget før mødet")
    await council.press(SECRETARY, preview, "Send til 3")
    [message] = await council.tg.wait_for(lambda m: m.chat_id == MEMBER_1 and "Læs bilaget" in text(m))
    assert [b["text"] for b in message.buttons[0]] == ["Set", "Vis mødet"]

    thanks = await council.press(MEMBER_1, message, "Set")
    await finish(council, 1)
    [report] = await council.tg.wait_for(lambda m: m.chat_id == SECRETARY and "Udsendelse 1 er færdig" in text(m))
    detail = await council.ask(SECRETARY, "/udsendelser 1")

    assert "sekretariatet kan se" in text(thanks)
    # The report comes when the last message has left (or been given up), before or after the member said Set.
    assert "22 modtagere: 2 leveret, 20 ikke leveret, 0 venter" in text(report)
    assert "har blokeret botten" in text(report)
    assert "ikke forbundet med botten" in text(report)
    assert "Ikke set endnu:\n• " in text(report)
    assert "22 modtagere: 2 leveret, 20 ikke leveret, 0 venter, 1 set" in text(detail)


async def test_a_broadcast_with_a_pdf_reaches_the_audience_with_the_document(council: RunningBot) -> None:
    pdf = b"%PDF-1.4 bilag"
    before = len(council.tg.sent_to(SECRETARY))
    council.tg.inject_document(SECRETARY, "bilag.pdf", pdf, caption="/udsend a Bilag til mødet")
    preview = (await council.tg.wait_for_messages(SECRETARY, before + 1))[-1]
    await council.press(SECRETARY, preview, "Send til 3")
    for member in MEMBERS:
        await council.tg.wait_for(lambda m, member=member: m.chat_id == member and m.method == "sendDocument")

    assert "Dokument: bilag.pdf" in text(preview)
    for member in MEMBERS:  # the party A's members
        [document] = [m for m in council.tg.sent_to(member) if m.method == "sendDocument"]
        assert document.document == ("bilag.pdf", pdf)
        assert "Bilag til mødet" in text(document)
    for substitute in (SUBSTITUTE, OTHER_SUBSTITUTE):
        assert not [m for m in council.tg.sent_to(substitute) if m.method == "sendDocument"]


async def test_an_agenda_change_reaches_the_members_and_the_substitute_who_attends(council: RunningBot) -> None:
    """R-MEET-5: the substitute who accepted to attend in a member's place is concerned by the agenda."""
    choose = await council.ask(MEMBER_1, "/afbud")
    confirm = await council.press(MEMBER_1, choose, "fre. 12. feb. 2027")
    await council.press(MEMBER_1, confirm, "Ja, meld afbud")
    [alert] = await council.tg.wait_for(lambda m: m.chat_id == SUBSTITUTE and "Jeg deltager" in str(m.buttons))
    await council.press(SUBSTITUTE, alert, "Jeg deltager")
    # The secretariat's notice of the answer comes first, so the next answer to the secretary is the agenda's.
    await council.tg.wait_for(lambda m: m.chat_id == SECRETARY and "deltager for" in text(m))

    saved = await council.ask(SECRETARY, "/dagsorden 12.02.2027\n1. Velkomst\n2. Ny sag")
    preview = await council.press(SECRETARY, saved, "Fortæl alle berørte")
    await council.press(SECRETARY, preview, "Send til 4")

    for user in (*MEMBERS, SUBSTITUTE):
        [message] = await council.tg.wait_for(lambda m, user=user: m.chat_id == user and "2. Ny sag" in text(m))
        assert message.buttons[0][0]["callback_data"] == "meetings 2027-02-12"
    assert not broadcasts_to(council, OTHER_SUBSTITUTE, "2. Ny sag")


async def test_a_question_during_a_200_recipient_broadcast_is_answered_before_the_broadcast_ends(
    council: RunningBot,
) -> None:
    """The broadcast is bulk traffic: a member's question overtakes the rest of it (ordering, not timing)."""
    async with council.conversation.db.transaction() as conn:
        crowd = await add_crowd(conn, council.tg, 200, first=900_000)
    preview = await council.ask(SECRETARY, "/udsend stedfortraedere Til de mange")
    await council.press(SECRETARY, preview, "Send til 202")
    await council.tg.wait_for(lambda m: m.chat_id in crowd and "Til de mange" in text(m))

    answer = await council.ask(MEMBER_1, "/naeste")
    await council.tg.wait_for(lambda m: "Til de mange" in text(m), count=202, timeout=60)

    last_broadcast = max(i for i, m in enumerate(council.tg.sent) if "Til de mange" in text(m))
    assert council.tg.sent.index(answer) < last_broadcast
    assert "NÆSTE MØDE" in text(answer).upper()


ENGLISH_SECRETARY = 4007  # sekretariat-2 writes in English (the roster's language for them)


async def test_the_bots_own_words_in_an_agenda_broadcast_are_in_each_recipients_language(council: RunningBot) -> None:
    """The heading the bot writes itself goes out in the reader's language, whoever sends it; the
    secretariat's own lines stay as written."""
    await council.bind(ENGLISH_SECRETARY, "sekretariat-2", language="en")
    await council.ask(MEMBER_2, "/sprog en")

    saved = await council.ask(ENGLISH_SECRETARY, "/agenda 12.02.2027\n1. Budget", language="en")
    preview = await council.press(ENGLISH_SECRETARY, saved, "Tell everyone concerned")
    await council.press(ENGLISH_SECRETARY, preview, "Send to 3")
    [danish] = await council.tg.wait_for(lambda m: m.chat_id == MEMBER_1 and "1. Budget" in text(m))
    [english] = await council.tg.wait_for(lambda m: m.chat_id == MEMBER_2 and "1. Budget" in text(m))

    assert "BESKED FRA KKR-SEKRETARIATET" in text(danish).upper()
    assert "Dagsordenen til mødet fredag den 12. februar 2027" in text(danish)
    assert "The agenda" not in text(danish)
    assert "MESSAGE FROM THE KKR SECRETARIAT" in text(english).upper()
    assert "The agenda for the meeting Friday 12 February 2027" in text(english)

    changed = await council.ask(SECRETARY, "/dagsorden 12.02.2027\n1. Budget\n2. Ny sag")
    preview = await council.press(SECRETARY, changed, "Fortæl alle berørte")
    await council.press(SECRETARY, preview, "Send til 3")
    [danish] = await council.tg.wait_for(lambda m: m.chat_id == MEMBER_1 and "2. Ny sag" in text(m))
    [english] = await council.tg.wait_for(lambda m: m.chat_id == MEMBER_2 and "2. Ny sag" in text(m))

    assert "Dagsordenen til mødet fredag den 12. februar 2027 kl. 10.00–12.00 er ændret." in text(danish)
    assert "The agenda for the meeting Friday 12 February 2027, 10:00–12:00 has changed." in text(english)
    assert "Dagsordenen" not in text(english)

    # The sender's delivery report may come in between, so the lists are found by their titles.
    council.tg.inject_message(SECRETARY, "/udsendelser", language_code="da")
    council.tg.inject_message(ENGLISH_SECRETARY, "/broadcasts", language_code="en")
    [listed_da] = await council.tg.wait_for(lambda m: m.chat_id == SECRETARY and "Seneste udsendelser" in text(m))
    [listed_en] = await council.tg.wait_for(lambda m: m.chat_id == ENGLISH_SECRETARY and "Recent broadcasts" in text(m))
    assert "medlemmer og stedfortrædere, der deltager" in text(listed_da)
    assert "members and substitutes who attend" not in text(listed_da)
    assert "members and substitutes who attend" in text(listed_en)
    assert "medlemmer og stedfortrædere" not in text(listed_en)


def test_options_are_read_only_when_the_first_line_holds_nothing_else() -> None:
    """/udsend's rule: the words after the audience are options only when all of them are; otherwise they are
    the message as written, so no word of it is lost to an option."""
    assert read_options(["set", "fra", "KL", "er", "mødet", "vigtigt"], "", "set fra KL er mødet vigtigt") == (
        [],
        False,
        "set fra KL er mødet vigtigt",
    )
    assert read_options(["12.02", "er", "aflyst"], "", "12.02 er aflyst") == ([], False, "12.02 er aflyst")
    assert read_options(["12.02.2027", "set"], "Læs bilaget", "12.02.2027 set\nLæs bilaget") == (
        ["12.02.2027"],
        True,
        "Læs bilaget",
    )
    assert read_options(["set", "12.", "feb"], "Hej", "set 12. feb\nHej") == (["12.", "feb"], True, "Hej")
    assert read_options(["31/2"], "Hej", "31/2\nHej") == (["31/2"], False, "Hej")
    assert read_options([], "Hej\nalle", "Hej\nalle") == ([], False, "Hej\nalle")


async def test_words_of_the_message_are_never_taken_for_options(council: RunningBot) -> None:
    seen_word = await council.ask(SECRETARY, "/udsend medlemmer set fra KL er mødet vigtigt")
    date_word = await council.ask(SECRETARY, "/udsend Aalborg 12.02 er aflyst")

    assert "set fra KL er mødet vigtigt" in text(seen_word)
    assert "Modtagerne bliver bedt om at trykke" not in text(seen_word)
    assert "12.02 er aflyst" in text(date_word)
    assert "Om mødet" not in text(date_word)
    assert "Til: medlemmerne fra Aalborg, 4 modtagere." in text(date_word)


async def test_an_unreadable_date_gets_the_date_parsers_answer_and_a_meeting_button_continues(
    council: RunningBot,
) -> None:
    refused = await council.ask(SECRETARY, "/udsend medlemmer 31/2\nHusk bilaget")

    assert "31. februar findes ikke. Skriv fx /udsend medlemmer 12.02, eller vælg et møde." in text(refused)
    first = refused.buttons[0][0]
    assert first["callback_data"].startswith("broadcast meeting 1 ")
    preview = await council.press(SECRETARY, refused, first["text"])
    assert "Forhåndsvisning af udsendelsen" in text(preview)
    assert "Om mødet" in text(preview)
    assert "Husk bilaget" in text(preview)


async def test_the_broadcast_screens_show_names_and_audiences_in_words(council: RunningBot) -> None:
    named = await council.ask(SECRETARY, "/udsend a-medlem-2,aalborg-borgmester\nHej")
    substitutes = await council.ask(SECRETARY, "/udsend stedfortraedere\nHusk bilaget til mødet")
    await council.press(SECRETARY, substitutes, "Send til 2")
    # The delivery report may come in between, so the lists are found by their title.
    council.tg.inject_message(SECRETARY, "/udsendelser", language_code="da")
    [listed] = await council.tg.wait_for(lambda m: m.chat_id == SECRETARY and "Seneste udsendelser" in text(m))
    council.tg.inject_message(SECRETARY, "/udsendelser xyz", language_code="da")
    [_listed, not_understood] = await council.tg.wait_for(
        lambda m: m.chat_id == SECRETARY and "Seneste udsendelser" in text(m), count=2
    )

    assert "Til: Pia Fiktivsen (eksempel), Camilla Demoholm (eksempel), 2 modtagere." in text(named)
    assert "a-medlem-2" not in text(named)
    assert "Til: stedfortrædere, " in text(substitutes)
    assert "stedfortraedere" not in text(substitutes)
    [[button]] = listed.buttons
    # The first preview was never sent, so the one sent is number 1 (issue 23).
    assert button["callback_data"] == "broadcasts 1"
    assert button["text"].startswith("1. ")
    assert "Husk bilaget" in button["text"]
    assert "Jeg forstod ikke „xyz“" in text(not_understood)
    assert "Husk bilaget til mødet" in text(not_understood)
