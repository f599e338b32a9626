-- Callback tasks (回访). The task's status and assignee change; what happened is in
-- callback_outcomes and callback_reviews, which are append-only.
CREATE TABLE callbacks (
    id          TEXT PRIMARY KEY,
    order_id    TEXT NOT NULL REFERENCES orders(id),
    investor_id TEXT NOT NULL REFERENCES investors(id),
    product_id  TEXT NOT NULL REFERENCES products(id),
    kind        TEXT NOT NULL CHECK (kind IN ('confirmation', 'periodic', 'special')),
    reason      TEXT NOT NULL,
    due_from    TEXT NOT NULL,
    due_by      TEXT NOT NULL,
    checks      TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'completed', 'failed', 'escalated', 'cancelled')),
    assignee_id TEXT REFERENCES staff(id),
    attempts    BIGINT NOT NULL DEFAULT 0,
    decision_id TEXT REFERENCES decisions(id),
    created_at  TEXT NOT NULL,
    closed_at   TEXT
);
CREATE INDEX callbacks_due_idx ON callbacks (status, due_from);
CREATE INDEX callbacks_order_idx ON callbacks (order_id);

CREATE TABLE callback_outcomes (
    id            TEXT PRIMARY KEY,
    callback_id   TEXT NOT NULL REFERENCES callbacks(id),
    method        TEXT NOT NULL CHECK (method IN ('phone', 'email', 'letter', 'visit', 'video')),
    reached       BOOLEAN NOT NULL,
    answers       TEXT NOT NULL,
    notes         TEXT NOT NULL,
    recording_ref TEXT,
    result        TEXT NOT NULL CHECK (result IN ('completed', 'failed', 'not_reached')),
    recorded_by   TEXT NOT NULL REFERENCES staff(id),
    recorded_at   TEXT NOT NULL
);
CREATE INDEX callback_outcomes_callback_idx ON callback_outcomes (callback_id);

-- 主管审阅: a supervisor's review of an outcome, added beside it.
CREATE TABLE callback_reviews (
    id          TEXT PRIMARY KEY,
    callback_id TEXT NOT NULL REFERENCES callbacks(id),
    reviewer_id TEXT NOT NULL REFERENCES staff(id),
    comment     TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TRIGGER callback_outcomes_no_update BEFORE UPDATE ON callback_outcomes
BEGIN SELECT RAISE(ABORT, 'callback outcomes are append-only'); END;
CREATE TRIGGER callback_outcomes_no_delete BEFORE DELETE ON callback_outcomes
BEGIN SELECT RAISE(ABORT, 'callback outcomes are append-only'); END;
CREATE TRIGGER callback_reviews_no_update BEFORE UPDATE ON callback_reviews
BEGIN SELECT RAISE(ABORT, 'callback reviews are append-only'); END;
CREATE TRIGGER callback_reviews_no_delete BEFORE DELETE ON callback_reviews
BEGIN SELECT RAISE(ABORT, 'callback reviews are append-only'); END;
