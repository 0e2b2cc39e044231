"""Channels adapt the conversation core to a transport: Telegram, the console, and later Teams."""
