"""End to end, through the real Application and the fake Bot API: valgforbund, the chair election, regional
fora, Erhvervshus nominations and a member who leaves (issue #11; R-ELEC-1..7, R-EHUS-2, R-MEM-5).

The clock is moved to the days before the period's constituent meeting of Friday 23 January 2026: the deadline for a
valgforbund is three hverdage before, Tuesday 20 January 2026 (R-ELEC-4). (The one of 25 January 2030 is the next
council's, R-PER-1: tests/test_period_e2e.py.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.storage.db import first_row, rows
from tests.conftest import COPENHAGEN, RunningBot

SECRETARY = 2001
MAYOR = 2002  # aalborg-borgmester, A
MEMBER = 2003  # a-medlem-2, A
OTHER = 2004  # b-medlem-1, B
VENSTRE = 2007  # thisted-borgmester, V

ON_TIME = datetime(2026, 1, 19, 9, 0, tzinfo=COPENHAGEN)  # Monday, the day before the deadline
ONE_WORKING_DAY_LATE = datetime(2026, 1, 21, 9, 0, tzinfo=COPENHAGEN)  # Wednesday
AFTER_THE_DEADLINE = ONE_WORKING_DAY_LATE  # no valgforbund can come any more: the chair election can be stored


async def setup(kkrbot: RunningBot, now: datetime) -> None:
    kkrbot.clock.now = now
    await kkrbot.bind(SECRETARY, "sekretariat-1")
    await kkrbot.bind(MAYOR, "aalborg-borgmester")
    await kkrbot.bind(MEMBER, "a-medlem-2")
    await kkrbot.bind(OTHER, "b-medlem-1")
    await kkrbot.bind(VENSTRE, "thisted-borgmester")


def text(message: Any) -> str:
    return str(message.plain_text or "")


async def stored(kkrbot: RunningBot, sql: str) -> list[Any]:
    async with kkrbot.conversation.db.read() as conn:
        return list(await rows(conn, sql))


async def notify(kkrbot: RunningBot, user: int, parties: str) -> None:
    """A valgforbund notified in time; returns once the secretariat has been told, so that message cannot be taken
    for the answer to the secretariat's next question."""
    before = len(kkrbot.tg.sent_to(SECRETARY))
    await kkrbot.ask(user, f"/valgforbund {parties}")
    await kkrbot.tg.wait_for_messages(SECRETARY, before + 1)


async def approve_all(kkrbot: RunningBot) -> None:
    for (notice_id,) in await stored(kkrbot, "SELECT id FROM valgforbund WHERE status = 'pending'"):
        await kkrbot.ask(SECRETARY, f"/valgforbund godkend {notice_id}")


async def recorded(kkrbot: RunningBot, line: str, secretary: int = SECRETARY) -> Any:
    """A round, list or departure typed by the secretariat: its preview, then Send; a refusal comes at once, with
    no Send."""
    preview = await kkrbot.ask(secretary, line)
    if "Intet registreres, før du trykker Send" not in text(preview):
        return preview
    return await kkrbot.press(secretary, preview, "Send")


def kkrcore_json(*args: str) -> Any:
    found = subprocess.run(
        [sys.executable, "-m", "kkrcore", *args, "--json"], capture_output=True, text=True, check=True
    )
    return json.loads(found.stdout)


async def test_r_elec_4_a_valgforbund_notified_one_working_day_too_late_is_refused_with_the_deadline(
    kkrbot: RunningBot,
) -> None:
    await setup(kkrbot, ONE_WORKING_DAY_LATE)

    answer = await kkrbot.ask(MAYOR, "/valgforbund A+F+B+Ø")

    assert "20. januar 2026" in text(answer)
    assert "tre hverdage før det konstituerende møde" in text(answer)
    assert "R-ELEC" not in text(answer)  # no rule ids in Danish chat texts
    assert await stored(kkrbot, "SELECT * FROM valgforbund") == []


async def test_r_elec_4_a_valgforbund_in_time_is_approved_by_the_secretariat_and_seen_by_everyone(
    kkrbot: RunningBot,
) -> None:
    await setup(kkrbot, ON_TIME)

    answer = await kkrbot.ask(MAYOR, "/valgforbund A, F B,Ø", count=1)  # commas and spaces read as +
    assert "A+F+B+Ø" in text(answer)
    notice = (await kkrbot.tg.wait_for_messages(SECRETARY, 2))[-1]
    assert "A+F+B+Ø" in text(notice)
    before = len(kkrbot.tg.sent_to(MAYOR))
    await kkrbot.press(SECRETARY, notice, "KKR godkendte A+F+B+Ø")
    told = (await kkrbot.tg.wait_for_messages(MAYOR, before + 1))[-1]
    assert "godkendt" in text(told)

    listing = await kkrbot.ask(OTHER, "/valgforbund")
    assert "Godkendt af KKR: A+F+B+Ø" in text(listing)


