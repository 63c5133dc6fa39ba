-- Settings found automatically for one person's mailbox, used without adding them to the
-- shared provider list: such a provider belongs to its owner, has no domains, and is not listed.
ALTER TABLE providers ADD COLUMN owner TEXT;
CREATE INDEX providers_owner ON providers(owner);
