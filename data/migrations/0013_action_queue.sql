-- Message actions (flag, read, move, delete) wait here until the server has applied them, so
-- that an action made offline, or left when Mailroom was killed, is applied later, once.
-- The cache shows an action at once: queueing it changes the message's row in the same
-- transaction, and a refused action puts the row back (undo holds the value before).
CREATE TABLE action_queue (
    id                INTEGER PRIMARY KEY,
    mailbox_id        INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    folder_id         INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    uid_validity      INTEGER NOT NULL,           -- the UIDs below belong to it
    uids              TEXT NOT NULL,              -- an IMAP UID set: "12" or "1:40,52"
    message_id        INTEGER,                    -- the row it changes, when one message
    kind              TEXT NOT NULL CHECK (kind IN ('seen', 'flagged', 'move', 'expunge')),
    value             INTEGER NOT NULL DEFAULT 1 CHECK (value IN (0, 1)), -- seen/flagged: set or clear
    undo              INTEGER NOT NULL DEFAULT 0 CHECK (undo IN (0, 1)),  -- the flag's value before
    target_id         INTEGER REFERENCES folders(id) ON DELETE CASCADE,  -- move: where to
    is_delete         INTEGER NOT NULL DEFAULT 0 CHECK (is_delete IN (0, 1)), -- a move to Trash, for Undo
    state             TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done')),
    claimed_until     INTEGER NOT NULL DEFAULT 0, -- Unix ms; a running action not finished by then is pending again
    dest_uid_validity INTEGER NOT NULL DEFAULT 0, -- done move: where the server put it (COPYUID)
    dest_uid          INTEGER NOT NULL DEFAULT 0,
    attempts          INTEGER NOT NULL DEFAULT 0,
    last_error        TEXT NOT NULL DEFAULT '',
    created_at        TEXT NOT NULL
);
CREATE INDEX action_queue_mailbox ON action_queue(mailbox_id, state, id);
CREATE INDEX action_queue_message ON action_queue(message_id);