async def test_r_elec_2_a_party_in_two_valgforbund_is_refused(kkrbot: RunningBot) -> None:
    await setup(kkrbot, ON_TIME)
    await notify(kkrbot, MAYOR, "A+F")

    answer = await kkrbot.ask(OTHER, "/valgforbund B+F")

    assert "F" in text(answer)
    assert "kun være med i ét valgforbund" in text(answer)
    assert "20. januar 2026" in text(answer)
    assert [row[0] for row in await stored(kkrbot, "SELECT parties FROM valgforbund")] == ["A+F"]


async def test_a_valgforbund_is_notified_for_ones_own_party_with_each_party_once_and_known_letters(
    kkrbot: RunningBot,
) -> None:
    await setup(kkrbot, ON_TIME)

    others = await kkrbot.ask(OTHER, "/valgforbund V+C+I+O+Æ")
    twice = await kkrbot.ask(OTHER, "/valgforbund B+B")
    unknown = await kkrbot.ask(OTHER, "/valgforbund xyz")

    assert "dit eget parti, B," in text(others)
    assert "B er nævnt to gange" in text(twice)
    assert "XYZ er ikke et partibogstav" in text(unknown)
    assert await stored(kkrbot, "SELECT * FROM valgforbund") == []


async def test_r_elec_2_a_party_under_two_percent_cannot_form_a_valgforbund(kkrbot: RunningBot) -> None:
    await setup(kkrbot, ON_TIME)

    answer = await kkrbot.ask(MAYOR, "/valgforbund A+M")

    assert "M" in text(answer)
    assert "under 2 %" in text(answer)
    assert "M kan ikke deltage" in text(answer)
    assert "R-ELEC" not in text(answer)


async def test_r_elec_3_a_tie_for_the_chair_is_settled_by_the_recorded_lot_and_then_stored(kkrbot: RunningBot) -> None:
    # A+O = 27.6 + 4.1 and V+I+Ø = 23.1 + 4.9 + 3.7: both 31.7 % of the votes, equal first quotients.
    await setup(kkrbot, ON_TIME)
    await notify(kkrbot, MAYOR, "A+O")
    await notify(kkrbot, VENSTRE, "V+I+Ø")
    await approve_all(kkrbot)
    kkrbot.clock.now = AFTER_THE_DEADLINE

    member_view = await kkrbot.ask(MEMBER, "/formandsvalg")
    assert "Dorte Fiktivsen (eksempel)" in text(member_view)  # the roster's longest-serving mayor (R-MEET-2)
    assert "Mikael Klitgaard" not in text(member_view)
    tie = await kkrbot.ask(SECRETARY, "/formandsvalg")
    assert "A+O og V+I+Ø har samme kvotient (317,0)" in text(tie)
    assert "lod" in text(tie)
    assert await stored(kkrbot, "SELECT * FROM chair_elections") == []

    result = await kkrbot.press(SECRETARY, tie, "Lod: V+I+Ø")  # the button carries the place among the tied

    assert "Formandsposten: V+I+Ø" in text(result)
    assert "Næstformandsposten: A+O" in text(result)
    (row,) = await stored(kkrbot, "SELECT result FROM chair_elections")
    saved = json.loads(row[0])
    assert (saved["chair"], saved["vice_chair"]) == ("V+I+Ø", "A+O")
    assert saved["ties"][0]["decided_by"] == "lot_recorded"
    # The meeting's reminder may come in between (the clock is days before it), so wait for the answer itself.
    kkrbot.tg.inject_message(MEMBER, "/formandsvalg", language_code="da")
    await kkrbot.tg.wait_for(lambda message: message.chat_id == MEMBER and "Formandsposten: V+I+Ø" in text(message))


