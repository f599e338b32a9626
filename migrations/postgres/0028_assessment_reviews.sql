-- A risk reviewer's verdict on a flagged assessment (answers contradicting known facts, a level
-- raised on a quick retake): accepted, it satisfies `assessment_review`; rejected, the
-- assessment is never used. One per assessment, append-only.
CREATE TABLE assessment_reviews (
    assessment_id TEXT PRIMARY KEY REFERENCES assessments(id),
    verdict       TEXT NOT NULL CHECK (verdict IN ('accepted', 'rejected')),
    note          TEXT NOT NULL,
    reviewed_by   TEXT NOT NULL REFERENCES staff(id),
    reviewed_at   TIMESTAMPTZ NOT NULL
);
CREATE TRIGGER assessment_reviews_no_update BEFORE UPDATE OR DELETE ON assessment_reviews
FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER assessment_reviews_no_truncate BEFORE TRUNCATE ON assessment_reviews
FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
