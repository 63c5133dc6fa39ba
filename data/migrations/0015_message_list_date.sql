-- The message list orders and dates a message by its Date header, when it was written, and
-- by INTERNALDATE, when the server received it, where the Date header is missing or claims a
-- time after the message arrived (a sender's wrong clock, or spam dated 2099). INTERNALDATE
-- alone misleads: messages moved or imported from another server all arrive at the same time.
ALTER TABLE messages ADD COLUMN list_date INTEGER NOT NULL
    GENERATED ALWAYS AS (CASE WHEN sent_date = 0 OR sent_date > date THEN date ELSE sent_date END) VIRTUAL;

-- The list's order, read a page at a time by offset (the scrollbar stands for the whole folder)
-- or from a (list_date, uid) cursor. deleted is in the key so that skipping to an offset and
-- counting the folder read this index alone, never the rows.
DROP INDEX messages_folder_date;
CREATE INDEX messages_folder_list ON messages(folder_id, deleted, list_date DESC, uid DESC);

-- How many messages each folder shows (not marked deleted) and how many of them are unread,
-- kept by triggers in the same transaction as the change. Counting 100,000 index entries
-- takes 5 to 10 ms, more than a whole refresh of the list may take after each change.
ALTER TABLE folders ADD COLUMN shown INTEGER NOT NULL DEFAULT 0;
ALTER TABLE folders ADD COLUMN unread INTEGER NOT NULL DEFAULT 0;
UPDATE folders SET
    shown = (SELECT count(*) FROM messages WHERE folder_id = folders.id AND deleted = 0),
    unread = (SELECT count(*) FROM messages WHERE folder_id = folders.id AND deleted = 0 AND seen = 0);

CREATE TRIGGER messages_count_insert AFTER INSERT ON messages WHEN new.deleted = 0 BEGIN
    UPDATE folders SET shown = shown + 1, unread = unread + (new.seen = 0) WHERE id = new.folder_id;
END;
CREATE TRIGGER messages_count_delete AFTER DELETE ON messages WHEN old.deleted = 0 BEGIN
    UPDATE folders SET shown = shown - 1, unread = unread - (old.seen = 0) WHERE id = old.folder_id;
END;
CREATE TRIGGER messages_count_update AFTER UPDATE OF folder_id, deleted, seen ON messages
    WHEN old.folder_id != new.folder_id OR old.deleted != new.deleted OR old.seen != new.seen BEGIN
    UPDATE folders SET shown = shown - (old.deleted = 0), unread = unread - (old.deleted = 0 AND old.seen = 0)
        WHERE id = old.folder_id;
    UPDATE folders SET shown = shown + (new.deleted = 0), unread = unread + (new.deleted = 0 AND new.seen = 0)
        WHERE id = new.folder_id;
END;
