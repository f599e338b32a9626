-- The digest of the row an entry changed (orders, investors, callbacks, products, rule sets),
-- as it was after the change: `audit verify --rows` reports every row whose current content no
-- entry explains.
ALTER TABLE audit_log ADD COLUMN row_digest TEXT;