async def test_r_elec_3_the_stored_chair_election_equals_the_kkrcore_cli(kkrbot: RunningBot) -> None:
    await setup(kkrbot, ON_TIME)
    await notify(kkrbot, VENSTRE, "V+C+I+O+Æ")
    await notify(kkrbot, MAYOR, "A+F+B+Ø")
    await approve_all(kkrbot)
    kkrbot.clock.now = AFTER_THE_DEADLINE

    await kkrbot.ask(SECRETARY, "/formandsvalg")

    (row,) = await stored(kkrbot, "SELECT result FROM chair_elections")
    cli = kkrcore_json("chair-election", "--alliance", "V+C+I+O+Æ", "--alliance", "A+F+B+Ø")
    assert json.loads(row[0]) == cli
    assert (cli["chair"], cli["vice_chair"]) == ("V+C+I+O+Æ", "A+F+B+Ø")


async def test_r_elec_4_before_the_deadline_or_with_a_notice_undecided_the_chair_election_is_a_preview(
    kkrbot: RunningBot,
) -> None:
    await setup(kkrbot, ON_TIME)
    await notify(kkrbot, VENSTRE, "V+C+I+O+Æ")
    await approve_all(kkrbot)

    early = await kkrbot.ask(SECRETARY, "/formandsvalg")
    assert "tirsdag den 20. januar 2026" in text(early)
    assert "Formandsposten: V+C+I+O+Æ" in text(early)
    await notify(kkrbot, MAYOR, "A+F+B+Ø")
    kkrbot.clock.now = AFTER_THE_DEADLINE
    undecided = await kkrbot.ask(SECRETARY, "/formandsvalg")
    assert "1 anmeldelse" in text(undecided)
    assert await stored(kkrbot, "SELECT * FROM chair_elections") == []

    await approve_all(kkrbot)
    final = await kkrbot.ask(SECRETARY, "/formandsvalg")
    assert "Formandsposten: V+C+I+O+Æ" in text(final)
    assert "Næstformandsposten: A+F+B+Ø" in text(final)
    assert len(await stored(kkrbot, "SELECT * FROM chair_elections")) == 1


async def test_r_elec_5_a_flertalsvalg_is_decided_in_round_2_by_the_single_candidate_rule(
    kkrbot: RunningBot, tmp_path: Path
) -> None:
    await setup(kkrbot, ON_TIME)
    await kkrbot.ask(SECRETARY, "/forum ny trafik 1 Trafikforum")

    first = await recorded(kkrbot, "/forum stemmer trafik 22 a-medlem-2=10 b-medlem-1=8")
    assert "runde 2" in text(first)
    second = await recorded(kkrbot, "/forum stemmer trafik 22 a-medlem-2=10")

    assert "runde 2" in text(second)
    assert "Trafikforum" in text(second)
    (row,) = await stored(kkrbot, "SELECT result FROM fora WHERE id = 'trafik'")
    votes = tmp_path / "rounds.json"
    rounds = [
        {"present": 22, "votes": {"a-medlem-2": 10, "b-medlem-1": 8}},
        {"present": 22, "votes": {"a-medlem-2": 10}},
    ]
    votes.write_text(json.dumps({"rounds": rounds}))
    assert json.loads(row[0]) == kkrcore_json("majority", "--votes", str(votes))
    assert json.loads(row[0])["reason"] == "elected_as_only_candidate"
    mine = await kkrbot.ask(MEMBER, "/udpegninger")
    assert "Trafikforum" in text(mine)
    secretariat = await kkrbot.ask(SECRETARY, "/udpegninger")  # appointed to none itself: everyone's
    assert "Trafikforum" in text(secretariat)


async def test_r_elec_5_each_round_of_a_flertalsvalg_is_judged_against_the_members_present_at_it(
    kkrbot: RunningBot,
) -> None:
    # Round 1: 11 of 22 present is no majority. Round 2: 20 present, so 11 is one. Round 1 is not judged again
    # with round 2's 20 present (which would call it decided in round 1).
    await setup(kkrbot, datetime(2026, 3, 10, 10, 0, tzinfo=COPENHAGEN))  # no reminder due that day
    await kkrbot.ask(SECRETARY, "/forum ny trafik 1 Trafikforum")

    first = await recorded(kkrbot, "/forum stemmer trafik 22 a-medlem-2=11 b-medlem-1=9")
    assert "runde 2" in text(first)
    second = await recorded(kkrbot, "/forum stemmer trafik 20 a-medlem-2=11 b-medlem-1=9")

    assert "Pia Fiktivsen (eksempel) er udpeget til Trafikforum i runde 2" in text(second)
    assert [row[0] for row in await stored(kkrbot, "SELECT present FROM forum_rounds ORDER BY round")] == [22, 20]
    (row,) = await stored(kkrbot, "SELECT result FROM fora WHERE id = 'trafik'")
    assert (json.loads(row[0])["round"], json.loads(row[0])["majority"]) == (2, 11)


