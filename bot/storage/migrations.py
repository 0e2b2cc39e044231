"""The database schema as an ordered list of migrations; `PRAGMA user_version` records how many ran.

Append only: a migration that has shipped is never edited, so every database can be brought forward.
Times are stored as UTC ISO-8601 text.
"""

MIGRATIONS: tuple[str, ...] = (
    # 1: roster, accounts, onboarding, agendas, inbox and outbox.
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

    CREATE TABLE persons (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('member', 'substitute', 'secretariat')),
        municipality TEXT,
        party TEXT,
        mayor INTEGER NOT NULL DEFAULT 0,
        vice_mayor_rank INTEGER,
        substitute_id TEXT,
        language TEXT,
        phone TEXT,
        email TEXT,
        example INTEGER NOT NULL DEFAULT 0
    );

    -- One row per chat account bound to a roster person; channel-neutral so Teams can be added later.
    CREATE TABLE accounts (
        channel TEXT NOT NULL,
        address TEXT NOT NULL,
        person_id TEXT NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
        bound_at TEXT NOT NULL,
        PRIMARY KEY (channel, address)
    );
    CREATE INDEX accounts_person ON accounts (person_id);

    -- A language chosen with /sprog outlives roster re-imports, so it is kept apart from the roster.
    CREATE TABLE language_choices (
        person_id TEXT PRIMARY KEY REFERENCES persons (id) ON DELETE CASCADE,
        language TEXT NOT NULL
    );

    CREATE TABLE invites (
        token_hash TEXT PRIMARY KEY,
        person_id TEXT NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT
    );

    CREATE TABLE failed_starts (
        channel TEXT NOT NULL,
        address TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX failed_starts_account ON failed_starts (channel, address, at);

    CREATE TABLE agendas (
        meeting_id TEXT PRIMARY KEY,
        text TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );

    -- Updates are stored here before their offset is confirmed to Telegram, and marked processed in the
    -- same transaction as the change they cause.
    CREATE TABLE inbox (
        channel TEXT NOT NULL,
        update_id INTEGER NOT NULL,
        payload TEXT NOT NULL,
        received_at TEXT NOT NULL,
        processed_at TEXT,
        PRIMARY KEY (channel, update_id)
    );
    CREATE INDEX inbox_pending ON inbox (channel, processed_at, update_id);

    -- Everything the bot sends, written in the transaction that causes it.
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel TEXT NOT NULL,
        address TEXT NOT NULL,
        person_id TEXT,
        payload TEXT NOT NULL,
        created_at TEXT NOT NULL,
        not_before TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        sent_at TEXT,
        failed_at TEXT,
        error TEXT
    );
    CREATE INDEX outbox_pending ON outbox (channel, sent_at, failed_at, id);
    """,
    # 2: absence notices (afbud), the substitute's answer, reminders and quorum alerts.
    """
    CREATE TABLE absences (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        meeting_id TEXT NOT NULL,
        member_id TEXT NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
        substitute_id TEXT,
        reported_at TEXT NOT NULL,
        withdrawn_at TEXT,
        answer TEXT CHECK (answer IN ('accepted', 'declined')),
        answered_at TEXT,
        escalated_at TEXT
    );
    -- A second notice for the same meeting is impossible, not just refused.
    CREATE UNIQUE INDEX absences_one_active ON absences (meeting_id, member_id) WHERE withdrawn_at IS NULL;

    CREATE TABLE reminders (
        meeting_id TEXT NOT NULL,
        person_id TEXT NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
        sent_at TEXT NOT NULL,
        PRIMARY KEY (meeting_id, person_id)
    );

    -- The last quorum state the secretariat was told about, so a risk is reported once, not per change.
    CREATE TABLE quorum_alerts (
        meeting_id TEXT PRIMARY KEY,
        at_risk INTEGER NOT NULL,
        alerted_at TEXT NOT NULL
    );
    """,
    # 3: the outbox's lanes: interactive (answers, absence alerts) before bulk (reminders, broadcasts).
    """
    ALTER TABLE outbox ADD COLUMN lane TEXT NOT NULL DEFAULT 'interactive' CHECK (lane IN ('interactive', 'bulk'));
    """,
    # 4: Microsoft Teams and the calendar feed. Teams activities are keyed by their own (text) id, kept in
    # `external_id` beside a sequence number, so the inbox's replay check works for both channels; where each
    # Teams conversation is reached (its service URL); calendar feed secrets; a person's chosen channel.
    """
    ALTER TABLE inbox ADD COLUMN external_id TEXT;
    CREATE UNIQUE INDEX inbox_external ON inbox (channel, external_id) WHERE external_id IS NOT NULL;

    CREATE TABLE teams_conversations (
        conversation_id TEXT PRIMARY KEY,
        service_url TEXT NOT NULL,
        tenant_id TEXT,
        user_id TEXT,
        user_aad_id TEXT,
        updated_at TEXT NOT NULL
    );

    CREATE TABLE calendar_feeds (
        secret TEXT PRIMARY KEY,
        person_id TEXT NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    );
    CREATE UNIQUE INDEX calendar_feeds_active ON calendar_feeds (person_id) WHERE revoked_at IS NULL;

    CREATE TABLE channel_choices (
        person_id TEXT PRIMARY KEY REFERENCES persons (id) ON DELETE CASCADE,
        channel TEXT NOT NULL
    );

    -- Documents sent to Teams as links: Teams takes no file in a bot's message without a consent round trip.
    CREATE TABLE shared_files (
        token TEXT PRIMARY KEY,
        filename TEXT NOT NULL,
        mime_type TEXT NOT NULL,
        content BLOB NOT NULL,
        created_at TEXT NOT NULL
    );
    """,
    # 5: people removed from the roster are archived, not deleted, so their absences and the minutes keep
    # them; outbox rows that carry a secret (an invite link) are marked and scrubbed once delivered or given up;
    # the secretariat hears of an undeliverable person at most once an hour.
    """
    ALTER TABLE persons ADD COLUMN archived_at TEXT;
    ALTER TABLE outbox ADD COLUMN sensitive INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE undeliverable_reports (
        person_id TEXT PRIMARY KEY REFERENCES persons (id) ON DELETE CASCADE,
        reported_at TEXT NOT NULL
    );
    """,
    # 6: agendas kept as versions (text with its line breaks, a document), meeting overrides on top of the
    # bundled plan, and broadcasts with their recipients (each tied to the outbox row that carries it).
    """
    CREATE TABLE agenda_versions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        meeting_id TEXT NOT NULL,
        text TEXT NOT NULL,
        document_file_id TEXT,
        document_name TEXT,
        created_at TEXT NOT NULL,
        created_by TEXT
    );
    CREATE INDEX agenda_versions_meeting ON agenda_versions (meeting_id, id);
    INSERT INTO agenda_versions (meeting_id, text, created_at) SELECT meeting_id, text, updated_at FROM agendas;
    DROP TABLE agendas;

    CREATE TABLE meeting_overrides (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        meeting_id TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('move', 'cancel', 'add')),
        start TEXT,
        end TEXT,
        place TEXT,
        address TEXT,
        created_at TEXT NOT NULL,
        created_by TEXT
    );

    CREATE TABLE broadcasts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        sender_id TEXT,
        audience TEXT NOT NULL,
        meeting_id TEXT,
        text TEXT NOT NULL,
        document_file_id TEXT,
        document_name TEXT,
        document_content BLOB,
        ack INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        cancelled_at TEXT,
        reminded_at TEXT,
        reported_at TEXT
    );

    CREATE TABLE broadcast_recipients (
        broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
        person_id TEXT NOT NULL,
        channel TEXT NOT NULL DEFAULT '',
        address TEXT NOT NULL DEFAULT '',
        outbox_id INTEGER,
        acknowledged_at TEXT,
        PRIMARY KEY (broadcast_id, person_id, channel, address)
    );
    CREATE INDEX broadcast_recipients_outbox ON broadcast_recipients (outbox_id);
    """,
    # 7: a message marked sensitive (it carries an invite link) loses its contents in the very statement that
    # marks it sent or given up, whatever code writes that mark; the value is bot.delivery.retention.FORGOTTEN.
    """
    CREATE TRIGGER outbox_forget_secrets AFTER UPDATE OF sent_at, failed_at ON outbox
    WHEN NEW.sensitive = 1 AND (NEW.sent_at IS NOT NULL OR NEW.failed_at IS NOT NULL)
    BEGIN
        UPDATE outbox SET payload = '{"text": "", "forgotten": true}' WHERE id = NEW.id;
    END;
    """,
    # 8: an update that cannot be parsed is kept aside in the inbox, marked with why (the parser's error type, never
    # its text): counted by `kkrbot health`, never replayed, and it blocks none after it.
    """
    ALTER TABLE inbox ADD COLUMN malformed TEXT;
    """,
    # 9: elections (issue #11): valgforbund notices and the secretariat's decision, the stored chair election,
    # regional fora with their recorded rounds, groups' lists and appointments, Erhvervshus nominations with
    # the reasons for departing from the gender rule, the reminders sent before its deadlines, and members who
    # left the KKR (R-MEM-5). Results are kkrcore's own JSON, so they can be compared with `kkrcore --json`.
    """
    CREATE TABLE valgforbund (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        meeting_id TEXT NOT NULL,
        parties TEXT NOT NULL,
        notified_by TEXT NOT NULL,
        notified_at TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
        decided_by TEXT,
        decided_at TEXT
    );

    CREATE TABLE chair_elections (
        meeting_id TEXT PRIMARY KEY,
        alliances TEXT NOT NULL,
        result TEXT NOT NULL,
        decided_by TEXT NOT NULL,
        decided_at TEXT NOT NULL
    );

    CREATE TABLE fora (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        seats INTEGER NOT NULL CHECK (seats >= 1),
        substitutes INTEGER NOT NULL DEFAULT 0,
        gender_balance INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        result TEXT,
        decided_at TEXT
    );

    CREATE TABLE forum_rounds (
        forum_id TEXT NOT NULL REFERENCES fora (id) ON DELETE CASCADE,
        round INTEGER NOT NULL,
        present INTEGER NOT NULL,
        votes TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (forum_id, round)
    );

    CREATE TABLE forum_lists (
        forum_id TEXT NOT NULL REFERENCES fora (id) ON DELETE CASCADE,
        group_name TEXT NOT NULL,
        members INTEGER NOT NULL CHECK (members >= 0),
        candidates TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (forum_id, group_name)
    );

    CREATE TABLE appointments (
        forum_id TEXT NOT NULL REFERENCES fora (id) ON DELETE CASCADE,
        person_id TEXT NOT NULL,
        appointed_at TEXT NOT NULL,
        ended_at TEXT,
        PRIMARY KEY (forum_id, person_id)
    );

    CREATE TABLE ehus_nominations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        body TEXT NOT NULL,
        category TEXT NOT NULL,
        gender TEXT NOT NULL CHECK (gender IN ('woman', 'man')),
        name TEXT NOT NULL,
        recorded_at TEXT NOT NULL
    );

    CREATE TABLE ehus_special_reasons (
        body TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        recorded_at TEXT NOT NULL
    );

    CREATE TABLE ehus_reminders (
        deadline TEXT PRIMARY KEY,
        sent_at TEXT NOT NULL
    );

    CREATE TABLE departures (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        person_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        recorded_at TEXT NOT NULL
    );
    """,
    # 10: a document sent to many (`kkrbot broadcast --document`) is stored once, and the outbox rows refer to it;
    # Telegram's file_id for it is kept once the first send has uploaded it, and the rest are sent by that id.
    """
    CREATE TABLE documents (
        id INTEGER PRIMARY KEY,
        filename TEXT NOT NULL,
        mime_type TEXT NOT NULL,
        content BLOB NOT NULL,
        telegram_file_id TEXT,
        created_at TEXT NOT NULL
    );
    ALTER TABLE broadcasts ADD COLUMN document_id INTEGER REFERENCES documents (id);
    """,
    # 11: meeting changes: the reason given with a cancellation, and why an absence was closed ('meeting_cancelled':
    # its meeting was cancelled; withdrawn_at is set too, so nothing counts it any more).
    """
    ALTER TABLE meeting_overrides ADD COLUMN reason TEXT;
    ALTER TABLE absences ADD COLUMN closed TEXT CHECK (closed IN ('meeting_cancelled'));

    -- A change the secretariat has asked for and not yet confirmed (its preview's Send / Cancel); `change` is
    -- kkrcore's change as JSON. Settled once, so Send pressed twice changes the plan once.
    CREATE TABLE meeting_change_drafts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        change TEXT NOT NULL,
        reason TEXT,
        created_at TEXT NOT NULL,
        created_by TEXT,
        settled_at TEXT
    );
    """,
    # 12: every change to `persons`, by any process (`kkrbot roster import` beside the running bot), counts up
    # meta's roster_version, so the running bot can keep the roster it loaded until it changes (RosterCache);
    # the outbox's queue per recipient, so finding each recipient's oldest unsent message is a walk of this
    # small index (it took 24 ms of CPU with 1,000 messages queued, and held the database meanwhile); sent_at and
    # failed_at, NULL in every entry, make it cover the query.
    """
    CREATE INDEX outbox_queue ON outbox (channel, address, id, sent_at, failed_at)
        WHERE sent_at IS NULL AND failed_at IS NULL;
    INSERT INTO meta (key, value) VALUES ('roster_version', '1');
    CREATE TRIGGER persons_inserted AFTER INSERT ON persons BEGIN
        UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'roster_version';
    END;
    CREATE TRIGGER persons_updated AFTER UPDATE ON persons BEGIN
        UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'roster_version';
    END;
    CREATE TRIGGER persons_deleted AFTER DELETE ON persons BEGIN
        UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'roster_version';
    END;
    """,
    # 13: a broadcast the bot words itself (an agenda's release or change) keeps its kind, so each recipient gets
    # the bot's own sentence in their language; `text` keeps only what the secretariat wrote.
    """
    ALTER TABLE broadcasts ADD COLUMN kind TEXT;
    """,
    # 14: the lots the secretariat records for ties in the composition (R-COMP-6), in the order the ties occur; an
    # absence closed because its member or substitute left the KKR says so (closed_by_departure).
    """
    CREATE TABLE composition_lots (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        winners TEXT NOT NULL,
        recorded_by TEXT,
        recorded_at TEXT NOT NULL
    );
    ALTER TABLE absences ADD COLUMN closed_by_departure INTEGER REFERENCES departures (id);
    """,
    # 15 (issue 19, elections): the chair and vice-chair the council elected, as the secretariat records them
    # (R-ELEC-1, R-PER-1: the computation yields groups, never people); a draft until its preview's Send, and
    # every recording kept, the latest sent one counting. The longest-serving mayor (R-MEET-2) is a roster field
    # the secretariat sets. Candidates who are council members of the region but not in the roster (R-ELEC-7)
    # have ids of their own; a round or list for a forum is a draft until Send (`settled`: 'sent' or
    # 'cancelled'), and a nomination after the deadline is flagged late.
    """
    CREATE TABLE chair_records (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        meeting_id TEXT NOT NULL,
        chair_id TEXT NOT NULL,
        vice_chair_id TEXT NOT NULL,
        created_by TEXT,
        created_at TEXT NOT NULL,
        settled TEXT CHECK (settled IN ('sent', 'cancelled')),
        settled_at TEXT
    );
    ALTER TABLE persons ADD COLUMN longest_serving INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE forum_candidates (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        municipality TEXT NOT NULL,
        party TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE forum_drafts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        forum_id TEXT NOT NULL,
        words TEXT NOT NULL,
        created_by TEXT,
        created_at TEXT NOT NULL,
        settled TEXT CHECK (settled IN ('sent', 'cancelled')),
        settled_at TEXT
    );
    ALTER TABLE ehus_nominations ADD COLUMN late INTEGER NOT NULL DEFAULT 0;
    """,
    # 16: a moved meeting: the substitute who had accepted is asked again (asked_again_at; the answer is cleared,
    # so nothing counts them as attending the new time). The attendance of record (R-MEET-4): each version of a
    # meeting's record is kept (history), with one row per seat; a draft is what the secretariat previews.
    """
    ALTER TABLE absences ADD COLUMN asked_again_at TEXT;

    CREATE TABLE attendance_records (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        meeting_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        recorded_at TEXT NOT NULL,
        recorded_by TEXT,
        UNIQUE (meeting_id, version)
    );
    CREATE TABLE attendance_seats (
        record_id INTEGER NOT NULL REFERENCES attendance_records (id),
        member_id TEXT NOT NULL,
        present TEXT NOT NULL CHECK (present IN ('member', 'substitute', 'absent')),
        substitute_id TEXT,
        PRIMARY KEY (record_id, member_id),
        CHECK ((present = 'substitute') = (substitute_id IS NOT NULL))
    );
    CREATE TABLE attendance_drafts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        meeting_id TEXT NOT NULL,
        seats TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT,
        settled_at TEXT
    );
    """,
    # 17: a processed `/start TOKEN` (Telegram) or `start TOKEN` (Teams) keeps no token: the statement that marks
    # it processed, whatever code writes it, cuts the text to the command, so the inbox (kept 30 days) holds no
    # invite token, used or not.
    """
    CREATE TRIGGER inbox_forget_invite_tokens AFTER UPDATE OF processed_at ON inbox
    WHEN NEW.processed_at IS NOT NULL
    BEGIN
        UPDATE inbox SET payload = json_set(payload, '$.message.text', '/start')
        WHERE channel = NEW.channel AND update_id = NEW.update_id AND CASE WHEN json_valid(payload) THEN
            lower(ltrim(json_extract(payload, '$.message.text'))) GLOB '/start[ @]*'
            OR lower(ltrim(json_extract(payload, '$.message.text'))) GLOB 'start *' ELSE 0 END;
        UPDATE inbox SET payload = json_set(payload, '$.text', 'start')
        WHERE channel = NEW.channel AND update_id = NEW.update_id AND CASE WHEN json_valid(payload) THEN
            lower(ltrim(json_extract(payload, '$.text'))) GLOB '/start[ @]*'
            OR lower(ltrim(json_extract(payload, '$.text'))) GLOB 'start *' ELSE 0 END;
    END;
    """,
    # 18 (issue 22): the calendar invitation each person was last sent by e-mail for each meeting (iTIP), so an
    # update goes out with the same UID and a higher SEQUENCE, and a cancellation once.
    """
    CREATE TABLE mail_invitations (
        person_id TEXT NOT NULL,
        meeting_id TEXT NOT NULL,
        sequence INTEGER NOT NULL,
        method TEXT NOT NULL CHECK (method IN ('REQUEST', 'CANCEL')),
        -- the calendar SEQUENCE of the meeting when it was sent: a change raises it, and an update is due
        source_sequence INTEGER NOT NULL,
        sent_at TEXT NOT NULL,
        PRIMARY KEY (person_id, meeting_id)
    );
    """,
    # 19 (issue 21): Teams bindings made in emulator mode (KKRBOT_TEAMS_EMULATOR=1, where loopback is trusted
    # without a token) are marked as they are made, in the binding's own transaction, while meta's teams_emulator
    # is set; the bot deletes them when it starts without the mode (bot/storage/emulator_accounts.py). And each
    # account's language, fixed at its first message with a locale (bot/storage/account_languages.py).
    """
    CREATE TABLE emulator_accounts (address TEXT PRIMARY KEY);
    CREATE TRIGGER emulator_account_bound AFTER INSERT ON accounts
    WHEN NEW.channel = 'teams' AND EXISTS (SELECT 1 FROM meta WHERE key = 'teams_emulator') BEGIN
        INSERT OR IGNORE INTO emulator_accounts (address) VALUES (NEW.address);
    END;
    CREATE TRIGGER emulator_account_rebound AFTER UPDATE ON accounts
    WHEN NEW.channel = 'teams' AND EXISTS (SELECT 1 FROM meta WHERE key = 'teams_emulator') BEGIN
        INSERT OR IGNORE INTO emulator_accounts (address) VALUES (NEW.address);
    END;
    CREATE TABLE account_languages (
        channel TEXT NOT NULL,
        address TEXT NOT NULL,
        language TEXT NOT NULL,
        set_at TEXT NOT NULL,
        PRIMARY KEY (channel, address)
    );
    """,
    # 20 (issue 20): when a message stops mattering (an alert or a reminder at its meeting's start): the outbox marks
    # it failed instead of sending it late, and the secretariat hears of it.
    """
    ALTER TABLE outbox ADD COLUMN deadline TEXT;
    """,
    # 21 (issue 20): the substitute's answer last told to the member and the secretariat, and when: one notice per
    # substitute, meeting and ten minutes, however often the answer flips (bot/storage/answer_notices.py).
    """
    CREATE TABLE answer_notices (
        absence_id INTEGER PRIMARY KEY REFERENCES absences (id),
        answer TEXT NOT NULL,
        told_at TEXT NOT NULL
    );
    """,
    # 22 (issue 23): a broadcast's number, the one people see, given when it is sent, so abandoned drafts leave no
    # gaps; those made before keep their id as their number (it is in messages and on buttons already), and the next
    # one sent comes after all of them (bot/storage/broadcasts.py).
    """
    ALTER TABLE broadcasts ADD COLUMN number INTEGER;
    UPDATE broadcasts SET number = id;
    CREATE UNIQUE INDEX broadcasts_number ON broadcasts (number);
    """,
    # 23 (issue 24): the council periods the bot has been given beyond the bundled one: each period's data file and
    # roster, as loaded with `kkrbot period load` (bot/storage/periods.py). A change counts as a roster change
    # (meta's roster_version), so a running bot reads the periods again with the roster. A person new in a loaded
    # period is in `persons` before it begins, marked with the period (`joins_period`), so they can be invited
    # and act for the new council; they join the roster at the crossing.
    """
    ALTER TABLE persons ADD COLUMN joins_period TEXT;
    -- A lot settles a tie in one period's composition (NULL: the period the bot was started with).
    ALTER TABLE composition_lots ADD COLUMN period TEXT;
    CREATE TABLE periods (
        name TEXT PRIMARY KEY,
        dataset TEXT NOT NULL,
        roster TEXT NOT NULL,
        constituent_id TEXT NOT NULL,
        constituent_start TEXT NOT NULL,
        loaded_at TEXT NOT NULL,
        crossed_at TEXT
    );
    CREATE TRIGGER periods_inserted AFTER INSERT ON periods BEGIN
        UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'roster_version';
    END;
    CREATE TRIGGER periods_updated AFTER UPDATE ON periods BEGIN
        UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'roster_version';
    END;
    CREATE TRIGGER periods_deleted AFTER DELETE ON periods BEGIN
        UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'roster_version';
    END;
    """,
    # 24 (issue 25): what it costs to find the next messages to send, and whether a broadcast is done, no longer grows
    # with the queue. The due rows are read in the order they go (interactive first, then by id) from `outbox_due`,
    # each checked for an older unsent row to its recipient in outbox_queue, until enough are found: with 5,000
    # queued, the GROUP BY over every recipient's queue took 2.6 ms of CPU on every read, and every answer's commit
    # wakes the worker to read again. A broadcast's rows are walked newest first (`broadcast_recipients_rows`), so the
    # first is usually one still unsent: the walk from the oldest passed every one already sent, each time a
    # message of the broadcast was marked sent (0.4 ms at 5,000).
    """
    CREATE INDEX outbox_due ON outbox (channel, lane = 'bulk', id) WHERE sent_at IS NULL AND failed_at IS NULL;
    CREATE INDEX broadcast_recipients_rows ON broadcast_recipients (broadcast_id, outbox_id);
    """,
    # 25: a departure the secretariat typed, previewed and recorded only on Send (bot/storage/departure_drafts.py).
    """
    CREATE TABLE departure_drafts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        words TEXT NOT NULL,
        created_by TEXT,
        created_at TEXT NOT NULL,
        settled TEXT CHECK (settled IN ('sent', 'cancelled')),
        settled_at TEXT
    );
    """,
    # 26: an account's language (account_languages) goes with its binding, in the same transaction, whichever code
    # unbinds it (a new invite for another phone, a person archived, the Teams emulator's bindings).
    """
    CREATE TRIGGER account_unbound AFTER DELETE ON accounts BEGIN
        DELETE FROM account_languages WHERE channel = OLD.channel AND address = OLD.address;
    END;
    """,
    # 27: an update stored processed already (one that cannot be parsed, kept aside as malformed) is never marked
    # processed later, so migration 17's trigger never scrubbed its `/start TOKEN`: the same scrub on insert.
    """
    CREATE TRIGGER inbox_forget_invite_tokens_of_the_set_aside AFTER INSERT ON inbox
    WHEN NEW.processed_at IS NOT NULL
    BEGIN
        UPDATE inbox SET payload = json_set(payload, '$.message.text', '/start')
        WHERE channel = NEW.channel AND update_id = NEW.update_id AND CASE WHEN json_valid(payload) THEN
            lower(ltrim(json_extract(payload, '$.message.text'))) GLOB '/start[ @]*'
            OR lower(ltrim(json_extract(payload, '$.message.text'))) GLOB 'start *' ELSE 0 END;
        UPDATE inbox SET payload = json_set(payload, '$.text', 'start')
        WHERE channel = NEW.channel AND update_id = NEW.update_id AND CASE WHEN json_valid(payload) THEN
            lower(ltrim(json_extract(payload, '$.text'))) GLOB '/start[ @]*'
            OR lower(ltrim(json_extract(payload, '$.text'))) GLOB 'start *' ELSE 0 END;
    END;
    UPDATE inbox SET payload = json_set(payload, '$.message.text', '/start')
    WHERE malformed IS NOT NULL AND CASE WHEN json_valid(payload) THEN
        lower(ltrim(json_extract(payload, '$.message.text'))) GLOB '/start[ @]*'
        OR lower(ltrim(json_extract(payload, '$.message.text'))) GLOB 'start *' ELSE 0 END;
    UPDATE inbox SET payload = json_set(payload, '$.text', 'start')
    WHERE malformed IS NOT NULL AND CASE WHEN json_valid(payload) THEN
        lower(ltrim(json_extract(payload, '$.text'))) GLOB '/start[ @]*'
        OR lower(ltrim(json_extract(payload, '$.text'))) GLOB 'start *' ELSE 0 END;
    """,
    # 28: the outbox's rows by recipient, for the yes/no questions recently sent to one chat (typed_answers: a typed
    # "ja"), which read every row of the channel through outbox_pending, a number that grows for ever (rows are
    # scrubbed, never deleted). outbox_pending goes: nothing else reads through it any more, and every sent mark
    # moved its entry, since it held sent_at (issue 25).
    """
    CREATE INDEX outbox_recipient ON outbox (channel, address, created_at);
    DROP INDEX outbox_pending;
    """,
    # 29: reads that ran over every row ever stored go through partial indexes of the few rows they want. Retention,
    # at every tick, scanned the inbox and the outbox whole (7-8 ms of CPU with 20,000 rows each, 51-84 ms with
    # 200,000, holding the write lock: bench.retention_reads); it now finds the rows whose text is not yet forgotten
    # by when they arrived (never later than processed or sent). /healthz counted unprocessed updates through
    # inbox_pending, all of it, and the health check scanned the inbox for malformed ones. inbox_pending goes: every
    # processed mark moved its entry.
    """
    CREATE INDEX inbox_unprocessed ON inbox (channel, update_id) WHERE processed_at IS NULL;
    CREATE INDEX inbox_malformed ON inbox (channel) WHERE malformed IS NOT NULL;
    CREATE INDEX inbox_to_forget ON inbox (received_at) WHERE payload != '{}';
    DROP INDEX inbox_pending;
    CREATE INDEX outbox_to_forget ON outbox (created_at) WHERE payload != '{"text": "", "forgotten": true}';
    """,
)
