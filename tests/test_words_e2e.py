"""Issue #10 items 2, 5, 6 and 8, end to end through the real Application and the fake Bot API: dates as
people write them, help and menus by role, one kind of answer to bad input with the next step as buttons,
and the text fixes."""

from __future__ import annotations

import pytest

from tests.conftest import RunningBot
from tests.transcripts import Said, Transcript

MEMBER, MAYOR, SUBSTITUTE, SECRETARY = 4001, 4002, 4003, 4004
PEOPLE = {
    MEMBER: "a-medlem-2",
    MAYOR: "aalborg-borgmester",
    SUBSTITUTE: "a-stedfortraeder-2",
    SECRETARY: "sekretariat-1",
}
COMING = ["fre. 12. feb. 2027", "fre. 23. apr. 2027", "fre. 25. jun. 2027", "fre. 10. sep. 2027", "fre. 26. nov. 2027"]


@pytest.fixture
async def council(kkrbot: RunningBot) -> Transcript:
    for user, person in PEOPLE.items():
        await kkrbot.bind(user, person)
    return Transcript(kkrbot)


def labels(said: Said) -> list[str]:
    return said.labels()


# --- item 2: one date parser ------------------------------------------------------------------------------


@pytest.mark.parametrize("written", ["12/2", "12.2", "12.02", "12. februar", "12 feb", "12.02.27", "12/2-2027"])
async def test_afbud_reads_the_dates_members_write(council: Transcript, written: str) -> None:
    confirm = await council.say(MEMBER, f"/afbud {written}")

    assert "Vil du melde afbud til mødet fredag den 12. februar 2027" in confirm.text


async def test_the_secretariats_commands_read_the_same_dates(council: Transcript) -> None:
    attendance = await council.say(SECRETARY, "/fremmoede 12.2")
    minutes = await council.say(SECRETARY, "/referat 20. nov")
    agenda = await council.say(SECRETARY, "/dagsorden 12. feb 1. Velkomst")

    assert "fredag den 12. februar 2027" in attendance.text
    assert "fredag den 20. november 2026" in minutes.text
    assert "Dagsordenen til fredag den 12. februar 2027" in agenda.text


@pytest.mark.parametrize(
    ("user", "command"),
    [(MEMBER, "/afbud"), (SECRETARY, "/fremmoede"), (SECRETARY, "/referat"), (SECRETARY, "/dagsorden")],
)
async def test_what_is_not_a_date_gets_one_answer_with_the_meetings_as_buttons(
    council: Transcript, user: int, command: str
) -> None:
    answer = await council.say(user, f"{command} xyz")

    assert f"Jeg kan ikke læse „xyz“ som en dato. Skriv fx {command} 12.02, eller vælg et møde." in answer.text
    assert "fre. 12. feb. 2027" in labels(answer)


# --- item 5: help and menus by role -------------------------------------------------------------------------


async def test_help_lists_only_what_each_role_can_use(council: Transcript) -> None:
    member = await council.say(MEMBER, "/hjaelp")
    substitute = await council.say(SUBSTITUTE, "/hjaelp")
    secretariat = await council.say(SECRETARY, "/hjaelp")

    assert "/afbud" in member.text
    assert "/fortryd" in member.text
    assert "/fremmoede" not in member.text
    assert "/afbud" not in substitute.text
    assert "/fortryd" not in substitute.text
    assert "/stedfortraeder" in substitute.text
    for absent in ("/afbud", "/fortryd", "/stedfortraeder"):
        assert absent not in secretariat.text
    assert "/fremmoede" in secretariat.text
    assert "Min stedfortræder" not in labels(secretariat)
    assert "Meld afbud" not in labels(substitute)
    assert "Meld afbud" in labels(member)


async def test_each_chats_menu_has_only_its_persons_commands(council: Transcript) -> None:
    await council.say(SECRETARY, "/hjaelp")  # updates are handled in order: the last binding's menus are set
    menus = council.bot.tg.commands

    def menu(user: int, language: str) -> set[str]:
        return {c["command"] for c in menus[(f"chat:{user}", language)]}

    assert {"afbud", "fortryd"} <= menu(MEMBER, "da")
    assert not {"afbud", "fortryd"} & menu(SUBSTITUTE, "da")
    assert not {"afbud", "fortryd", "stedfortraeder"} & menu(SECRETARY, "da")
    assert {"attendance", "minutes"} <= menu(SECRETARY, "en")
    assert "absent" not in menu(SUBSTITUTE, "en")