async def test_r_elec_5_a_flertalsvalg_that_needs_round_3_between_the_two_leaders_of_round_2(
    kkrbot: RunningBot,
) -> None:
    await setup(kkrbot, ON_TIME)
    await kkrbot.ask(SECRETARY, "/forum ny sundhed 1 Sundhedsforum")
    await recorded(kkrbot, "/forum stemmer sundhed 22 c-medlem-1=9 a-medlem-2=8 b-medlem-1=5")

    runoff = await recorded(kkrbot, "/forum stemmer sundhed 22 a-medlem-2=10 c-medlem-1=8 b-medlem-1=4")
    assert "Runde 3" in text(runoff)
    outsider = await recorded(kkrbot, "/forum stemmer sundhed 22 b-medlem-1=12")
    assert "runde 2" in text(outsider)
    decided = await recorded(kkrbot, "/forum stemmer sundhed 22 c-medlem-1=11 a-medlem-2=10")

    assert "runde 3" in text(decided)
    assert [row[0] for row in await stored(kkrbot, "SELECT person_id FROM appointments")] == ["c-medlem-1"]


async def test_r_elec_5_a_tie_in_round_3_is_settled_by_the_lot_button_naming_the_candidate(kkrbot: RunningBot) -> None:
    await setup(kkrbot, ON_TIME)
    await kkrbot.ask(SECRETARY, "/forum ny miljoe 1 Miljøforum")
    await recorded(kkrbot, "/forum stemmer miljoe 5 a-medlem-1=2 b-medlem-1=2 c-medlem-1=1")
    await recorded(kkrbot, "/forum stemmer miljoe 5 a-medlem-1=2 b-medlem-1=2")

    tie = await recorded(kkrbot, "/forum stemmer miljoe 5 a-medlem-1=2 b-medlem-1=2")
    assert "Nina Prøvegaard (eksempel) og Ulla Mønstergaard (eksempel) står lige" in text(tie)
    preview = await kkrbot.press(SECRETARY, tie, "Lod: Ulla Mønstergaard (eksempel)")
    assert await stored(kkrbot, "SELECT person_id FROM appointments") == []
    decided = await kkrbot.press(SECRETARY, preview, "Send")

    assert "Ulla Mønstergaard (eksempel) er udpeget til Miljøforum i runde 3" in text(decided)
    assert [row[0] for row in await stored(kkrbot, "SELECT person_id FROM appointments")] == ["b-medlem-1"]


async def test_r_elec_7_only_council_members_of_the_region_can_be_appointed(kkrbot: RunningBot) -> None:
    await setup(kkrbot, ON_TIME)
    await kkrbot.ask(SECRETARY, "/forum ny trafik 1 Trafikforum")

    answer = await recorded(kkrbot, "/forum stemmer trafik 22 sekretariat-2=12")

    assert "kan udpeges" in text(answer)
    assert "R-ELEC" not in text(answer)
    assert await stored(kkrbot, "SELECT * FROM forum_rounds") == []


async def test_r_elec_7_a_council_member_outside_the_roster_stands_with_an_id_of_their_own(kkrbot: RunningBot) -> None:
    await setup(kkrbot, ON_TIME)
    await kkrbot.ask(SECRETARY, "/forum ny trafik 1 Trafikforum")

    added = await kkrbot.ask(SECRETARY, "/forum kandidat jens-hansen thisted V Jens Hansen")
    assert "Kandidaten Jens Hansen (V, Thisted) er registreret med id jens-hansen" in text(added)
    assert "kan ikke kontrollere, at Jens Hansen sidder i kommunalbestyrelsen" in text(added)
    outside = await kkrbot.ask(SECRETARY, "/forum kandidat ole-dahl Aarhus V Ole Dahl")
    assert "Aarhus er ikke en af regionens kommuner" in text(outside)
    folded = await kkrbot.ask(SECRETARY, "/forum kandidat per-dam laesoe C Per Dam")  # Læsø, typed without æ, ø
    assert "Per Dam (C, Læsø)" in text(folded)
    too_many = await kkrbot.ask(SECRETARY, "/forum stemmer trafik 20 jens-hansen=12 a-medlem-2=10")
    assert "22 stemmer er flere end de 20 fremmødte medlemmer" in text(too_many)
    appointed = await recorded(kkrbot, "/forum stemmer trafik 22 jens-hansen=12 a-medlem-2=10")

    assert "Jens Hansen (V, Thisted) er udpeget til Trafikforum i runde 1" in text(appointed)
    assert [row[0] for row in await stored(kkrbot, "SELECT id FROM forum_candidates")] == ["jens-hansen", "per-dam"]
    assert "Jens Hansen" in text(await kkrbot.ask(SECRETARY, "/udpegninger alle"))


