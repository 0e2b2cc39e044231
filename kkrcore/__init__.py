"""kkrcore: the rules of KKR Nordjylland as pure functions over frozen models.

No I/O beyond reading a dataset file, no clock, no chat: results carry reason codes (`kkrcore.reasons`)
and exact numbers, and the bot words them. Rules marked (inferred) in the domain brief are configurable
and documented as inferred where they are implemented.
"""
