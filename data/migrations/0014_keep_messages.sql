-- "Keep messages on this computer", per mailbox (on by default, as Thunderbird does for IMAP):
-- after the headers, the bodies of the messages from load_from on are downloaded in the
-- background into message_bodies, so search finds words in every message.
ALTER TABLE mailboxes ADD COLUMN keep_messages INTEGER NOT NULL DEFAULT 1 CHECK (keep_messages IN (0, 1));

-- The "Load emails from" date a folder's cache was filled from ('' for all mail): when the
-- mailbox's date moves earlier, the next sync fetches the older messages; later, it drops
-- them from the cache (never from the server).
ALTER TABLE folders ADD COLUMN loaded_from TEXT NOT NULL DEFAULT '';

-- Indexing each new message for search from a trigger costs about 50 µs a row (most of a
-- first sync's database time); StoreMessages indexes the rows it inserts with one statement
-- per transaction instead, about a fifth of that. Every insert into messages goes through it.
DROP TRIGGER messages_fts_insert;
