-- Whether an investor already holds a product is asked for every sale and for every holding in
-- batch work. Through orders_product_idx (product_id, status) that scans all of a product's
-- holdings per question, which made work over every holding quadratic; this index answers it
-- with one seek. It also serves every lookup by investor, so the narrower index goes.
CREATE INDEX orders_holder_idx ON orders (investor_id, product_id, status);
DROP INDEX orders_investor_idx;
