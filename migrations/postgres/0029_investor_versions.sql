-- Investors change: a postal address (sealed, as phone and e-mail) and an occupation, and every
-- change is a version of its own (who, when, which fields from what to what; personal data
-- masked), append-only.
ALTER TABLE investors ADD COLUMN address TEXT;
ALTER TABLE investors ADD COLUMN occupation TEXT;
CREATE TABLE investor_versions (
    investor_id TEXT NOT NULL REFERENCES investors(id),
    version     BIGINT NOT NULL,
    changes     JSONB NOT NULL,
    reason      TEXT,
    changed_by  TEXT NOT NULL REFERENCES staff(id),
    changed_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (investor_id, version)
);
CREATE TRIGGER investor_versions_no_update BEFORE UPDATE OR DELETE ON investor_versions
FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER investor_versions_no_truncate BEFORE TRUNCATE ON investor_versions
FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
