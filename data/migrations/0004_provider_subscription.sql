-- A provider list this database follows: an https URL of an index.txt naming clientConfig
-- files beside it, or a folder (a network share) of clientConfig files. At most one row.
CREATE TABLE provider_subscription (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    source          TEXT NOT NULL,
    subscribed_by   TEXT NOT NULL,
    subscribed_at   TEXT NOT NULL,
    last_attempt_at TEXT NOT NULL DEFAULT '', -- '' before the first refresh
    last_good_at    TEXT NOT NULL DEFAULT '', -- when the list was last applied; '' never
    last_error      TEXT NOT NULL DEFAULT ''  -- why the last refresh failed; '' when it worked
);

-- The subscription source a provider comes from: such a provider is read-only here and changes
-- only when the list is refreshed. NULL for providers kept in this database.
ALTER TABLE providers ADD COLUMN managed_by TEXT;
CREATE INDEX providers_managed_by ON providers(managed_by) WHERE managed_by IS NOT NULL;
