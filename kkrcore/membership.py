"""Who may sit in the KKR, who stands in for an absent member, and when a member leaves (R-MEM-2..6)."""

from collections.abc import Collection, Mapping, Sequence

from kkrcore.models import Frozen
from kkrcore.reasons import Reason

VICE_MAYOR_RANKS = 2
"""(inferred, R-MEM-2) How far down the viceborgmestre we look when the 1st is already a member.

The sources name only the viceborgmester; one known case had the 2nd viceborgmester substitute because the
1st was a member already. Going further than the 2nd has no source at all, so it is opt-in.
"""


class SubstituteChoice(Frozen):
    """The person who attends in a member's place, or None with the reason nobody can."""

    person_id: str | None
    reason: Reason
    rank: int | None = None


class Member(Frozen):
    """A KKR member as the substitute rules see them."""

    person_id: str
    municipality: str
    party: str
    mayor: bool = False
    personal_substitute: str | None = None
    vice_mayors: tuple[str, ...] = ()


class Check(Frozen):
    allowed: bool
    reason: Reason


class Tenure(Frozen):
    """Whether a member keeps the seat after a change; the composition is never recalculated (R-MEM-5)."""

    stays: bool
    reason: Reason
    recalculate_composition: bool = False


def mayor_substitute(
    vice_mayors: Sequence[str], member_ids: Collection[str], ranks: int = VICE_MAYOR_RANKS
) -> SubstituteChoice:
    """R-MEM-2: the viceborgmester substitutes for the mayor; `vice_mayors` is ranked 1st, 2nd, …

    A viceborgmester who is a KKR member already attends in their own right, so the next one is asked
    (inferred, see VICE_MAYOR_RANKS).
    """
    for rank, person in enumerate(vice_mayors[:ranks], start=1):
        if person not in member_ids:
            return SubstituteChoice(
                person_id=person, reason=Reason.VICE_MAYOR if rank == 1 else Reason.NEXT_VICE_MAYOR, rank=rank
            )
    return SubstituteChoice(person_id=None, reason=Reason.NO_VICE_MAYOR_AVAILABLE)


def substitute_for(member: Member, member_ids: Collection[str]) -> SubstituteChoice:
    """R-MEET-5, R-MEM-3: a mayor's substitute is a viceborgmester, anyone else's their stedfortræder."""
    if member.mayor:
        return mayor_substitute(member.vice_mayors, member_ids)
    if member.personal_substitute is None:
        return SubstituteChoice(person_id=None, reason=Reason.NO_PERSONAL_SUBSTITUTE)
    return SubstituteChoice(person_id=member.personal_substitute, reason=Reason.PERSONAL_SUBSTITUTE)


def may_serve(council: str | None, region: Collection[str]) -> Check:
    """R-MEM-4: only council members of the region's KL member municipalities may be members or substitutes.

    `council` is the municipality whose council the person sits on (None if none); `region` the KL member
    municipalities of the KKR (all 98 Danish municipalities are KL members).
    """
    if council is None:
        return Check(allowed=False, reason=Reason.NOT_COUNCIL_MEMBER)
    if council not in region:
        return Check(allowed=False, reason=Reason.OUTSIDE_REGION)
    return Check(allowed=True, reason=Reason.COUNCIL_MEMBER_IN_REGION)


def tenure_after_change(
    *, mayor: bool, council_member: bool, in_electing_party: bool, still_mayor: bool = True
) -> Tenure:
    """R-MEM-5: leaving the council ends membership; leaving the party ends it too, except for a mayor.
    R-MEM-1: a mayor is a member for being mayor, so a mayor who stops being mayor stops being a member."""
    if not council_member:
        return Tenure(stays=False, reason=Reason.LEFT_COUNCIL)
    if mayor and not still_mayor:
        return Tenure(stays=False, reason=Reason.NO_LONGER_MAYOR)
    if not in_electing_party:
        if mayor:
            return Tenure(stays=True, reason=Reason.MAYOR_CHANGED_PARTY)
        return Tenure(stays=False, reason=Reason.LEFT_PARTY)
    return Tenure(stays=True, reason=Reason.STAYS_MEMBER)


class SubstituteProblem(Frozen):
    """One broken link of the substitute structure: `member`'s substitute `substitute`, and why it cannot stand
    (R-MEM-6). `other` is the second member involved, for a substitute who would stand in for two seats."""

    member: str
    substitute: str
    reason: Reason
    other: str | None = None


def substitute_structure(
    personal_substitutes: Mapping[str, str | None],
    members: Collection[str],
    vice_mayors: Mapping[str, str | None],
) -> list[SubstituteProblem]:
    """R-MEM-6 (inferred from "personlige stedfortrædere"): a substitute is not a member and stands in for one
    seat only; nobody substitutes for themselves; no chains, no cycles.

    `personal_substitutes` maps each elected member to their personal substitute (R-MEM-3); `vice_mayors` maps
    each mayor to the viceborgmester who substitutes for them (R-MEM-2; None when none can), so its keys are the
    mayors; `members` are all members. A viceborgmester counts like a personal substitute: one who is also an
    elected member's personal substitute could be asked to fill both seats at once. Returns every problem, the
    mayors' links first; an empty list means the structure holds. Two members who are each other's substitute
    would both be "present" while both are absent, so a quorum forecast built on such a roster would lie.
    """
    # A mayor's link is the viceborgmester's, even where the caller also lists the mayor among the others.
    links = {**vice_mayors, **{m: s for m, s in personal_substitutes.items() if m not in vice_mayors}}
    problems: list[SubstituteProblem] = []
    first_member_of: dict[str, str] = {}
    for member, substitute in links.items():
        if substitute is None:
            continue
        reason = _link_problem(member, substitute, links, members, vice_mayors.keys())
        if reason is not None:
            problems.append(SubstituteProblem(member=member, substitute=substitute, reason=reason))
        other = first_member_of.get(substitute)
        if other is None:
            first_member_of[substitute] = member
            continue
        shared = Reason.SHARED_SUBSTITUTE
        if (other in vice_mayors) != (member in vice_mayors):
            shared = Reason.VICE_MAYOR_IS_PERSONAL_SUBSTITUTE
        problems.append(SubstituteProblem(member=member, substitute=substitute, reason=shared, other=other))
    return problems


def _link_problem(
    member: str,
    substitute: str,
    links: Mapping[str, str | None],
    members: Collection[str],
    mayors: Collection[str],
) -> Reason | None:
    if substitute == member:
        return Reason.SUBSTITUTES_FOR_SELF
    if substitute not in members:
        return None
    # The substitute is a member: follow the links to tell a cycle (back to `member`) from a chain.
    seen = {member}
    current: str | None = substitute
    while current is not None and current not in seen:
        seen.add(current)
        current = links.get(current)
    if current == member:
        return Reason.SUBSTITUTE_CYCLE
    if substitute in mayors:
        return Reason.SUBSTITUTE_IS_MAYOR
    if links.get(substitute) is not None:
        return Reason.SUBSTITUTE_CHAIN
    return Reason.SUBSTITUTE_IS_MEMBER
