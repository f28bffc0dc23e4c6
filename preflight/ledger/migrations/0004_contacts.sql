-- People across campaigns. One identity per mailbox (the spelling `check` compares: case,
-- Gmail dots and +tags, provider aliases); every address a list, an inbox or a suppression
-- used is mapped to it. A person's history is what the ledger already holds for those
-- addresses (messages, bounces, suppression) plus the events that have no other home:
-- replies, auto-replies, opt-outs, manual suppressions, skipped re-contacts.

CREATE TABLE contact_addresses (
    address     TEXT PRIMARY KEY,          -- normalized address, as messages.recipient
    identity    TEXT NOT NULL,             -- the mailbox key
    created_at  TEXT NOT NULL
);
CREATE INDEX contact_addresses_identity ON contact_addresses (identity);

CREATE TABLE contact_events (
    id           INTEGER PRIMARY KEY,
    fingerprint  TEXT NOT NULL UNIQUE,     -- makes every import idempotent
    identity     TEXT NOT NULL,
    address      TEXT NOT NULL,
    kind         TEXT NOT NULL,            -- reply | autoreply | optout | other | suppressed
                                           -- | unsuppressed
    at           TEXT NOT NULL,            -- when it happened (UTC ISO-8601)
    campaign     TEXT,                     -- the campaign it answers, when known
    message_row  INTEGER REFERENCES messages(id),
    until_date   TEXT,                     -- an auto-reply's return date (YYYY-MM-DD)
    detail       TEXT,                     -- one line: subject, the words that opted out
    source       TEXT,                     -- where the raw message is (path, mbox#n, imap)
    imported_at  TEXT NOT NULL
);
CREATE INDEX contact_events_identity ON contact_events (identity, at);
CREATE INDEX contact_events_kind ON contact_events (kind, identity);

-- The policy each campaign was last sent under, so that a bounce or a reply imported later
-- is judged by the campaign's own rules, not by defaults.
CREATE TABLE campaign_policies (
    campaign_id  INTEGER PRIMARY KEY REFERENCES campaigns(id),
    policy       TEXT NOT NULL,            -- JSON
    updated_at   TEXT NOT NULL
);

-- Follow-up steps. Step k of a campaign is a campaign row of its own per sending mailbox
-- (a follow-up goes from the mailbox of the first mail), so every message keeps the one
-- state machine of `messages`, and warm-up caps count follow-ups like first mails.
CREATE TABLE campaign_steps (
    campaign_id  INTEGER PRIMARY KEY REFERENCES campaigns(id),
    parent_id    INTEGER NOT NULL REFERENCES campaigns(id),
    step         INTEGER NOT NULL,         -- 1 = the first follow-up
    mailbox      TEXT NOT NULL,
    UNIQUE (parent_id, step, mailbox)
);

-- How a follow-up threads on the person's previous message.
CREATE TABLE threads (
    message_row   INTEGER PRIMARY KEY REFERENCES messages(id),
    previous_row  INTEGER NOT NULL REFERENCES messages(id),
    in_reply_to   TEXT NOT NULL,
    refs          TEXT NOT NULL,           -- the References header, space-separated ids
    subject       TEXT NOT NULL
);
