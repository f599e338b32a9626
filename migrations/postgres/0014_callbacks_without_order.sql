-- A complaint follow-up is a callback (and may become an escalation) without an order or a
-- product: order_id and product_id become optional and a callback may name its complaint.
ALTER TABLE callbacks ALTER COLUMN order_id DROP NOT NULL;
ALTER TABLE callbacks ALTER COLUMN product_id DROP NOT NULL;
ALTER TABLE callbacks ADD COLUMN complaint_id TEXT REFERENCES complaints(id);
ALTER TABLE escalations ALTER COLUMN order_id DROP NOT NULL;
