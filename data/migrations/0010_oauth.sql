-- OAuth 2.0 sign-in (the browser flow) for incoming and outgoing mail, each on its own: how a
-- mailbox of the provider signs in, and the provider's authorization server. No token is kept
-- here: the refresh token lives in the OS keyring under the mailbox's keyring_ref.
ALTER TABLE providers ADD COLUMN imap_auth TEXT NOT NULL DEFAULT 'password' CHECK (imap_auth IN ('password', 'oauth2'));
ALTER TABLE providers ADD COLUMN smtp_auth TEXT NOT NULL DEFAULT 'password' CHECK (smtp_auth IN ('password', 'oauth2'));
ALTER TABLE providers ADD COLUMN oauth_issuer TEXT NOT NULL DEFAULT '';
ALTER TABLE providers ADD COLUMN oauth_auth_url TEXT NOT NULL DEFAULT '';
ALTER TABLE providers ADD COLUMN oauth_token_url TEXT NOT NULL DEFAULT '';
ALTER TABLE providers ADD COLUMN oauth_scopes TEXT NOT NULL DEFAULT ''; -- space-separated
ALTER TABLE providers ADD COLUMN oauth_client_id TEXT NOT NULL DEFAULT '';
-- The authorization server refused the mailbox's refresh token (revoked or expired): the person
-- must sign in again. Recorded with state 'error' and the sentence in last_error.
ALTER TABLE mailboxes ADD COLUMN sign_in_needed INTEGER NOT NULL DEFAULT 0 CHECK (sign_in_needed IN (0, 1));