# --- item 6: bad input answered the same way, with the next step -------------------------------------------


async def test_an_impossible_date_with_the_month_first_is_said_not_to_exist(council: Transcript) -> None:
    """ "feb 31" is read as one date, as "February 12" is, and refused as no such day, not as "feb" unreadable."""
    answer = await council.say(MEMBER, "/moeder feb 31")

    assert answer.text.startswith("31. februar findes ikke.")
    assert "„feb“" not in answer.text


async def test_an_impossible_date_for_the_minutes_offers_the_meetings(council: Transcript) -> None:
    answer = await council.say(SECRETARY, "/referat 31.02.2027")

    assert "31. februar 2027 findes ikke." in answer.text
    assert "fre. 20. nov. 2026" in labels(answer)  # the meeting just held: its minutes are written now
    assert "fre. 12. feb. 2027" in labels(answer)


async def test_an_agenda_for_a_day_without_a_meeting_says_so(council: Transcript) -> None:
    answer = await council.say(SECRETARY, "/dagsorden 13.02.2027 Ingen")

    assert "Der er ikke noget KKR-møde lørdag den 13. februar 2027." in answer.text
    assert labels(answer)[:2] == COMING[:2]


async def test_an_unknown_command_says_so_and_offers_the_main_commands(council: Transcript) -> None:
    answer = await council.say(MEMBER, "/foo")

    assert "Jeg kender ikke kommandoen /foo" in answer.text
    assert {"Næste møde", "Alle møder", "Meld afbud", "Min stedfortræder"} <= set(labels(answer))


async def test_free_text_offers_the_main_commands_in_the_persons_language(council: Transcript) -> None:
    answer = await council.say(SECRETARY, "9")

    assert "Jeg forstår kommandoer som /naeste" in answer.text
    assert "Fremmøde" in labels(answer)
    assert "Min stedfortræder" not in labels(answer)


async def test_a_meeting_already_held_without_an_agenda_is_not_said_to_be_waiting_for_one(
    council: Transcript,
) -> None:
    held = await council.say(MEMBER, "/moeder 20.11.2026")  # the clock stands at 23 November 2026
    coming = await council.say(MEMBER, "/moeder 12.02.2027")

    assert "Der blev ikke udsendt nogen dagsorden gennem botten." in held.text
    assert "endnu" not in held.text
    assert "Dagsordenen er ikke udsendt endnu." in coming.text


async def test_withdrawing_by_date_withdraws_that_meetings_notice_and_anything_else_offers_the_own_notices(
    council: Transcript,
) -> None:
    nothing_yet = await council.say(MEMBER, "/fortryd 12.02")
    await council.say(MEMBER, "/afbud 12.02.2027 ok")
    await council.say(MEMBER, "/afbud 23.04.2027 ok")
    by_word = await council.say(MEMBER, "/fortryd det")
    by_date = await council.say(MEMBER, "/fortryd 12/2")
    left = await council.say(MEMBER, "/fortryd")

    assert nothing_yet.text == "Jeg kan ikke finde det afbud. Du har ikke meldt afbud til et kommende møde."
    assert by_word.text == "Jeg kan ikke finde det afbud. Hvilket afbud vil du trække tilbage?"
    assert labels(by_word) == ["fre. 12. feb. 2027", "fre. 23. apr. 2027"]
    assert "fredag den 12. februar 2027" in by_date.text
    assert "Jeg kan ikke finde" not in by_date.text
    assert labels(left) == ["fre. 23. apr. 2027"]


async def test_a_cancelled_broadcast_takes_no_number_and_shows_no_recipients_waiting(council: Transcript) -> None:
    await council.say(SECRETARY, "/udsend medlemmer Husk mødet")
    cancelled = await council.press(SECRETARY, "Annuller")
    shown = await council.say(SECRETARY, "/udsendelser 1")

    assert cancelled.text == "Udsendelsen er annulleret; intet blev sendt."
    assert "Jeg kan ikke finde den udsendelse." in shown.text
    assert "venter" not in shown.text


