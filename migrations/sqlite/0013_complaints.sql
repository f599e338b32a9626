-- Complaints (投诉) and their resolution (append-only; the complaint's status and assignee move).
CREATE TABLE complaints (
    id          TEXT PRIMARY KEY,
    investor_id TEXT NOT NULL REFERENCES investors(id),
    order_id    TEXT REFERENCES orders(id),
    channel     TEXT NOT NULL,
    category    TEXT NOT NULL,
    content     TEXT NOT NULL,
    received_at TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
    assignee_id TEXT REFERENCES staff(id),
    created_by  TEXT NOT NULL REFERENCES staff(id),
    created_at  TEXT NOT NULL
);
CREATE INDEX complaints_investor_idx ON complaints (investor_id, received_at);
CREATE INDEX complaints_received_idx ON complaints (received_at);

CREATE TABLE complaint_resolutions (
    complaint_id TEXT PRIMARY KEY REFERENCES complaints(id),
    resolution   TEXT NOT NULL,
    resolved_by  TEXT NOT NULL REFERENCES staff(id),
    resolved_at  TEXT NOT NULL
);
CREATE TRIGGER complaint_resolutions_no_update BEFORE UPDATE ON complaint_resolutions
BEGIN SELECT RAISE(ABORT, 'complaint resolutions are append-only'); END;
CREATE TRIGGER complaint_resolutions_no_delete BEFORE DELETE ON complaint_resolutions
BEGIN SELECT RAISE(ABORT, 'complaint resolutions are append-only'); END;
