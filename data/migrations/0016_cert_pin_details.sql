-- What the renewed-certificate dialog shows of the certificate trusted before, beside the one
-- a server presents now: who issued it and when it is valid. Pins saved before this migration
-- have '' here ("not recorded"); not_before and not_after are RFC 3339 times.
ALTER TABLE cert_pins ADD COLUMN issuer TEXT NOT NULL DEFAULT '';
ALTER TABLE cert_pins ADD COLUMN not_before TEXT NOT NULL DEFAULT '';
ALTER TABLE cert_pins ADD COLUMN not_after TEXT NOT NULL DEFAULT '';