async def test_r_elec_5_a_round_is_recorded_only_on_send_and_a_round_typed_wrong_is_corrected_before_the_next(
    kkrbot: RunningBot,
) -> None:
    await setup(kkrbot, ON_TIME)
    await kkrbot.ask(SECRETARY, "/forum ny trafik 1 Trafikforum")

    preview = await kkrbot.ask(SECRETARY, "/forum stemmer trafik 22 a-medlem-2=12 b-medlem-1=10")
    assert "Pia Fiktivsen (eksempel) er udpeget til Trafikforum i runde 1" in text(preview)
    assert await stored(kkrbot, "SELECT * FROM forum_rounds") == []
    cancelled = await kkrbot.press(SECRETARY, preview, "Annuller")
    assert "Intet blev registreret" in text(cancelled)
    assert await stored(kkrbot, "SELECT * FROM forum_rounds") == []
    # Typed wrong: 11 for a-medlem-2 where the meeting counted 12.
    await recorded(kkrbot, "/forum stemmer trafik 22 a-medlem-2=11 b-medlem-1=10")
    assert await stored(kkrbot, "SELECT * FROM appointments") == []

    corrected = await recorded(kkrbot, "/forum ret trafik 22 a-medlem-2=12 b-medlem-1=10")

    assert "Pia Fiktivsen (eksempel) er udpeget til Trafikforum i runde 1" in text(corrected)
    assert [json.loads(row[0]) for row in await stored(kkrbot, "SELECT votes FROM forum_rounds")] == [
        {"a-medlem-2": 12, "b-medlem-1": 10}
    ]
    assert [row[0] for row in await stored(kkrbot, "SELECT person_id FROM appointments")] == ["a-medlem-2"]
    # The cancelled preview's buttons are gone; its Send, replayed, records nothing.
    ((cancelled_id,),) = await stored(kkrbot, "SELECT id FROM forum_drafts WHERE settled = 'cancelled'")
    again = await kkrbot.ask(SECRETARY, f"/forum send {cancelled_id}")
    assert "allerede afgjort" in text(again)
    assert len(await stored(kkrbot, "SELECT * FROM forum_rounds")) == 1


async def test_r_elec_6_a_forholdstalsvalg_for_three_seats_on_the_groups_lists(
    kkrbot: RunningBot, tmp_path: Path
) -> None:
    await setup(kkrbot, ON_TIME)
    await kkrbot.ask(SECRETARY, "/forum ny vaekst 3 Vækstforum")
    await recorded(kkrbot, "/forum liste vaekst blaa 12 broenderslev-borgmester,c-medlem-1,i-medlem-1")
    await recorded(kkrbot, "/forum liste vaekst roed 10 a-medlem-2,b-medlem-1")

    answer = await recorded(kkrbot, "/forum fordel vaekst")

    # d'Hondt: 12, 10, 6 | 5: blue 2 seats, red 1.
    assert "blaa: 2 pladser" in text(answer)
    assert "roed: 1 plads\n" in text(answer)
    appointed = await stored(kkrbot, "SELECT person_id FROM appointments ORDER BY person_id")
    assert [row[0] for row in appointed] == ["a-medlem-2", "broenderslev-borgmester", "c-medlem-1"]
    groups = tmp_path / "groups.json"
    groups.write_text(json.dumps({"groups": {"blaa": 12, "roed": 10}}))
    (row,) = await stored(kkrbot, "SELECT result FROM fora WHERE id = 'vaekst'")
    assert json.loads(row[0]) == kkrcore_json("proportional", "--seats", "3", "--groups", str(groups))
    everyone = await kkrbot.ask(OTHER, "/udpegninger alle")
    assert text(everyone).count("Vækstforum") == 3


