-- A holding's end: redeemed in full or its product wound up (清算). Orders gain the statuses
-- `redeemed` and `liquidated`; redemptions are append-only records; a wound-up product says when;
-- a cancelled callback says why.
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check
    CHECK (status IN ('cooling_off', 'confirmed', 'rescinded', 'redeemed', 'liquidated'));

CREATE TABLE redemptions (
    id           TEXT PRIMARY KEY,
    order_id     TEXT NOT NULL REFERENCES orders(id),
    amount       TEXT NOT NULL,
    remaining    TEXT NOT NULL,
    requested_by TEXT NOT NULL REFERENCES staff(id),
    redeemed_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX redemptions_order_idx ON redemptions (order_id);
CREATE TRIGGER redemptions_no_update BEFORE UPDATE OR DELETE ON redemptions
FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER redemptions_no_truncate BEFORE TRUNCATE ON redemptions
FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();

ALTER TABLE products ADD COLUMN liquidated_at TIMESTAMPTZ;
ALTER TABLE callbacks ADD COLUMN cancel_reason TEXT;
