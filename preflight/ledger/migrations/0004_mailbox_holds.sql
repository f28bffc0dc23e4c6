-- A mailbox held back until a provider's own limit wears off ("5.4.5 Daily user sending limit
-- exceeded"): unlike a pause, a hold ends by itself at `until_at` and needs no --unpause.

CREATE TABLE mailbox_holds (
    mailbox    TEXT PRIMARY KEY,
    reason     TEXT NOT NULL,                 -- the provider's answer, as received
    until_at   TEXT NOT NULL,                 -- UTC ISO-8601: sending resumes then
    campaign   TEXT,
    held_at    TEXT NOT NULL
);
