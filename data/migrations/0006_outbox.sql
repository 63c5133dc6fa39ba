-- "The server saves sent messages" on a provider card (Gmail does): then Mailroom does not
-- append its own copy to the Sent folder, so the copy is never doubled.
ALTER TABLE providers ADD COLUMN server_saves_sent INTEGER NOT NULL DEFAULT 0 CHECK (server_saves_sent IN (0, 1));

-- Messages being written, saved as typed (addresses unchecked) so nothing is lost.
-- attachments is a JSON array of file paths; refs the References ids, space separated.
CREATE TABLE drafts (
    id          INTEGER PRIMARY KEY,
    owner       TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    mailbox_id  INTEGER REFERENCES mailboxes(id) ON DELETE SET NULL,
    from_addr   TEXT NOT NULL DEFAULT '',
    to_addrs    TEXT NOT NULL DEFAULT '',
    cc_addrs    TEXT NOT NULL DEFAULT '',
    bcc_addrs   TEXT NOT NULL DEFAULT '',
    subject     TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL DEFAULT '',
    attachments TEXT NOT NULL DEFAULT '[]',
    in_reply_to TEXT NOT NULL DEFAULT '',
    refs        TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX drafts_owner ON drafts(owner, updated_at);

-- Messages on their way out: queued -> sending -> sent, or failed (a permanent refusal, the
-- person fixes and resends) or interrupted (Mailroom stopped while sending: the server may
-- have it, so it is never sent again without the person). The text is cleared once the
-- server accepted it and the Sent copy is done. message_id and date are fixed when queued,
-- so a retry sends the same message.
CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY,
    owner         TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    mailbox_id    INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    from_addr     TEXT NOT NULL,
    to_addrs      TEXT NOT NULL DEFAULT '',
    cc_addrs      TEXT NOT NULL DEFAULT '',
    bcc_addrs     TEXT NOT NULL DEFAULT '',
    subject       TEXT NOT NULL DEFAULT '',
    body          TEXT NOT NULL DEFAULT '',
    attachments   TEXT NOT NULL DEFAULT '[]',
    in_reply_to   TEXT NOT NULL DEFAULT '',
    refs          TEXT NOT NULL DEFAULT '',
    message_id    TEXT NOT NULL,
    date          TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'interrupted')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_attempt  TEXT NOT NULL,             -- when a queued message may be tried
    claimed_by    TEXT NOT NULL DEFAULT '',  -- the process sending it: host/pid
    last_error    TEXT NOT NULL DEFAULT '',  -- the plain sentence of the last failure
    sent_copy     TEXT NOT NULL DEFAULT '' CHECK (sent_copy IN ('', 'pending', 'done', 'skipped')),
    sent_at       TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX outbox_owner_state ON outbox(owner, state, next_attempt);
