-- One sync per folder at a time, across Mailroom processes too: a sync holds its folder's
-- lease while it runs and renews it; a lease not renewed by expires_at (its process was
-- killed) is free for the next sync to take.
CREATE TABLE sync_leases (
    folder_id  INTEGER PRIMARY KEY REFERENCES folders(id) ON DELETE CASCADE,
    holder     TEXT NOT NULL,    -- the holding sync's random token
    owner      TEXT NOT NULL,    -- who that is, for a person: "process 1234 of ann"
    expires_at INTEGER NOT NULL  -- Unix milliseconds
);
