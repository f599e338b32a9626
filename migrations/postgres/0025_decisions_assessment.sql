-- The assessment a decision used (for an order: the latest taken before it was signed).
ALTER TABLE decisions ADD COLUMN assessment_id TEXT;