async def test_a_meeting_change_with_a_wrong_date_quotes_the_date_and_shows_the_change_as_the_example(
    council: Transcript,
) -> None:
    wrong = await council.say(SECRETARY, "/moede flyt 31.02.2027 13:00-15:00 Hjørring")
    none = await council.say(SECRETARY, "/moede aflys")

    assert wrong.text == "31. februar 2027 findes ikke. Skriv fx /moede flyt 12.02, eller vælg et møde."
    assert none.text == "Hvilket møde? Skriv fx /moede aflys 12.02, eller vælg et."
    assert labels(none) == COMING
    extra = await council.say(SECRETARY, "/moede ekstra 31.02.2027 10:00-12:00 Aalborg")
    assert extra.text == "31. februar 2027 findes ikke. Skriv fx /moede ekstra 05.03.2027 10:00-12:00 Aalborg."
    unreadable = await council.say(SECRETARY, "/moede ekstra fisk 10:00-12:00 Aalborg")
    assert unreadable.text.startswith("Jeg kan ikke læse „fisk“ som en dato.")


async def test_a_forum_id_in_capitals_is_taken_in_lower_case_and_a_wrong_one_is_said_to_be_wrong(
    council: Transcript,
) -> None:
    empty = await council.say(SECRETARY, "/forum")
    capitals = await council.say(SECRETARY, "/forum ny F1 3 Testforum")
    wrong = await council.say(SECRETARY, "/forum ny trafik/vej 3 Trafikforum")
    listed = await council.say(SECRETARY, "/forum")

    assert empty.text.startswith("Regionale fora\n\nDer er ikke oprettet nogen fora endnu.")
    assert "/forum liste f1 GRUPPE" in capitals.text
    assert wrong.text.startswith("Et forums id er ét ord af bogstaverne a-z, tal og bindestreger, højst 32")
    assert "f1: Testforum, 3 pladser, åben" in listed.text
    lot = await council.say(SECRETARY, "/forum lod f1 c-medlem-1")
    assert lot.text.startswith("Ingen gruppe har registreret en liste endnu")  # not the reason code no_parties


async def test_composition_of_another_period_says_which_period_it_shows(council: Transcript) -> None:
    answer = await council.say(MEMBER, "/sammensaetning 2022")

    assert "Jeg kender kun valgperioden 2026-2030; her er dens sammensætning." in answer.text
    assert "Sammensætning 2026-2030" in answer.text


async def test_words_after_kanal_that_name_no_channel_of_the_person_are_said_to_be_so(council: Transcript) -> None:
    unknown = await council.say(MEMBER, "/kanal due")
    not_connected = await council.say(MEMBER, "/kanal teams")

    assert unknown.text.startswith("Jeg kender ikke kanalen „due“. Dine beskeder sendes til alle de kanaler")
    assert not_connected.text.startswith("Du er ikke forbundet på Microsoft Teams. Dine beskeder sendes til alle")


async def test_words_after_formandsvalg_are_not_ignored_in_silence(council: Transcript) -> None:
    member = await council.say(MEMBER, "/formandsvalg nu")
    secretary = await council.say(SECRETARY, "/formandsvalg nu")

    assert member.answers[0].plain_text == "Der skrives intet efter /formandsvalg. Her er status for valget."
    # 23 November 2026: the chair was elected on 23 January 2026 (R-PER-1), and nobody has recorded whom.
    assert "valget er ikke registreret i botten" in member.text
    assert secretary.answers[0].plain_text == (
        "Efter /formandsvalg skrives kun et lod, når stemmelighed kræver det (/formandsvalg lod GRUPPE), eller "
        "registreringen af de valgte (/formandsvalg registrer FORMAND-ID NÆSTFORMAND-ID). Her er, hvordan valget står."
    )
    assert "formandsposten til A" in secretary.text


