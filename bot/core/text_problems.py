"""A refused name, place or address (bot.storage.text_fields) in the reader's language, with the next step."""

from __future__ import annotations

from bot.i18n import N_, Translator
from bot.storage.text_fields import TextProblem

# What each refused kind of character is, for the sentence below.
_KINDS = {
    "Cc": N_("a control character (a line break, a tab and the like)"),
    "Cf": N_("an invisible formatting character (it can change how the text is shown)"),
    "Zl": N_("a line separator"),
    "Zp": N_("a paragraph separator"),
    "Co": N_("a private-use character"),
    "Cs": N_("a broken character (a surrogate)"),
    "Cn": N_("a character that Unicode does not define"),
}


def text_problem_text(problem: TextProblem, _: Translator) -> str:
    if problem.category is None:
        return _(
            "A place or an address can be at most {limit} characters; this one has {length}. Shorten it and try again.",
            limit=problem.limit,
            length=problem.length,
        )
    return _(
        "Character {position} ({code_point}) is {kind}, which a place or an address cannot hold. Remove it and try "
        "again.",
        position=problem.position,
        code_point=problem.code_point,
        kind=_(_KINDS[problem.category]),
    )
