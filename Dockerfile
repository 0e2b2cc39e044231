# kkrbot: python-telegram-bot + SQLite. Build: docker build -t kkrbot .
# Run:   docker run -e KKRBOT_TELEGRAM_TOKEN=... -v kkrbot-data:/data kkrbot
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    KKRBOT_DATABASE=/data/kkrbot.sqlite3

RUN useradd --create-home --uid 10001 kkrbot \
    && mkdir /data && chown kkrbot:kkrbot /data

WORKDIR /src
COPY pyproject.toml README.md babel.cfg ./
COPY kkrcore ./kkrcore
COPY bot ./bot
COPY locales ./locales
# The catalogs are compiled at build time, into the installed package, as root; the bot runs as kkrbot.
RUN pip install . && kkrbot compile-locales && rm -rf /src

WORKDIR /data
VOLUME ["/data"]
USER kkrbot
# Healthy while the bot polls Telegram and its clock ticks (heartbeats in the database); the line says what is stale.
HEALTHCHECK --interval=60s --timeout=20s --start-period=60s --retries=3 CMD ["kkrbot", "health"]
ENTRYPOINT ["kkrbot"]
CMD ["run"]
