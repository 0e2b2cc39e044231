"""The pages behind an e-mail alert's answer links (bot.core.usecases.answer_links): `GET /svar/...` shows the
question and one button and changes nothing (mail scanners open every link); `POST /svar/...` (the button) records
the answer through the chat's own use case, so the member and the secretariat are told exactly as after the chat's
button, and shows the reply the chat would have given."""

from __future__ import annotations

import html

from aiohttp import web

from bot.core.conversation import Conversation
from bot.core.turn import display_name
from bot.core.usecases.absence_notices import cover_case, substitute_alert
from bot.core.usecases.answer_links import ANSWERS, LinkedAnswer, checked_link
from bot.i18n import Translator

PATH = "/svar/{absence}/{answer}/{signature}"


def _page(title: str, body: str, language: str, status: int = 200) -> web.Response:
    document = (
        f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{html.escape(title)}</title></head>"
        '<body style="font-family:sans-serif;max-width:36em;margin:2em auto;padding:0 1em">'
        f'<h1 style="font-size:1.3em">{html.escape(title)}</h1>{body}</body></html>'
    )
    return web.Response(
        text=document,
        content_type="text/html",
        status=status,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{html.escape(line)}</p>" for line in text.split("\n") if line.strip())


def add_answer_routes(app: web.Application, conversation: Conversation) -> None:
    async def lookup(request: web.Request) -> tuple[LinkedAnswer | None, Translator]:
        absence_id = request.match_info["absence"]
        async with conversation.db.transaction() as conn:
            found = (
                await checked_link(
                    conn,
                    conversation.dataset,
                    int(absence_id),
                    request.match_info["answer"],
                    request.match_info["signature"],
                )
                if absence_id.isdigit() and len(absence_id) < 12
                else None
            )
            person = found.absence.substitute_id if found else None
            _ = await conversation.translator_for(conn, person)
        return found, _

    def invalid(_: Translator) -> web.Response:
        return _page(
            _("This link is no longer valid"),
            _paragraphs(
                _(
                    "The meeting may have been moved or cancelled, or the absence withdrawn. If the meeting was "
                    "moved, you have been sent a new e-mail."
                )
            ),
            _.language,
            status=404,
        )

    async def question(request: web.Request) -> web.Response:
        found, _ = await lookup(request)
        if found is None:
            return invalid(_)
        async with conversation.db.read() as conn:
            roster = await conversation.roster(conn)
        member = roster.ever_by_id.get(found.absence.member_id)
        if member is None:
            return invalid(_)
        substitute = roster.ever_by_id.get(found.absence.substitute_id or "")
        rank = substitute.vice_mayor_rank if substitute else None
        alert = substitute_alert(found.absence, member, found.meeting, _, vice_rank=rank)
        label = _("I will attend") if found.answer == ANSWERS[0] else _("I cannot")
        form = (
            f'<form method="post"><button type="submit" style="font-size:1.1em;padding:.5em 1.5em">'
            f"{html.escape(label)}</button></form>"
        )
        return _page(alert.title or display_name(member, _), _paragraphs(alert.text) + form, _.language)

    async def answer(request: web.Request) -> web.Response:
        found, _ = await lookup(request)
        if found is None or found.absence.substitute_id is None:
            return invalid(_)
        outcome = await conversation.act(
            found.absence.substitute_id, "cover", (str(found.absence.id), found.answer), cover_case
        )
        text = "\n".join(reply.text for reply in outcome.replies)
        return _page(_("Your answer"), _paragraphs(text), _.language)

    app.router.add_get(PATH, question)
    app.router.add_post(PATH, answer)
