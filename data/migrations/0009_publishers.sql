-- Operation permissions no longer live among the OS users of one database: each person has a
-- database of their own (created readable by its owner only), so a grant to a second OS user
-- protected nothing. Who may change the office's provider list is now who may sign it: the
-- publishers below. The database's owner keeps every mailbox, provider and pin it held.
DROP TABLE grants;

-- The publishers of the provider list this database publishes: each a name and a minisign
-- public key (base64, the second line of a minisign .pub file). Changes take effect with the
-- next publish.
CREATE TABLE publishers (
    public_key TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    added_by   TEXT NOT NULL,
    added_at   TEXT NOT NULL
);

-- The publishers of the subscribed list trusted now: a refresh is accepted only when one of
-- them signed it. Set by subscribing (the one key given) and by each accepted refresh.
CREATE TABLE list_publishers (
    public_key TEXT PRIMARY KEY,
    name       TEXT NOT NULL DEFAULT ''
);

-- This database's own signing key: the public half. The secret half is only in the OS
-- keyring, under keyring_ref.
CREATE TABLE signing_key (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    public_key  TEXT NOT NULL,
    keyring_ref TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

-- The last list this database published: its sequence number, folder and time.
CREATE TABLE publishing (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    sequence     INTEGER NOT NULL,
    dir          TEXT NOT NULL,
    published_at TEXT NOT NULL
);

-- The last accepted copy of the subscribed list: its sequence number, the time its publisher
-- signed it, and the SHA-256 of its index (the same number must come with the same index).
ALTER TABLE provider_subscription ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0;
ALTER TABLE provider_subscription ADD COLUMN signed_at TEXT NOT NULL DEFAULT '';
ALTER TABLE provider_subscription ADD COLUMN index_sha256 TEXT NOT NULL DEFAULT '';
