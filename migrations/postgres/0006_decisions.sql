-- Every decision that led to an order or a callback, with the facts it saw and the rule-set
-- version, so it can be replayed. Append-only.
CREATE TABLE decisions (
    id              TEXT PRIMARY KEY,
    investor_id     TEXT NOT NULL REFERENCES investors(id),
    product_id      TEXT NOT NULL REFERENCES products(id),
    purpose         TEXT NOT NULL,
    ruleset_version BIGINT NOT NULL,
    verdict         TEXT NOT NULL CHECK (verdict IN ('match', 'mismatch', 'reject')),
    facts           JSONB NOT NULL,
    outcome         JSONB NOT NULL,
    created_by      TEXT REFERENCES staff(id),
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX decisions_investor_idx ON decisions (investor_id);
CREATE TRIGGER decisions_no_update BEFORE UPDATE OR DELETE ON decisions
FOR EACH ROW EXECUTE FUNCTION forbid_change();
