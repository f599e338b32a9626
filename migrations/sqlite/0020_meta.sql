-- Facts about the database itself, e.g. the fingerprint (a keyed hash, never the key) of the
-- data key its personal data is sealed with.
CREATE TABLE meta (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
