-- Imports of an existing book (investors, holdings, paper assessments) uploaded through the API:
-- the job's progress and, when done, every bad row (row, column, problem) as JSON.
CREATE TABLE import_jobs (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('investors', 'holdings', 'assessments')),
    dry_run     BOOLEAN NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    total       BIGINT NOT NULL,
    processed   BIGINT NOT NULL,
    imported    BIGINT NOT NULL,
    skipped     BIGINT NOT NULL,
    failed      BIGINT NOT NULL,
    problems    JSONB NOT NULL,
    error       TEXT,
    created_by  TEXT NOT NULL REFERENCES staff(id),
    started_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX import_jobs_started_idx ON import_jobs (started_at);
CREATE INDEX IF NOT EXISTS orders_holder_idx2 ON orders (investor_id, product_id, signed_at);
