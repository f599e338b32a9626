-- The investor's own link (H5): a one-time invitation, found by the hash of its code, valid
-- until it expires, locked after 5 wrong identity checks, completed once the disclosure is
-- signed. An investor's signatures keep the text hash of what they signed, when, from which
-- address and browser (append-only). Assessments say who gave the answers.
CREATE TABLE invitations (
    id              TEXT PRIMARY KEY,
    code_hash       TEXT NOT NULL CONSTRAINT invitations_code_key UNIQUE,
    investor_id     TEXT NOT NULL REFERENCES investors(id),
    product_id      TEXT REFERENCES products(id),
    created_by      TEXT NOT NULL REFERENCES staff(id),
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    failed_attempts BIGINT NOT NULL DEFAULT 0,
    locked_at       TEXT,
    visitor_hash    TEXT,
    assessment_id   TEXT REFERENCES assessments(id),
    completed_at    TEXT
);
CREATE INDEX invitations_investor_idx ON invitations (investor_id);

CREATE TABLE investor_signatures (
    id            TEXT PRIMARY KEY,
    invitation_id TEXT NOT NULL REFERENCES invitations(id),
    investor_id   TEXT NOT NULL REFERENCES investors(id),
    product_id    TEXT REFERENCES products(id),
    document      TEXT NOT NULL CHECK (document IN ('risk_disclosure', 'mismatch_warning')),
    text_hash     TEXT NOT NULL,
    typed_name    TEXT NOT NULL,
    signed_at     TEXT NOT NULL,
    ip            TEXT NOT NULL,
    user_agent    TEXT NOT NULL
);
CREATE INDEX investor_signatures_investor_idx ON investor_signatures (investor_id);
CREATE TRIGGER investor_signatures_no_update BEFORE UPDATE ON investor_signatures
BEGIN SELECT RAISE(ABORT, 'signatures are append-only'); END;
CREATE TRIGGER investor_signatures_no_delete BEFORE DELETE ON investor_signatures
BEGIN SELECT RAISE(ABORT, 'signatures are append-only'); END;

ALTER TABLE assessments ADD COLUMN submitted_by TEXT NOT NULL DEFAULT 'staff' CHECK (submitted_by IN ('staff', 'investor'));
