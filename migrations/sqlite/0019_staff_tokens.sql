-- Staff can be disabled, and tokens expire and remember their last use. A token from before has
-- no expires_at: it expires 90 days after it was created (the default of `token create`).
ALTER TABLE staff ADD COLUMN disabled_at TEXT;
ALTER TABLE tokens ADD COLUMN expires_at TEXT;
ALTER TABLE tokens ADD COLUMN last_used_at TEXT;
