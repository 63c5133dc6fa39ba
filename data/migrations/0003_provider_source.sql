-- The id of the emailProvider a provider was imported from (Mozilla autoconfig clientConfig),
-- so a later import of the same file updates it instead of adding a copy. NULL for providers
-- made in Mailroom; SQLite lets any number of rows hold NULL under a UNIQUE index.
ALTER TABLE providers ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX providers_external_id ON providers(external_id);
