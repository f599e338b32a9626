-- Professional status (专业投资者) as a verified record: the basis, the figures it rests on, the
-- evidence, who decided and until when. Refusals of an application are kept with their reason.
CREATE TABLE classifications (
    id            TEXT PRIMARY KEY,
    investor_id   TEXT NOT NULL REFERENCES investors(id),
    investor_type TEXT NOT NULL CHECK (investor_type IN ('ordinary', 'professional')),
    basis         TEXT NOT NULL,
    outcome       TEXT NOT NULL CHECK (outcome IN ('granted', 'refused')),
    figures       TEXT NOT NULL,
    evidence      TEXT NOT NULL,
    reason        TEXT,
    valid_until   TEXT,
    decided_by    TEXT NOT NULL REFERENCES staff(id),
    decided_at    TEXT NOT NULL
);
CREATE INDEX classifications_investor_idx ON classifications (investor_id, decided_at);
CREATE TRIGGER classifications_no_update BEFORE UPDATE ON classifications
BEGIN SELECT RAISE(ABORT, 'classifications are append-only'); END;
CREATE TRIGGER classifications_no_delete BEFORE DELETE ON classifications
BEGIN SELECT RAISE(ABORT, 'classifications are append-only'); END;

-- The proof a qualified investor's assets or income rest on (资产证明, 收入证明).
CREATE TABLE qualification_evidence (
    id          TEXT PRIMARY KEY,
    investor_id TEXT NOT NULL REFERENCES investors(id),
    kind        TEXT NOT NULL CHECK (kind IN ('asset_proof', 'income_proof', 'net_assets_proof')),
    ref         TEXT NOT NULL,
    issued_at   TEXT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES staff(id),
    recorded_at TEXT NOT NULL
);
CREATE INDEX qualification_evidence_investor_idx ON qualification_evidence (investor_id, issued_at);
CREATE TRIGGER qualification_evidence_no_update BEFORE UPDATE ON qualification_evidence
BEGIN SELECT RAISE(ABORT, 'qualification evidence is append-only'); END;
CREATE TRIGGER qualification_evidence_no_delete BEFORE DELETE ON qualification_evidence
BEGIN SELECT RAISE(ABORT, 'qualification evidence is append-only'); END;
