-- Identity numbers, phones and e-mails are stored sealed (encrypted); lookup by identity number
-- goes through a keyed hash of it.
ALTER TABLE investors ADD COLUMN id_number_hash TEXT;
CREATE INDEX investors_id_number_hash_idx ON investors (id_number_hash);
