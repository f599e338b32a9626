-- The append-only, hash-chained audit trail: who did what, when, to which record, with a digest
-- of the change. Each entry's hash covers the previous entry's hash, so an altered, removed or
-- reordered row breaks the chain (`suitability audit verify`).
CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY,
    at          TEXT NOT NULL,
    actor_id    TEXT,
    actor_roles TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity      TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    digest      TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
