-- 民事行为能力 of individuals: full, limited or none (null: full, for rows from before).
ALTER TABLE investors ADD COLUMN civil_capacity TEXT;
