-- The callback desk's records, as on the paper forms (seed 002): a callback past its deadline
-- becomes `overdue` (still workable) and escalates with an instruction; a callback has a planned
-- method (回访方式); an outcome has its respondent, satisfaction, opinions and open issues, which
-- are tracked until closed (append-only, a closure is a record of its own); a review has a
-- verdict (legacy reviews have none).
ALTER TABLE callbacks DROP CONSTRAINT callbacks_status_check;
ALTER TABLE callbacks ADD CONSTRAINT callbacks_status_check
    CHECK (status IN ('open', 'overdue', 'completed', 'failed', 'escalated', 'cancelled'));
ALTER TABLE callbacks ADD COLUMN planned_method TEXT NOT NULL DEFAULT 'phone'
    CHECK (planned_method IN ('phone', 'email', 'letter', 'visit', 'video'));
CREATE INDEX callbacks_investor_idx ON callbacks (investor_id, status);

ALTER TABLE escalations DROP CONSTRAINT escalations_reason_check;
ALTER TABLE escalations ADD CONSTRAINT escalations_reason_check
    CHECK (reason IN ('failed_checks', 'unreachable', 'overdue'));
ALTER TABLE escalations ADD COLUMN instruction TEXT;

ALTER TABLE callback_outcomes ADD COLUMN respondent TEXT;
ALTER TABLE callback_outcomes ADD COLUMN respondent_title TEXT;
ALTER TABLE callback_outcomes ADD COLUMN satisfaction JSONB;
ALTER TABLE callback_outcomes ADD COLUMN opinions TEXT NOT NULL DEFAULT '';
ALTER TABLE callback_reviews ADD COLUMN verdict TEXT CHECK (verdict IN ('approved', 'returned'));

CREATE TABLE callback_issues (
    id          TEXT PRIMARY KEY,
    callback_id TEXT NOT NULL REFERENCES callbacks(id),
    outcome_id  TEXT NOT NULL REFERENCES callback_outcomes(id),
    investor_id TEXT NOT NULL REFERENCES investors(id),
    text        TEXT NOT NULL,
    opened_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX callback_issues_callback_idx ON callback_issues (callback_id);
CREATE TABLE callback_issue_closures (
    issue_id   TEXT PRIMARY KEY REFERENCES callback_issues(id),
    closed_by  TEXT NOT NULL REFERENCES staff(id),
    resolution TEXT NOT NULL,
    closed_at  TIMESTAMPTZ NOT NULL
);
CREATE TRIGGER callback_issues_no_update BEFORE UPDATE OR DELETE ON callback_issues
FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER callback_issues_no_truncate BEFORE TRUNCATE ON callback_issues
FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
CREATE TRIGGER callback_issue_closures_no_update BEFORE UPDATE OR DELETE ON callback_issue_closures
FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER callback_issue_closures_no_truncate BEFORE TRUNCATE ON callback_issue_closures
FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
