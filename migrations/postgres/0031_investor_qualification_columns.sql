-- What batch work over every holding reads of an investor's proof and classification, kept on
-- the investor (a subquery per holding cost a third of the time): when the newest proof of
-- assets or income was issued, and until when the latest granted classification holds.
ALTER TABLE investors ADD COLUMN proof_issued_on DATE;
ALTER TABLE investors ADD COLUMN classified_until TIMESTAMPTZ;
UPDATE investors SET proof_issued_on = (SELECT MAX(q.issued_at) FROM qualification_evidence q WHERE q.investor_id = investors.id);
UPDATE investors SET classified_until = (SELECT c.valid_until FROM classifications c WHERE c.investor_id = investors.id
    AND c.outcome = 'granted' ORDER BY c.decided_at DESC, c.id DESC LIMIT 1);
