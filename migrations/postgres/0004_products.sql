-- Products with their risk rating R1..R5 and minimum subscription (exact decimal text).
CREATE TABLE products (
    id               TEXT PRIMARY KEY,
    code             TEXT NOT NULL CONSTRAINT products_code_key UNIQUE,
    name             TEXT NOT NULL,
    kind             TEXT NOT NULL,
    risk_rating      BIGINT NOT NULL CHECK (risk_rating BETWEEN 1 AND 5),
    min_subscription TEXT NOT NULL,
    created_by       TEXT NOT NULL REFERENCES staff(id),
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
