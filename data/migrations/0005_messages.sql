-- The local copy of each mailbox's folders and messages, kept in step with the IMAP server.
-- A folder remembers where the last sync left off: the UIDVALIDITY its UIDs belong to, the
-- highest UID whose message is stored (so an interrupted sync continues), and the UIDNEXT
-- and HIGHESTMODSEQ of the last complete sync (so the next one asks only for changes).
CREATE TABLE folders (
    id             INTEGER PRIMARY KEY,
    mailbox_id     INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    name           TEXT NOT NULL,             -- the server's name, UTF-8
    delimiter      TEXT NOT NULL DEFAULT '',
    role           TEXT NOT NULL DEFAULT '' CHECK (role IN ('', 'inbox', 'sent', 'drafts', 'trash', 'junk', 'archive')),
    selectable     INTEGER NOT NULL DEFAULT 1 CHECK (selectable IN (0, 1)),
    uid_validity   INTEGER NOT NULL DEFAULT 0,
    fetched_uid    INTEGER NOT NULL DEFAULT 0, -- every message up to this UID is stored
    uid_next       INTEGER NOT NULL DEFAULT 0, -- of the last complete sync
    highest_modseq INTEGER NOT NULL DEFAULT 0, -- of the last complete sync; 0 without CONDSTORE
    synced_at      TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX folders_mailbox_name ON folders(mailbox_id, name);

-- One row per message of a folder, with what the message list shows. date is the server's
-- INTERNALDATE in Unix seconds: it orders the list (newest first, then by UID).
CREATE TABLE messages (
    id             INTEGER PRIMARY KEY,
    folder_id      INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    uid            INTEGER NOT NULL,
    date           INTEGER NOT NULL,
    sent_date      INTEGER NOT NULL DEFAULT 0,  -- the Date header, Unix seconds; 0 when missing
    size           INTEGER NOT NULL DEFAULT 0,
    seen           INTEGER NOT NULL DEFAULT 0 CHECK (seen IN (0, 1)),
    flagged        INTEGER NOT NULL DEFAULT 0 CHECK (flagged IN (0, 1)),
    answered       INTEGER NOT NULL DEFAULT 0 CHECK (answered IN (0, 1)),
    deleted        INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    draft          INTEGER NOT NULL DEFAULT 0 CHECK (draft IN (0, 1)),
    keywords       TEXT NOT NULL DEFAULT '',    -- other flags, space separated
    subject        TEXT NOT NULL DEFAULT '',
    from_name      TEXT NOT NULL DEFAULT '',
    from_addr      TEXT NOT NULL DEFAULT '',
    to_addrs       TEXT NOT NULL DEFAULT '',    -- "Name <addr>, ..." of To and Cc
    message_id     TEXT NOT NULL DEFAULT '',
    has_attachment INTEGER NOT NULL DEFAULT 0 CHECK (has_attachment IN (0, 1))
);
CREATE UNIQUE INDEX messages_folder_uid ON messages(folder_id, uid);
-- The message list's order, read a page at a time from a (date, uid) cursor.
CREATE INDEX messages_folder_date ON messages(folder_id, date DESC, uid DESC);

-- Bodies fetched when a message was opened, capped in size (truncated says so).
CREATE TABLE message_bodies (
    message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    raw        BLOB NOT NULL,
    truncated  INTEGER NOT NULL DEFAULT 0 CHECK (truncated IN (0, 1)),
    fetched_at TEXT NOT NULL
);

-- Full-text search over subject, sender, recipients and the text of cached bodies. FTS4, not
-- FTS5: mattn/go-sqlite3 compiles FTS4 by default, FTS5 only with a build tag every go
-- command would then need. docid is messages.id; triggers keep it in step.
CREATE VIRTUAL TABLE messages_fts USING fts4(subject, sender, recipients, body, tokenize=unicode61 "remove_diacritics=2");

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (docid, subject, sender, recipients, body)
    VALUES (new.id, new.subject, new.from_name || ' ' || new.from_addr, new.to_addrs, '');
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    DELETE FROM messages_fts WHERE docid = old.id;
END;
