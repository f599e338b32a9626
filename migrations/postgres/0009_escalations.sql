-- Escalations to compliance: failed checks or an unreachable investor. Append-only; a resolution
-- is a record of its own.
CREATE TABLE escalations (
    id            TEXT PRIMARY KEY,
    callback_id   TEXT NOT NULL REFERENCES callbacks(id),
    order_id      TEXT NOT NULL REFERENCES orders(id),
    investor_id   TEXT NOT NULL REFERENCES investors(id),
    reason        TEXT NOT NULL CHECK (reason IN ('failed_checks', 'unreachable')),
    failed_checks JSONB NOT NULL,
    opened_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE escalation_resolutions (
    escalation_id TEXT PRIMARY KEY REFERENCES escalations(id),
    resolved_by   TEXT NOT NULL REFERENCES staff(id),
    note          TEXT NOT NULL,
    resolved_at   TIMESTAMPTZ NOT NULL
);

CREATE TRIGGER escalations_no_update BEFORE UPDATE OR DELETE ON escalations
FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER escalation_resolutions_no_update BEFORE UPDATE OR DELETE ON escalation_resolutions
FOR EACH ROW EXECUTE FUNCTION forbid_change();
