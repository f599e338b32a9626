-- Escalations to compliance: failed checks or an unreachable investor. Append-only; a resolution
-- is a record of its own.
CREATE TABLE escalations (
    id            TEXT PRIMARY KEY,
    callback_id   TEXT NOT NULL REFERENCES callbacks(id),
    order_id      TEXT NOT NULL REFERENCES orders(id),
    investor_id   TEXT NOT NULL REFERENCES investors(id),
    reason        TEXT NOT NULL CHECK (reason IN ('failed_checks', 'unreachable')),
    failed_checks TEXT NOT NULL,
    opened_at     TEXT NOT NULL
);

CREATE TABLE escalation_resolutions (
    escalation_id TEXT PRIMARY KEY REFERENCES escalations(id),
    resolved_by   TEXT NOT NULL REFERENCES staff(id),
    note          TEXT NOT NULL,
    resolved_at   TEXT NOT NULL
);

CREATE TRIGGER escalations_no_update BEFORE UPDATE ON escalations
BEGIN SELECT RAISE(ABORT, 'escalations are append-only'); END;
CREATE TRIGGER escalations_no_delete BEFORE DELETE ON escalations
BEGIN SELECT RAISE(ABORT, 'escalations are append-only'); END;
CREATE TRIGGER escalation_resolutions_no_update BEFORE UPDATE ON escalation_resolutions
BEGIN SELECT RAISE(ABORT, 'escalation resolutions are append-only'); END;
CREATE TRIGGER escalation_resolutions_no_delete BEFORE DELETE ON escalation_resolutions
BEGIN SELECT RAISE(ABORT, 'escalation resolutions are append-only'); END;
