-- Rule-set versions: immutable files; only the status and its times change. Exactly one is active.
CREATE TABLE rulesets (
    version      BIGINT PRIMARY KEY,
    status       TEXT NOT NULL CHECK (status IN ('draft', 'active', 'retired')),
    files        TEXT NOT NULL,
    author_id    TEXT REFERENCES staff(id),
    note         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    activated_at TEXT,
    retired_at   TEXT
);
CREATE UNIQUE INDEX rulesets_one_active ON rulesets (status) WHERE status = 'active';
