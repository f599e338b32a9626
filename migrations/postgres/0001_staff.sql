-- Staff members, their roles, and bearer tokens (stored only as SHA-256 hashes).
CREATE TABLE staff (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL CONSTRAINT staff_name_key UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE staff_roles (
    staff_id  TEXT NOT NULL REFERENCES staff(id),
    role      TEXT NOT NULL CHECK (role IN ('sales', 'risk', 'planner', 'compliance', 'admin')),
    PRIMARY KEY (staff_id, role)
);

CREATE TABLE tokens (
    id          TEXT PRIMARY KEY,
    staff_id    TEXT NOT NULL REFERENCES staff(id),
    token_hash  TEXT NOT NULL CONSTRAINT tokens_hash_key UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);
