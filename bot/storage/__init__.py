"""Storage: the SQLite database, its migrations, and one module per kind of record (roster, accounts and
invites, absences). Imports nothing from the conversation core, the delivery engine or the channels."""
