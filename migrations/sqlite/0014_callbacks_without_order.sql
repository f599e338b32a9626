-- no-transaction
-- A complaint follow-up is a callback (and may become an escalation) without an order or a
-- product: order_id and product_id become optional and a callback may name its complaint.
-- SQLite cannot drop NOT NULL, so both tables are rebuilt by SQLite's documented procedure
-- (foreign keys off meanwhile, checked before commit).
PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE callbacks_new (
    id           TEXT PRIMARY KEY,
    order_id     TEXT REFERENCES orders(id),
    investor_id  TEXT NOT NULL REFERENCES investors(id),
    product_id   TEXT REFERENCES products(id),
    kind         TEXT NOT NULL CHECK (kind IN ('confirmation', 'periodic', 'special')),
    reason       TEXT NOT NULL,
    due_from     TEXT NOT NULL,
    due_by       TEXT NOT NULL,
    checks       TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('open', 'completed', 'failed', 'escalated', 'cancelled')),
    assignee_id  TEXT REFERENCES staff(id),
    attempts     BIGINT NOT NULL DEFAULT 0,
    decision_id  TEXT REFERENCES decisions(id),
    created_at   TEXT NOT NULL,
    closed_at    TEXT,
    complaint_id TEXT REFERENCES complaints(id)
);
INSERT INTO callbacks_new (id, order_id, investor_id, product_id, kind, reason, due_from, due_by, checks, status,
    assignee_id, attempts, decision_id, created_at, closed_at)
SELECT id, order_id, investor_id, product_id, kind, reason, due_from, due_by, checks, status,
    assignee_id, attempts, decision_id, created_at, closed_at FROM callbacks;
DROP TABLE callbacks;
ALTER TABLE callbacks_new RENAME TO callbacks;
CREATE INDEX callbacks_due_idx ON callbacks (status, due_from);
CREATE INDEX callbacks_order_idx ON callbacks (order_id);

CREATE TABLE escalations_new (
    id            TEXT PRIMARY KEY,
    callback_id   TEXT NOT NULL REFERENCES callbacks(id),
    order_id      TEXT REFERENCES orders(id),
    investor_id   TEXT NOT NULL REFERENCES investors(id),
    reason        TEXT NOT NULL CHECK (reason IN ('failed_checks', 'unreachable')),
    failed_checks TEXT NOT NULL,
    opened_at     TEXT NOT NULL
);
INSERT INTO escalations_new SELECT id, callback_id, order_id, investor_id, reason, failed_checks, opened_at FROM escalations;
DROP TABLE escalations;
ALTER TABLE escalations_new RENAME TO escalations;
CREATE TRIGGER escalations_no_update BEFORE UPDATE ON escalations
BEGIN SELECT RAISE(ABORT, 'escalations are append-only'); END;
CREATE TRIGGER escalations_no_delete BEFORE DELETE ON escalations
BEGIN SELECT RAISE(ABORT, 'escalations are append-only'); END;

COMMIT;
PRAGMA foreign_keys = ON;
