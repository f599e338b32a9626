-- no-transaction
-- A holding's end: redeemed in full or its product wound up (清算). Orders gain the statuses
-- `redeemed` and `liquidated`; redemptions are append-only records; a wound-up product says when;
-- a cancelled callback says why. SQLite cannot alter a CHECK, so `orders` is rebuilt by SQLite's
-- documented procedure (foreign keys off meanwhile, checked before commit).
PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE orders_new (
    id                  TEXT PRIMARY KEY,
    investor_id         TEXT NOT NULL REFERENCES investors(id),
    product_id          TEXT NOT NULL REFERENCES products(id),
    amount              TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('cooling_off', 'confirmed', 'rescinded', 'redeemed', 'liquidated')),
    signed_at           TEXT NOT NULL,
    paid_at             TEXT NOT NULL,
    cooling_off_ends_at TEXT NOT NULL,
    acknowledgments     TEXT NOT NULL,
    recording_ref       TEXT,
    decision_id         TEXT NOT NULL REFERENCES decisions(id),
    created_by          TEXT NOT NULL REFERENCES staff(id),
    created_at          TEXT NOT NULL,
    status_changed_at   TEXT NOT NULL,
    evidence            TEXT NOT NULL DEFAULT '{}'
);
INSERT INTO orders_new (id, investor_id, product_id, amount, status, signed_at, paid_at, cooling_off_ends_at,
    acknowledgments, recording_ref, decision_id, created_by, created_at, status_changed_at, evidence)
SELECT id, investor_id, product_id, amount, status, signed_at, paid_at, cooling_off_ends_at,
    acknowledgments, recording_ref, decision_id, created_by, created_at, status_changed_at, evidence FROM orders;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;
CREATE INDEX orders_product_idx ON orders (product_id, status);
CREATE INDEX orders_holder_idx ON orders (investor_id, product_id, status);

CREATE TABLE redemptions (
    id           TEXT PRIMARY KEY,
    order_id     TEXT NOT NULL REFERENCES orders(id),
    amount       TEXT NOT NULL,
    remaining    TEXT NOT NULL,
    requested_by TEXT NOT NULL REFERENCES staff(id),
    redeemed_at  TEXT NOT NULL
);
CREATE INDEX redemptions_order_idx ON redemptions (order_id);
CREATE TRIGGER redemptions_no_update BEFORE UPDATE ON redemptions
BEGIN SELECT RAISE(ABORT, 'redemptions are append-only'); END;
CREATE TRIGGER redemptions_no_delete BEFORE DELETE ON redemptions
BEGIN SELECT RAISE(ABORT, 'redemptions are append-only'); END;

ALTER TABLE products ADD COLUMN liquidated_at TEXT;
ALTER TABLE callbacks ADD COLUMN cancel_reason TEXT;

COMMIT;
PRAGMA foreign_keys = ON;
