-- Users are the OS accounts that have started Mailroom on this database.
CREATE TABLE users (
    name       TEXT PRIMARY KEY,
    first_seen TEXT NOT NULL
);

-- Operation grants: which users may perform which operation.
CREATE TABLE grants (
    user_name  TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    operation  TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    PRIMARY KEY (user_name, operation)
);

CREATE TABLE providers (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    name_key      TEXT NOT NULL UNIQUE, -- lower(trim(name)), for uniqueness ignoring case and spaces
    imap_enabled  INTEGER NOT NULL,
    imap_host     TEXT NOT NULL,
    imap_port     INTEGER NOT NULL,
    imap_security TEXT NOT NULL CHECK (imap_security IN ('ssl', 'starttls', 'none')),
    smtp_enabled  INTEGER NOT NULL,
    smtp_host     TEXT NOT NULL,
    smtp_port     INTEGER NOT NULL,
    smtp_security TEXT NOT NULL CHECK (smtp_security IN ('ssl', 'starttls', 'none')),
    smtp_timeout  INTEGER NOT NULL CHECK (smtp_timeout BETWEEN 1 AND 600),
    login_rule    TEXT NOT NULL CHECK (login_rule IN ('manual', 'localpart', 'address')),
    logo          BLOB,
    version       INTEGER NOT NULL DEFAULT 1,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_by    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- A domain belongs to one provider only. Stored in ASCII (punycode) form, lowercase, no trailing dot.
CREATE TABLE provider_domains (
    domain      TEXT PRIMARY KEY,
    provider_id INTEGER NOT NULL REFERENCES providers(id) ON DELETE CASCADE
);
CREATE INDEX provider_domains_provider ON provider_domains(provider_id);
