-- Investors. Amounts are exact decimal text, never floats.
CREATE TABLE investors (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('individual', 'institution')),
    investor_type    TEXT NOT NULL CHECK (investor_type IN ('ordinary', 'professional')),
    name             TEXT NOT NULL,
    id_number        TEXT NOT NULL,
    birth_date       DATE,
    phone            TEXT,
    email            TEXT,
    financial_assets TEXT,
    avg_income_3y    TEXT,
    net_assets       TEXT,
    sales_owner_id   TEXT NOT NULL REFERENCES staff(id),
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX investors_sales_owner_idx ON investors (sales_owner_id);
