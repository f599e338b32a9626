-- no-transaction
-- The callback desk's records, as on the paper forms (seed 002): a callback past its deadline
-- becomes `overdue` (still workable) and escalates with an instruction; a callback has a planned
-- method (回访方式); an outcome has its respondent, satisfaction, opinions and open issues, which
-- are tracked until closed (append-only, a closure is a record of its own); a review has a
-- verdict (legacy reviews have none). SQLite cannot alter a CHECK, so `callbacks` and
-- `escalations` are rebuilt by SQLite's documented procedure (foreign keys off meanwhile).
PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE callbacks_new (
    id             TEXT PRIMARY KEY,
    order_id       TEXT REFERENCES orders(id),
    investor_id    TEXT NOT NULL REFERENCES investors(id),
    product_id     TEXT REFERENCES products(id),
    kind           TEXT NOT NULL CHECK (kind IN ('confirmation', 'periodic', 'special')),
    reason         TEXT NOT NULL,
    due_from       TEXT NOT NULL,
    due_by         TEXT NOT NULL,
    checks         TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('open', 'overdue', 'completed', 'failed', 'escalated', 'cancelled')),
    assignee_id    TEXT REFERENCES staff(id),
    attempts       BIGINT NOT NULL DEFAULT 0,
    decision_id    TEXT REFERENCES decisions(id),
    created_at     TEXT NOT NULL,
    closed_at      TEXT,
    complaint_id   TEXT REFERENCES complaints(id),
    cancel_reason  TEXT,
    planned_method TEXT NOT NULL DEFAULT 'phone' CHECK (planned_method IN ('phone', 'email', 'letter', 'visit', 'video'))
);
INSERT INTO callbacks_new (id, order_id, investor_id, product_id, kind, reason, due_from, due_by, checks, status,
    assignee_id, attempts, decision_id, created_at, closed_at, complaint_id, cancel_reason)
SELECT id, order_id, investor_id, product_id, kind, reason, due_from, due_by, checks, status,
    assignee_id, attempts, decision_id, created_at, closed_at, complaint_id, cancel_reason FROM callbacks;
DROP TABLE callbacks;
ALTER TABLE callbacks_new RENAME TO callbacks;
CREATE INDEX callbacks_due_idx ON callbacks (status, due_from);
CREATE INDEX callbacks_order_idx ON callbacks (order_id);
CREATE INDEX callbacks_investor_idx ON callbacks (investor_id, status);

CREATE TABLE escalations_new (
    id            TEXT PRIMARY KEY,
    callback_id   TEXT NOT NULL REFERENCES callbacks(id),
    order_id      TEXT REFERENCES orders(id),
    investor_id   TEXT NOT NULL REFERENCES investors(id),
    reason        TEXT NOT NULL CHECK (reason IN ('failed_checks', 'unreachable', 'overdue')),
    failed_checks TEXT NOT NULL,
    opened_at     TEXT NOT NULL,
    instruction   TEXT
);
INSERT INTO escalations_new (id, callback_id, order_id, investor_id, reason, failed_checks, opened_at)
SELECT id, callback_id, order_id, investor_id, reason, failed_checks, opened_at FROM escalations;
DROP TABLE escalations;
ALTER TABLE escalations_new RENAME TO escalations;
CREATE TRIGGER escalations_no_update BEFORE UPDATE ON escalations
BEGIN SELECT RAISE(ABORT, 'escalations are append-only'); END;
CREATE TRIGGER escalations_no_delete BEFORE DELETE ON escalations
BEGIN SELECT RAISE(ABORT, 'escalations are append-only'); END;

ALTER TABLE callback_outcomes ADD COLUMN respondent TEXT;
ALTER TABLE callback_outcomes ADD COLUMN respondent_title TEXT;
ALTER TABLE callback_outcomes ADD COLUMN satisfaction TEXT;
ALTER TABLE callback_outcomes ADD COLUMN opinions TEXT NOT NULL DEFAULT '';
ALTER TABLE callback_reviews ADD COLUMN verdict TEXT CHECK (verdict IN ('approved', 'returned'));

CREATE TABLE callback_issues (
    id          TEXT PRIMARY KEY,
    callback_id TEXT NOT NULL REFERENCES callbacks(id),
    outcome_id  TEXT NOT NULL REFERENCES callback_outcomes(id),
    investor_id TEXT NOT NULL REFERENCES investors(id),
    text        TEXT NOT NULL,
    opened_at   TEXT NOT NULL
);
CREATE INDEX callback_issues_callback_idx ON callback_issues (callback_id);
CREATE TABLE callback_issue_closures (
    issue_id   TEXT PRIMARY KEY REFERENCES callback_issues(id),
    closed_by  TEXT NOT NULL REFERENCES staff(id),
    resolution TEXT NOT NULL,
    closed_at  TEXT NOT NULL
);
CREATE TRIGGER callback_issues_no_update BEFORE UPDATE ON callback_issues
BEGIN SELECT RAISE(ABORT, 'callback issues are append-only'); END;
CREATE TRIGGER callback_issues_no_delete BEFORE DELETE ON callback_issues
BEGIN SELECT RAISE(ABORT, 'callback issues are append-only'); END;
CREATE TRIGGER callback_issue_closures_no_update BEFORE UPDATE ON callback_issue_closures
BEGIN SELECT RAISE(ABORT, 'callback issue closures are append-only'); END;
CREATE TRIGGER callback_issue_closures_no_delete BEFORE DELETE ON callback_issue_closures
BEGIN SELECT RAISE(ABORT, 'callback issue closures are append-only'); END;

COMMIT;
PRAGMA foreign_keys = ON;
