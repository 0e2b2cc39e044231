"""The secretariat's agendas through the real Telegram Application and the fake Bot API: text kept as
written, every change kept with its time, the PDF sent on by its file_id, and refusals with a next step."""

from __future__ import annotations

from tests.conftest import RunningBot

SECRETARY, MEMBER = 3001, 3002
AGENDA = "1. Velkomst\n2. Kollektiv trafik: https://example.org/trafik\n3. Eventuelt"


async def test_a_multi_line_agenda_comes_back_line_by_line(kkrbot: RunningBot) -> None:
    await kkrbot.bind(SECRETARY, "sekretariat-1")
    await kkrbot.bind(MEMBER, "a-medlem-1")

    saved = await kkrbot.ask(SECRETARY, f"/dagsorden 12.02.2027\n{AGENDA}")
    answer = await kkrbot.ask(MEMBER, "/naeste")

    assert "Dagsordenen til fredag den 12. februar 2027" in (saved.plain_text or "")
    assert f"Dagsorden:\n{AGENDA}" in (answer.plain_text or "")
    assert "opdateret" not in (answer.plain_text or "")


async def test_a_changed_agenda_is_shown_as_updated_with_the_time_of_the_change(kkrbot: RunningBot) -> None:
    await kkrbot.bind(SECRETARY, "sekretariat-1")
    await kkrbot.bind(MEMBER, "a-medlem-1")
    await kkrbot.ask(SECRETARY, "/dagsorden 12.02.2027\n1. Velkomst")
    kkrbot.clock.advance(days=2, hours=5, minutes=30)  # Wednesday 25 November 2026 14:30

    changed = await kkrbot.ask(SECRETARY, "/dagsorden 12.02.2027\n1. Velkomst\n2. Ny sag")
    answer = await kkrbot.ask(MEMBER, "/naeste")
    meeting_view = await kkrbot.ask(MEMBER, "/moeder 12.02.2027")

    assert "ændret" in (changed.plain_text or "")
    for view in (answer, meeting_view):
        assert "Dagsorden (opdateret onsdag den 25. november 2026 kl. 14.30):\n1. Velkomst\n2. Ny sag" in (
            view.plain_text or ""
        )
    async with kkrbot.conversation.db.read() as conn:
        versions = list(await conn.execute_fetchall("SELECT text FROM agenda_versions ORDER BY id"))
    assert [row[0] for row in versions] == ["1. Velkomst", "1. Velkomst\n2. Ny sag"]


async def test_the_agenda_pdf_sent_with_a_caption_is_shown_with_the_meeting(kkrbot: RunningBot) -> None:
    await kkrbot.bind(SECRETARY, "sekretariat-1")
    await kkrbot.bind(MEMBER, "a-medlem-1")
    pdf = b"%PDF-1.4 agenda"

    before = len(kkrbot.tg.sent_to(SECRETARY))
    kkrbot.tg.inject_document(SECRETARY, "dagsorden.pdf", pdf, caption="/dagsorden 12.02.2027")
    saved = (await kkrbot.tg.wait_for_messages(SECRETARY, before + 1))[-1]
    answers = await kkrbot.ask(MEMBER, "/naeste", count=2)

    assert "Dagsordenen til fredag den 12. februar 2027 kl. 10.00–12.00 er gemt" in (saved.plain_text or "")
    assert answers.method == "sendDocument"
    assert answers.document == ("dagsorden.pdf", pdf)
    assert "Dagsordenens dokument: dagsorden.pdf" in (kkrbot.tg.sent_to(MEMBER)[-2].plain_text or "")


async def test_an_agenda_document_that_is_not_a_pdf_is_refused(kkrbot: RunningBot) -> None:
    await kkrbot.bind(SECRETARY, "sekretariat-1")

    before = len(kkrbot.tg.sent_to(SECRETARY))
    kkrbot.tg.inject_document(
        SECRETARY, "dagsorden.docx", b"PK..", caption="/dagsorden 12.02.2027", mime_type="application/msword"
    )
    refused = (await kkrbot.tg.wait_for_messages(SECRETARY, before + 1))[-1]

    assert "skal være en PDF" in (refused.plain_text or "")
    async with kkrbot.conversation.db.read() as conn:
        assert list(await conn.execute_fetchall("SELECT * FROM agenda_versions")) == []


async def test_an_agenda_for_a_meeting_already_held_is_refused_with_the_next_step(kkrbot: RunningBot) -> None:
    """20 November 2026 was held three days before the reference Monday (R-MEET-1 plan)."""
    await kkrbot.bind(SECRETARY, "sekretariat-1")

    refused = await kkrbot.ask(SECRETARY, "/dagsorden 20.11.2026\n1. Velkomst")

    assert "allerede holdt" in (refused.plain_text or "")
    assert [b["callback_data"] for row in refused.buttons for b in row] == ["next", "meetings"]


async def test_an_agenda_for_a_day_without_a_meeting_is_refused_with_the_meetings(kkrbot: RunningBot) -> None:
    await kkrbot.bind(SECRETARY, "sekretariat-1")

    refused = await kkrbot.ask(SECRETARY, "/dagsorden 13.02.2027\n1. Velkomst")

    assert "Der er ikke noget KKR-møde lørdag den 13. februar 2027" in (refused.plain_text or "")
    assert refused.buttons[0][0]["callback_data"] == "agenda 2027-02-12"
