-- Background work after a rule-set activation (re-evaluating every holding), with progress that
-- every instance can read.
CREATE TABLE ruleset_jobs (
    id          TEXT PRIMARY KEY,
    version     BIGINT NOT NULL REFERENCES rulesets(version),
    status      TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    total       BIGINT NOT NULL,
    processed   BIGINT NOT NULL,
    changed     BIGINT NOT NULL,
    callbacks   BIGINT NOT NULL,
    error       TEXT,
    started_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX ruleset_jobs_version_idx ON ruleset_jobs (version);