async def test_r_elec_6_a_tie_for_the_last_seat_is_settled_by_the_lot_button_even_for_a_group_named_oe(
    kkrbot: RunningBot,
) -> None:
    """The lot, like the allocation, appoints people: what it decides is previewed and recorded only on Send."""
    # d'Hondt on 10 and 10 for three seats: 10, 10, then 5 and 5 tie for the third seat.
    await setup(kkrbot, ON_TIME)
    await kkrbot.ask(SECRETARY, "/forum ny klima 3 Klimaforum")
    await recorded(kkrbot, "/forum liste klima Ø 10 a-medlem-2,b-medlem-1")
    await recorded(kkrbot, "/forum liste klima V 10 c-medlem-1,i-medlem-1")

    tie = await kkrbot.ask(SECRETARY, "/forum fordel klima")  # records nothing: asked at once, with the lot buttons
    assert "V og Ø" in text(tie)
    assert await stored(kkrbot, "SELECT * FROM appointments") == []
    preview = await kkrbot.press(SECRETARY, tie, "Lod: Ø")
    assert "Intet registreres, før du trykker Send" in text(preview)
    assert "Ø: 2" in text(preview)
    assert await stored(kkrbot, "SELECT * FROM appointments") == []
    assert "Intet blev registreret" in text(await kkrbot.press(SECRETARY, preview, "Annuller"))
    assert await stored(kkrbot, "SELECT * FROM appointments") == []
    decided = await kkrbot.press(SECRETARY, await kkrbot.ask(SECRETARY, "/forum lod klima Ø"), "Send")

    assert "Ø: 2" in text(decided)
    appointed = await stored(kkrbot, "SELECT person_id FROM appointments ORDER BY person_id")
    assert [row[0] for row in appointed] == ["a-medlem-2", "b-medlem-1", "c-medlem-1"]


async def test_r_elec_6_lists_cannot_hold_more_members_than_the_council_or_a_candidate_twice(
    kkrbot: RunningBot,
) -> None:
    await setup(kkrbot, ON_TIME)
    await kkrbot.ask(SECRETARY, "/forum ny vaekst 3 Vækstforum")
    await recorded(kkrbot, "/forum liste vaekst blaa 12 broenderslev-borgmester,c-medlem-1")

    too_many = await recorded(kkrbot, "/forum liste vaekst Ø 99 a-medlem-2")
    twice = await recorded(kkrbot, "/forum liste vaekst roed 10 c-medlem-1")

    assert "111 i alt, flere end rådets 22" in text(too_many)
    assert "står allerede på blaas liste" in text(twice)
    assert [row[0] for row in await stored(kkrbot, "SELECT group_name FROM forum_lists")] == ["blaa"]


async def test_a_word_where_the_fora_take_a_number_is_named_as_no_number(kkrbot: RunningBot) -> None:
    """Seats, members present and a list's members are numbers; a word there is said to be the fault, before the
    usage, so the secretariat sees what to change (the guide: bad input gets the next step)."""
    await setup(kkrbot, ON_TIME)
    await kkrbot.ask(SECRETARY, "/forum ny trafik 1 Trafikforum")
    await kkrbot.ask(SECRETARY, "/forum ny vaekst 3 Vækstforum")

    seats = text(await kkrbot.ask(SECRETARY, "/forum ny havn to Havneforum"))
    present = text(await kkrbot.ask(SECRETARY, "/forum stemmer trafik tyve a-medlem-2=10"))
    members = text(await kkrbot.ask(SECRETARY, "/forum liste vaekst A fem a-medlem-2"))

    assert seats.startswith("„to“ er ikke et tal; skriv det med cifre, fx 22.")
    assert present.startswith("„tyve“ er ikke et tal")
    assert members.startswith("„fem“ er ikke et tal")
    assert "/forum ny ID PLADSER" in seats  # the usage follows
    assert [row[0] for row in await stored(kkrbot, "SELECT id FROM fora ORDER BY id")] == ["trafik", "vaekst"]


async def test_r_ehus_2_a_nomination_that_breaks_the_gender_rule_is_flagged_with_the_rule(kkrbot: RunningBot) -> None:
    await setup(kkrbot, datetime(2026, 2, 2, 9, 0, tzinfo=COPENHAGEN))

    flagged = await kkrbot.ask(SECRETARY, "/indstilling DI erhverv mand Jens Eksempel")
    assert "Markeret: DI har indstillet" in text(flagged)
    assert "R-EHUS" not in text(flagged)
    balanced = await kkrbot.ask(SECRETARY, "/indstilling DI erhverv kvinde Karen Eksempel")
    assert "1 kvinde, 1 mand" in text(balanced)  # Danish plurals: not "1 kvinder"
    assert "Karen Eksempel (kvinde)" in text(await kkrbot.ask(SECRETARY, "/indstilling"))
    await kkrbot.ask(SECRETARY, "/indstilling FH-AC arbejdstager mand Ole Eksempel")
    await kkrbot.ask(SECRETARY, "/indstilling grund FH-AC Kun én kandidat kunne stille op")

    overview = await kkrbot.ask(SECRETARY, "/indstilling")
    assert "Kun én kandidat kunne stille op" in text(overview)
    assert "indstillet til 4 pladser" in text(overview)
    assert "R-EHUS" not in text(overview)


