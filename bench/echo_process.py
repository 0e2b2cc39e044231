"""The bare echo bot as its own process (`run_polling`, PTB's defaults), so it is measured exactly as
kkrbot is: another process, polling the same fake server.

Usage: python -m bench.echo_process TOKEN BASE_URL BASE_FILE_URL
"""

from __future__ import annotations

import sys

from telegram.ext import ApplicationBuilder, MessageHandler, filters

from bench.echo_bot import echo


def main() -> None:
    token, base_url, base_file_url = sys.argv[1:4]
    application = ApplicationBuilder().token(token).base_url(base_url).base_file_url(base_file_url).build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.run_polling(poll_interval=0, timeout=10)


if __name__ == "__main__":
    main()
