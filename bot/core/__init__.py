"""The channel-neutral conversation core: use cases that take who asks and what, and return messages.

Nothing here knows Telegram or the console; channels translate their events into `Request`s and render
`Message`s (errbot's and opsdroid's backends do the same).
"""
