"""The bare echo bot as its own process (`run_polling`, PTB's defaults), so it is measured exactly as
kkrbot is: another process, polling the same fake server. With `--rate-limiter`, PTB's `AIORateLimiter`
(its defaults: 30 messages a second, 20 a minute per group), as a bot at Telegram's limits would use it.

Usage: python -m bench.echo_process TOKEN BASE_URL BASE_FILE_URL [--rate-limiter]
"""

from __future__ import annotations

import sys

from telegram.ext import AIORateLimiter, ApplicationBuilder, MessageHandler, filters

from bench.echo_bot import echo


def main() -> None:
    token, base_url, base_file_url = sys.argv[1:4]
    builder = ApplicationBuilder().token(token).base_url(base_url).base_file_url(base_file_url)
    if "--rate-limiter" in sys.argv[4:]:
        builder = builder.rate_limiter(AIORateLimiter())
    application = builder.build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.run_polling(poll_interval=0, timeout=10)


if __name__ == "__main__":
    main()