async def test_r_ehus_3_a_nomination_after_the_deadline_is_recorded_and_flagged(kkrbot: RunningBot) -> None:
    await setup(kkrbot, datetime(2026, 3, 2, 9, 0, tzinfo=COPENHAGEN))  # the deadline was Friday 27 February

    late = await kkrbot.ask(SECRETARY, "/indstilling DI erhverv kvinde Karen Eksempel")

    assert "Markeret: modtaget efter fristen fredag den 27. februar 2026" in text(late)
    assert "Karen Eksempel (kvinde) (efter fristen)" in text(await kkrbot.ask(SECRETARY, "/indstilling"))
    assert [row[0] for row in await stored(kkrbot, "SELECT late FROM ehus_nominations")] == [1]


async def test_r_ehus_1_the_chair_seat_and_the_three_municipal_seats_are_recorded_and_checked(
    kkrbot: RunningBot,
) -> None:
    await setup(kkrbot, datetime(2026, 3, 10, 10, 0, tzinfo=COPENHAGEN))  # no deadline reminder due (R-EHUS-3)

    set_up = await kkrbot.ask(SECRETARY, "/indstilling bestyrelse")
    assert "Udledt: kilderne siger ikke, hvordan KKR stemmer om disse pladser" in text(set_up)
    assert "formand: 0 af 1 udpeget" in text(set_up)
    assert "kommunale medlemmer: 0 af 3 udpeget" in text(set_up)
    await recorded(kkrbot, "/forum stemmer ehus-formand 22 broenderslev-borgmester=12 a-medlem-2=10")
    await recorded(kkrbot, "/forum liste ehus-kommunale blaa 12 thisted-borgmester,c-medlem-1")
    await recorded(kkrbot, "/forum liste ehus-kommunale roed 10 a-medlem-2,b-medlem-1")
    await recorded(kkrbot, "/forum fordel ehus-kommunale")

    overview = await kkrbot.ask(SECRETARY, "/indstilling")

    assert "Formanden og de tre kommunale medlemmer er udpeget." in text(overview)
    appointed = await stored(kkrbot, "SELECT forum_id, person_id FROM appointments ORDER BY forum_id, person_id")
    assert [tuple(row) for row in appointed] == [
        ("ehus-formand", "broenderslev-borgmester"),
        ("ehus-kommunale", "a-medlem-2"),
        ("ehus-kommunale", "c-medlem-1"),
        ("ehus-kommunale", "thisted-borgmester"),
    ]


async def test_r_ehus_3_while_the_board_sits_nominations_wait_for_the_next_constituent_meeting(
    kkrbot: RunningBot,
) -> None:
    await setup(kkrbot, datetime(2026, 11, 23, 9, 0, tzinfo=COPENHAGEN))

    overview = await kkrbot.ask(SECRETARY, "/indstilling")

    assert "Bestyrelsen sidder onsdag den 1. april 2026 til søndag den 31. marts 2030" in text(overview)
    assert "efter det konstituerende møde fredag den 25. januar 2030" in text(overview)
    assert "februar 2026" not in text(overview)
    early = await kkrbot.ask(SECRETARY, "/indstilling DI erhverv kvinde Karen Eksempel")
    assert "efter det konstituerende møde fredag den 25. januar 2030" in text(early)
    assert await stored(kkrbot, "SELECT * FROM ehus_nominations") == []


async def test_r_ehus_3_the_secretariat_is_reminded_before_the_nomination_deadline_once(kkrbot: RunningBot) -> None:
    await setup(kkrbot, datetime(2026, 2, 25, 9, 0, tzinfo=COPENHAGEN))
    before = len(kkrbot.tg.sent_to(SECRETARY))

    await kkrbot.conversation.tick()
    await kkrbot.conversation.tick()

    reminders = await kkrbot.tg.wait_for_messages(SECRETARY, before + 1)
    assert "27. februar 2026" in text(reminders[-1])
    async with kkrbot.conversation.db.read() as conn:
        row = await first_row(conn, "SELECT COUNT(*) FROM ehus_reminders")
    assert row is not None
    assert row[0] == 1


