-- Console sign-ins (/console): a server-side session per browser, found by the hash of its cookie,
-- opened with a staff token (kept as its hash, so revoking the token ends the session) and
-- carrying the CSRF secret of its forms. Sessions end on sign-out or after idling; they are not
-- records of the business and may be deleted.
CREATE TABLE console_sessions (
    id_hash      TEXT PRIMARY KEY,
    staff_id     TEXT NOT NULL REFERENCES staff(id),
    token_hash   TEXT NOT NULL,
    csrf         TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX console_sessions_seen_idx ON console_sessions (last_seen_at);
