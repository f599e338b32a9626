-- Entries from now on are keyed: their hash is an HMAC under a key derived from the data key,
-- which the database never holds, so database access alone cannot write a consistent chain.
-- Entries from before keep their plain SHA-256 hash (keyed = false) and must all come first.
ALTER TABLE audit_log ADD COLUMN keyed BOOLEAN NOT NULL DEFAULT FALSE;
