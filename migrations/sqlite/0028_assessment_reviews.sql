-- A risk reviewer's verdict on a flagged assessment (answers contradicting known facts, a level
-- raised on a quick retake): accepted, it satisfies `assessment_review`; rejected, the
-- assessment is never used. One per assessment, append-only.
CREATE TABLE assessment_reviews (
    assessment_id TEXT PRIMARY KEY REFERENCES assessments(id),
    verdict       TEXT NOT NULL CHECK (verdict IN ('accepted', 'rejected')),
    note          TEXT NOT NULL,
    reviewed_by   TEXT NOT NULL REFERENCES staff(id),
    reviewed_at   TEXT NOT NULL
);
CREATE TRIGGER assessment_reviews_no_update BEFORE UPDATE ON assessment_reviews
BEGIN SELECT RAISE(ABORT, 'assessment reviews are append-only'); END;
CREATE TRIGGER assessment_reviews_no_delete BEFORE DELETE ON assessment_reviews
BEGIN SELECT RAISE(ABORT, 'assessment reviews are append-only'); END;
