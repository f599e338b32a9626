-- An investor's latest assessment (latest assessed_at, then latest id) is asked for every sale
-- and every holding in batch work. With the id in the index it is the first entry of a backward
-- index scan; without it every lookup sorted the investor's assessments in a temporary B-tree.
CREATE INDEX assessments_latest_idx ON assessments (investor_id, assessed_at, id);
DROP INDEX assessments_investor_idx;