@pytest.mark.parametrize(
    ("user", "command", "refusal"),
    [
        (SUBSTITUTE, "/afbud", "Det kan kun medlemmer af KKR; stedfortrædere får besked"),
        (SECRETARY, "/fortryd", "Det kan kun medlemmer af KKR."),
        (MEMBER, "/fremmoede", "Det kan kun KKR-sekretariatet"),
        (SECRETARY, "/stedfortraeder", "Kun medlemmer og stedfortrædere har en stedfortræder"),
    ],
)
async def test_a_refusal_by_role_offers_what_the_person_can_do(
    council: Transcript, user: int, command: str, refusal: str
) -> None:
    answer = await council.say(user, command)

    assert refusal in answer.text
    assert "Næste møde" in labels(answer)


# --- item 8: text -------------------------------------------------------------------------------------------


async def test_r_mem_2_the_mayor_is_told_the_2nd_viceborgmester_substitutes_and_why(council: Transcript) -> None:
    answer = await council.say(MAYOR, "/stedfortraeder")

    assert (
        "Som borgmester er din stedfortræder Nanna Attrapgaard (eksempel), 2. viceborgmester i Aalborg (V). "
        "1. viceborgmester, Nina Prøvegaard (eksempel), er selv medlem af KKR, så 2. viceborgmester er din "
        "stedfortræder (udledt: kilderne nævner kun viceborgmesteren" in answer.text
    )


async def test_no_role_word_is_appended_after_the_party(council: Transcript) -> None:
    welcome = council.bot.tg.sent_to(MAYOR)[0].plain_text or ""
    substitute = await council.say(SUBSTITUTE, "/stedfortraeder")

    assert "registreret som medlem som borgmester i Aalborg (A)." in welcome
    assert "(A), medlem" not in welcome
    assert substitute.text.count("stedfortræder") == 1  # "Du er stedfortræder for Pia … (A, Hjørring)."


async def test_a_sentence_starts_with_a_capital_even_with_a_danish_date(council: Transcript) -> None:
    answer = await council.say(MEMBER, "/afbud 1.1.2031")

    assert answer.text.startswith("Onsdag den 1. januar 2031 ligger uden for")


@pytest.mark.parametrize(("word", "answer"), [("dansk", "dansk"), ("english", "English"), ("engelsk", "English")])
async def test_languages_by_their_names(council: Transcript, word: str, answer: str) -> None:
    said = await council.say(MEMBER, f"/sprog {word}")

    assert answer in said.text


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("M", "M – Moderaterne har ingen medlemmer af KKR i denne periode."),
        ("laeso", "Læsø (1)"),
        ("venstre", "V – Venstre (8)"),
        ("aalborg kommune", "Aalborg (4)"),
    ],
)
async def test_members_by_party_name_and_municipality_written_freely(
    council: Transcript, query: str, shown: str
) -> None:
    answer = await council.say(MEMBER, f"/medlemmer {query}")

    assert shown in answer.text


async def test_danish_commands_with_their_danish_letters(council: Transcript) -> None:
    for typed in ("/næste", "/møder", "/hjælp", "/sammensætning"):
        answer = await council.say(MEMBER, typed)
        assert "kender ikke kommandoen" not in answer.text, typed


async def test_the_afbud_picker_pages_through_all_coming_meetings(council: Transcript) -> None:
    first = await council.say(MEMBER, "/afbud")
    second = await council.press(MEMBER, "Flere møder")

    assert labels(first) == [*COMING, "Flere møder"]
    assert labels(second)[0] == "fre. 11. feb. 2028"


async def test_a_withdrawal_tells_the_secretariat_the_quorum(council: Transcript) -> None:
    await council.say(MEMBER, "/afbud 12.2")
    await council.press(MEMBER, "Ja, meld afbud")
    withdrawn = await council.press(MEMBER, "Fortryd afbud")

    notice = [m for m in withdrawn.others if m.chat_id == SECRETARY]
    assert "Forventet fremmøde: 22 af 22; beslutningsdygtighed kræver 11." in (notice[0].plain_text or "")


async def test_r_meet_2_the_next_councils_constituent_meeting_is_refused_with_the_reason(council: Transcript) -> None:
    answer = await council.say(MEMBER, "/afbud 25.01.2030")

    assert "Det konstituerende møde fredag den 25. januar 2030" in answer.text
    assert "næste KKR's første møde" in answer.text
    assert "fre. 12. feb. 2027" in labels(answer)
    picker = await council.say(MEMBER, "/afbud more 15")
    assert "fre. 25. jan. 2030" not in labels(picker)
