-- Complaints (投诉) and their resolution (append-only; the complaint's status and assignee move).
CREATE TABLE complaints (
    id          TEXT PRIMARY KEY,
    investor_id TEXT NOT NULL REFERENCES investors(id),
    order_id    TEXT REFERENCES orders(id),
    channel     TEXT NOT NULL,
    category    TEXT NOT NULL,
    content     TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
    assignee_id TEXT REFERENCES staff(id),
    created_by  TEXT NOT NULL REFERENCES staff(id),
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX complaints_investor_idx ON complaints (investor_id, received_at);
CREATE INDEX complaints_received_idx ON complaints (received_at);

CREATE TABLE complaint_resolutions (
    complaint_id TEXT PRIMARY KEY REFERENCES complaints(id),
    resolution   TEXT NOT NULL,
    resolved_by  TEXT NOT NULL REFERENCES staff(id),
    resolved_at  TIMESTAMPTZ NOT NULL
);
CREATE TRIGGER complaint_resolutions_no_update BEFORE UPDATE OR DELETE ON complaint_resolutions
FOR EACH ROW EXECUTE FUNCTION forbid_change();
