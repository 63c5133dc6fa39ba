-- Personal mailboxes: each belongs to one user (the OS account that added it) and takes its
-- server settings from a provider card. The password is not here: keyring_ref names the entry
-- in the OS keyring that holds it.
CREATE TABLE mailboxes (
    id          INTEGER PRIMARY KEY,
    owner       TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    address     TEXT NOT NULL,
    sender_name TEXT NOT NULL DEFAULT '',
    -- A provider that mailboxes use cannot be deleted: they would lose their servers.
    provider_id INTEGER NOT NULL REFERENCES providers(id) ON DELETE RESTRICT,
    login       TEXT NOT NULL,
    signature   TEXT NOT NULL DEFAULT '',
    load_from   TEXT CHECK (load_from IS NULL OR load_from GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    keyring_ref TEXT NOT NULL UNIQUE,
    is_default  INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    state       TEXT NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'ok', 'error')),
    last_error  TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX mailboxes_owner_address ON mailboxes(owner, lower(address));
-- At most one default mailbox per owner.
CREATE UNIQUE INDEX mailboxes_owner_default ON mailboxes(owner) WHERE is_default = 1;
CREATE INDEX mailboxes_provider ON mailboxes(provider_id);

-- Certificates a person decided to trust although they fail verification (self-signed, private
-- CA): the SHA-256 of the server's leaf certificate, per host and port.
CREATE TABLE cert_pins (
    host       TEXT NOT NULL,
    port       INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    sha256     TEXT NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
    subject    TEXT NOT NULL DEFAULT '',
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    PRIMARY KEY (host, port)
);
