-- Professional status (专业投资者) as a verified record: the basis, the figures it rests on, the
-- evidence, who decided and until when. Refusals of an application are kept with their reason.
CREATE TABLE classifications (
    id            TEXT PRIMARY KEY,
    investor_id   TEXT NOT NULL REFERENCES investors(id),
    investor_type TEXT NOT NULL CHECK (investor_type IN ('ordinary', 'professional')),
    basis         TEXT NOT NULL,
    outcome       TEXT NOT NULL CHECK (outcome IN ('granted', 'refused')),
    figures       JSONB NOT NULL,
    evidence      JSONB NOT NULL,
    reason        TEXT,
    valid_until   TIMESTAMPTZ,
    decided_by    TEXT NOT NULL REFERENCES staff(id),
    decided_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX classifications_investor_idx ON classifications (investor_id, decided_at);
CREATE TRIGGER classifications_no_update BEFORE UPDATE OR DELETE ON classifications
FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER classifications_no_truncate BEFORE TRUNCATE ON classifications
FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();

-- The proof a qualified investor's assets or income rest on (资产证明, 收入证明).
CREATE TABLE qualification_evidence (
    id          TEXT PRIMARY KEY,
    investor_id TEXT NOT NULL REFERENCES investors(id),
    kind        TEXT NOT NULL CHECK (kind IN ('asset_proof', 'income_proof', 'net_assets_proof')),
    ref         TEXT NOT NULL,
    issued_at   DATE NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES staff(id),
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX qualification_evidence_investor_idx ON qualification_evidence (investor_id, issued_at);
CREATE TRIGGER qualification_evidence_no_update BEFORE UPDATE OR DELETE ON qualification_evidence
FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER qualification_evidence_no_truncate BEFORE TRUNCATE ON qualification_evidence
FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
