-- Questionnaire assessments: append-only records of what was asked, answered and scored.
CREATE TABLE assessments (
    id                    TEXT PRIMARY KEY,
    investor_id           TEXT NOT NULL REFERENCES investors(id),
    questionnaire_id      TEXT NOT NULL,
    questionnaire_version BIGINT NOT NULL,
    questionnaire_hash    TEXT NOT NULL,
    answers               JSONB NOT NULL,
    breakdown             JSONB NOT NULL,
    score                 BIGINT NOT NULL,
    level                 BIGINT NOT NULL CHECK (level BETWEEN 1 AND 5),
    flags                 JSONB NOT NULL,
    assessed_at           TIMESTAMPTZ NOT NULL,
    valid_until           TIMESTAMPTZ NOT NULL,
    recorded_by           TEXT NOT NULL REFERENCES staff(id),
    created_at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX assessments_investor_idx ON assessments (investor_id, assessed_at);

-- Regulation asks that answers are never altered: corrections are new assessments.
CREATE FUNCTION forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
CREATE TRIGGER assessments_no_update BEFORE UPDATE OR DELETE ON assessments
FOR EACH ROW EXECUTE FUNCTION forbid_change();