async def test_r_mem_5_a_member_who_leaves_the_party_gives_the_seat_back_and_ends_appointments(
    kkrbot: RunningBot,
) -> None:
    await setup(kkrbot, ON_TIME)
    await kkrbot.ask(SECRETARY, "/forum ny trafik 1 Trafikforum")
    await recorded(kkrbot, "/forum stemmer trafik 22 a-medlem-2=12")

    answer = await recorded(kkrbot, "/udtraedelse a-medlem-2 parti")

    assert "udtræder af KKR" in text(answer)
    assert "vælger et nyt medlem" not in text(answer)  # in no source (R-MEM-7)
    assert "Trafikforum" in text(answer)
    mayor = await recorded(kkrbot, "/udtraedelse aalborg-borgmester parti")
    assert "borgmester" in text(mayor)
    assert await stored(kkrbot, "SELECT * FROM appointments WHERE ended_at IS NULL") == []


async def test_r_mem_5_a_member_who_left_is_answered_as_nobody_their_substitute_is_told_and_it_is_recorded_once(
    kkrbot: RunningBot,
) -> None:
    await setup(kkrbot, ON_TIME)
    substitute = 2005
    await kkrbot.bind(substitute, "a-stedfortraeder-2")
    before = len(kkrbot.tg.sent_to(substitute))

    await recorded(kkrbot, "/udtraedelse a-medlem-2 parti")

    told = (await kkrbot.tg.wait_for_messages(substitute, before + 1))[-1]
    assert "Pia Fiktivsen (eksempel) er udtrådt af KKR" in text(told)
    assert "personligt invitationslink" in text(await kkrbot.ask(MEMBER, "/naeste"))
    assert "Pia Fiktivsen" not in text(await kkrbot.ask(substitute, "/stedfortraeder"))
    assert "Pia Fiktivsen" not in text(await kkrbot.ask(SECRETARY, "/medlemmer A"))
    again = await recorded(kkrbot, "/udtraedelse a-medlem-2 parti")
    assert "har allerede forladt medlemslisten" in text(again)
    assert len(await stored(kkrbot, "SELECT * FROM departures")) == 1


async def test_r_mem_5_when_a_mayor_leaves_the_viceborgmester_stays_and_is_told_so(kkrbot: RunningBot) -> None:
    await setup(kkrbot, ON_TIME)
    viceborgmester = 2006
    await kkrbot.bind(viceborgmester, "thisted-viceborgmester")
    before = len(kkrbot.tg.sent_to(viceborgmester))

    await recorded(kkrbot, "/udtraedelse thisted-borgmester byraad")

    told = (await kkrbot.tg.wait_for_messages(viceborgmester, before + 1))[-1]
    assert "Kommunens nye borgmester bliver medlem, og viceborgmesteren er borgmesterens stedfortræder" in text(told)
    assert "Parti" not in text(told)
    assert "Lene Attrapgaard" not in text(await kkrbot.ask(SECRETARY, "/medlemmer Thisted"))


async def test_r_ehus_1_the_english_nominations_overview_names_no_rule_id(kkrbot: RunningBot) -> None:
    """The English catalog copied the msgid's "R-EHUS-1: " prefix that the Danish text leaves out."""
    await setup(kkrbot, datetime(2026, 2, 2, 9, 0, tzinfo=COPENHAGEN))
    await kkrbot.ask(SECRETARY, "/sprog en")

    overview = text(await kkrbot.ask(SECRETARY, "/nomination"))

    assert "business representatives: 0 nominated for 4 seats." in overview
    assert "knowledge institution: 0 nominated for 1 seat." in overview
    assert "R-EHUS" not in overview


async def test_the_english_forum_and_nomination_help_name_the_english_subcommands(kkrbot: RunningBot) -> None:
    """English help that tells the secretariat to type `/forum stemmer` or `/indstilling grund` mixes in Danish;
    the English words (`votes`, `reason`) are accepted and are what the English texts elsewhere name."""
    await setup(kkrbot, datetime(2026, 2, 2, 9, 0, tzinfo=COPENHAGEN))
    await kkrbot.ask(SECRETARY, "/sprog en")

    fora = text(await kkrbot.ask(SECRETARY, "/forum"))
    flagged = text(await kkrbot.ask(SECRETARY, "/nomination DI business man Jens Example"))

    assert "/forum new ID SEATS" in fora
    assert "/forum votes ID PRESENT" in fora
    assert "/forum ny" not in fora
    assert "stemmer" not in fora
    assert "/nomination reason DI TEXT" in flagged
    assert "/indstilling" not in flagged
