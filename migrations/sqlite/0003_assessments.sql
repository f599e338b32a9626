-- Questionnaire assessments: append-only records of what was asked, answered and scored.
CREATE TABLE assessments (
    id                    TEXT PRIMARY KEY,
    investor_id           TEXT NOT NULL REFERENCES investors(id),
    questionnaire_id      TEXT NOT NULL,
    questionnaire_version BIGINT NOT NULL,
    questionnaire_hash    TEXT NOT NULL,
    answers               TEXT NOT NULL,
    breakdown             TEXT NOT NULL,
    score                 BIGINT NOT NULL,
    level                 BIGINT NOT NULL CHECK (level BETWEEN 1 AND 5),
    flags                 TEXT NOT NULL,
    assessed_at           TEXT NOT NULL,
    valid_until           TEXT NOT NULL,
    recorded_by           TEXT NOT NULL REFERENCES staff(id),
    created_at            TEXT NOT NULL
);
CREATE INDEX assessments_investor_idx ON assessments (investor_id, assessed_at);

-- Regulation asks that answers are never altered: corrections are new assessments.
CREATE TRIGGER assessments_no_update BEFORE UPDATE ON assessments
BEGIN SELECT RAISE(ABORT, 'assessments are append-only'); END;
CREATE TRIGGER assessments_no_delete BEFORE DELETE ON assessments
BEGIN SELECT RAISE(ABORT, 'assessments are append-only'); END;
