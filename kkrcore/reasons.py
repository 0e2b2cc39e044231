"""Reason codes: every verdict of kkrcore names its reason with one of these, never with prose.

The bot turns a code into a sentence in the user's language; keeping the codes in one enum means a new
code is one place to add and one key to translate.
"""

from enum import StrEnum


class Reason(StrEnum):
    # Composition (R-COMP-1..6, R-MEM-1)
    ELIGIBLE = "eligible"
    BELOW_THRESHOLD = "below_threshold"
    NOT_REPRESENTED = "not_represented"
    LOCAL_LIST = "local_list"
    OVERHANG = "overhang"
    MAYOR_OF_INELIGIBLE_PARTY = "mayor_of_ineligible_party"
    NO_ELIGIBLE_PARTY = "no_eligible_party"
    TOO_MANY_MAYORS = "too_many_mayors"

    # Input validation shared by the calculators
    UNKNOWN_PARTY = "unknown_party"
    NEGATIVE_VOTES = "negative_votes"
    INEXACT_VOTES = "inexact_votes"
    NO_VOTES = "no_votes"
    NO_PARTIES = "no_parties"
    SEATS_BELOW_ONE = "seats_below_one"
    INVALID_COUNT = "invalid_count"
    NAIVE_DATETIME = "naive_datetime"

    # Draws (R-COMP-6, R-ELEC-3, R-ELEC-5, R-ELEC-6)
    LOT_SEEDED = "lot_seeded"
    LOT_RECORDED = "lot_recorded"
    LOT_DRAWN = "lot_drawn"
    TIE_UNRESOLVED = "tie_unresolved"
    RECORDED_LOT_MISMATCH = "recorded_lot_mismatch"
    RECORDED_LOTS_EXHAUSTED = "recorded_lots_exhausted"
    INVALID_DRAW = "invalid_draw"

    # Elections (R-ELEC-1..7)
    INELIGIBLE_PARTY = "ineligible_party"
    PARTY_IN_TWO_ALLIANCES = "party_in_two_alliances"
    PARTY_TWICE_IN_ALLIANCE = "party_twice_in_alliance"
    EMPTY_ALLIANCE = "empty_alliance"
    ELECTED_BY_MAJORITY = "elected_by_majority"
    ELECTED_AS_ONLY_CANDIDATE = "elected_as_only_candidate"
    ELECTED_BY_PLURALITY = "elected_by_plurality"
    ELECTED_BY_LOT = "elected_by_lot"
    NEXT_ROUND_NEEDED = "next_round_needed"
    RUNOFF_NEEDED = "runoff_needed"
    NOT_IN_RUNOFF = "not_in_runoff"
    NO_CANDIDATES = "no_candidates"
    MORE_VOTES_THAN_PRESENT = "more_votes_than_present"
    TOO_MANY_ROUNDS = "too_many_rounds"

    # Membership (R-MEM-2..6, R-ELEC-7)
    VICE_MAYOR = "vice_mayor"
    NEXT_VICE_MAYOR = "next_vice_mayor"
    NO_VICE_MAYOR_AVAILABLE = "no_vice_mayor_available"
    PERSONAL_SUBSTITUTE = "personal_substitute"
    NO_PERSONAL_SUBSTITUTE = "no_personal_substitute"
    COUNCIL_MEMBER_IN_REGION = "council_member_in_region"
    NOT_COUNCIL_MEMBER = "not_council_member"
    OUTSIDE_REGION = "outside_region"
    STAYS_MEMBER = "stays_member"
    MAYOR_CHANGED_PARTY = "mayor_changed_party"
    LEFT_COUNCIL = "left_council"
    LEFT_PARTY = "left_party"
    NO_LONGER_MAYOR = "no_longer_mayor"
    SUBSTITUTES_FOR_SELF = "substitutes_for_self"
    SUBSTITUTE_CYCLE = "substitute_cycle"
    SUBSTITUTE_IS_MAYOR = "substitute_is_mayor"
    SUBSTITUTE_CHAIN = "substitute_chain"
    SUBSTITUTE_IS_MEMBER = "substitute_is_member"
    SHARED_SUBSTITUTE = "shared_substitute"
    VICE_MAYOR_IS_PERSONAL_SUBSTITUTE = "vice_mayor_is_personal_substitute"

    # Meetings (R-MEET-1..5)
    QUORATE = "quorate"
    NOT_QUORATE = "not_quorate"
    PRESENT_EXCEEDS_MEMBERS = "present_exceeds_members"
    MORE_MEMBERS_THAN_SEATS = "more_members_than_seats"
    UNKNOWN_MEMBER = "unknown_member"
    SUBSTITUTE_FOR_PRESENT_MEMBER = "substitute_for_present_member"

    # Meeting changes: overrides on top of the bundled plan
    UNKNOWN_MEETING = "unknown_meeting"
    MEETING_CANCELLED = "meeting_cancelled"
    MEETING_HELD = "meeting_held"
    START_IN_PAST = "start_in_past"
    END_NOT_AFTER_START = "end_not_after_start"
    DAY_TAKEN = "day_taken"
    NOTHING_CHANGED = "nothing_changed"
    AFTER_NEXT_CONSTITUENT = "after_next_constituent"
    CONSTITUENT_TOO_LATE = "constituent_too_late"

    # Periods: a next period's data against the current one, and the crossing (R-PER-1, R-MEM-1, R-MEM-5)
    REGION_DIFFERS = "region_differs"
    TIMEZONE_DIFFERS = "timezone_differs"
    PERIOD_DOES_NOT_FOLLOW = "period_does_not_follow"
    ELECTION_DATE_MISMATCH = "election_date_mismatch"
    NO_CONSTITUENT_MEETING = "no_constituent_meeting"
    CONSTITUENT_BEFORE_PLAN_ENDS = "constituent_before_plan_ends"
    CONSTITUENT_MOVED = "constituent_moved"
    OLD_COUNCIL = "old_council"
    MAYOR_OF_NEW_TERM = "mayor_of_new_term"
    MAYOR_RE_ELECTED = "mayor_re_elected"
    ELECTED_UNTIL_CONSTITUENT = "elected_until_constituent"
    NEW_COUNCIL = "new_council"
    DEPARTURE_RECORDED = "departure_recorded"
    BECAME_MAYOR = "became_mayor"
    NOT_IN_NEW_COUNCIL = "not_in_new_council"

    # Days (R-DAY-1..2)
    NOT_ELECTION_YEAR = "not_election_year"
    DATE_OUT_OF_RANGE = "date_out_of_range"

    # Erhvervshus board (R-EHUS-1..3)
    SEAT_COUNT_MISMATCH = "seat_count_mismatch"
    NOT_ELECTED_OFFICIAL = "not_elected_official"
    DUPLICATE_PERSON = "duplicate_person"
    GENDER_BALANCED = "gender_balanced"
    GENDER_UNBALANCED = "gender_unbalanced"
    SPECIAL_REASONS_STATED = "special_reasons_stated"
    NO_PROPOSALS = "no_proposals"


class InvalidInput(ValueError):
    """Bad input to a rule, with a reason code so callers can answer in their own words.

    It is a ValueError so that plain `except ValueError` keeps working for callers who do not care why.
    """

    def __init__(self, reason: Reason, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else str(reason))
