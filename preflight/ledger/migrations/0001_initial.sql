-- The ledger's first schema. Times are UTC ISO-8601 strings ("2026-11-22T15:04:05+00:00")
-- so the same SQL runs on SQLite and PostgreSQL.

CREATE TABLE campaigns (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,      -- the campaign file's [campaign].name or file stem
    created_at  TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'active',   -- active | paused | stopped | done
    state_reason TEXT
);

-- One row per (campaign, recipient): the message's whole life.
CREATE TABLE messages (
    id            INTEGER PRIMARY KEY,
    campaign_id   INTEGER NOT NULL REFERENCES campaigns(id),
    recipient     TEXT NOT NULL,           -- normalized (lower-case domain) address
    mailbox       TEXT NOT NULL,           -- the From address of the mailbox that sends it
    message_id    TEXT UNIQUE,             -- the Message-ID header, "<...@domain>"
    state         TEXT NOT NULL,           -- queued | sending | sent | deferred | bounced
                                           -- | failed | skipped | unknown
    attempts      INTEGER NOT NULL DEFAULT 0,
    soft_failures INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,                  -- for deferred messages
    reply_code    INTEGER,                 -- last SMTP reply (or bounce) code, e.g. 550
    reply_status  TEXT,                    -- enhanced status, e.g. 5.1.1
    reply_text    TEXT,
    reason        TEXT,                    -- sisimai reason name of the last failure
    hard          INTEGER,                 -- 1 hard, 0 soft, NULL not a failure
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    sent_at       TEXT,
    UNIQUE (campaign_id, recipient)
);
CREATE INDEX messages_state ON messages (campaign_id, state);
CREATE INDEX messages_mailbox_sent ON messages (mailbox, sent_at);
CREATE INDEX messages_recipient ON messages (recipient);

-- One list for all campaigns.
CREATE TABLE suppression (
    address     TEXT PRIMARY KEY,          -- normalized address
    reason      TEXT NOT NULL,             -- userunknown, feedback, soft-limit, manual, ...
    source      TEXT NOT NULL,             -- smtp | bounce | complaint | manual | import
    detail      TEXT,
    created_at  TEXT NOT NULL
);

-- Bounce messages read from a mailbox; fingerprint makes an import idempotent.
CREATE TABLE bounces (
    id                  INTEGER PRIMARY KEY,
    fingerprint         TEXT NOT NULL UNIQUE,
    message_row         INTEGER REFERENCES messages(id),
    recipient           TEXT NOT NULL,
    status              TEXT,
    reason              TEXT NOT NULL,
    hard                INTEGER NOT NULL,
    replycode           INTEGER,
    action              TEXT,
    diagnostic          TEXT,
    original_message_id TEXT,
    detector            TEXT,
    source              TEXT,              -- where the raw message is: path, mbox#n, imap uid
    received_at         TEXT,
    imported_at         TEXT NOT NULL
);
CREATE INDEX bounces_recipient ON bounces (recipient);
