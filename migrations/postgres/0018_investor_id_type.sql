-- The kind of identity document an investor's number comes from (resident identity card,
-- unified social credit code, passport, Hong Kong/Macau or Taiwan permit). Null for rows from
-- before: the default document of their kind.
ALTER TABLE investors ADD COLUMN id_type TEXT;
