-- Orders (subscriptions). The status moves cooling_off → confirmed | rescinded; the evidence of
-- why is in callbacks, outcomes and escalations.
CREATE TABLE orders (
    id                  TEXT PRIMARY KEY,
    investor_id         TEXT NOT NULL REFERENCES investors(id),
    product_id          TEXT NOT NULL REFERENCES products(id),
    amount              TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('cooling_off', 'confirmed', 'rescinded')),
    signed_at           TEXT NOT NULL,
    paid_at             TEXT NOT NULL,
    cooling_off_ends_at TEXT NOT NULL,
    acknowledgments     TEXT NOT NULL,
    recording_ref       TEXT,
    decision_id         TEXT NOT NULL REFERENCES decisions(id),
    created_by          TEXT NOT NULL REFERENCES staff(id),
    created_at          TEXT NOT NULL,
    status_changed_at   TEXT NOT NULL
);
CREATE INDEX orders_investor_idx ON orders (investor_id);
CREATE INDEX orders_product_idx ON orders (product_id, status);

-- A retried POST with the same Idempotency-Key returns the first response.
CREATE TABLE idempotency_keys (
    staff_id     TEXT NOT NULL REFERENCES staff(id),
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       BIGINT NOT NULL,
    response     TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (staff_id, key)
);
