-- Every questionnaire version the service has presented, by its content hash, with the file's text
-- (which the hash covers, so anyone can check it) and the content as the service held it (JSON): the client archive shows an assessment with the text the investor
-- saw, years after the file changed. Kept forever, never changed.
CREATE TABLE questionnaire_versions (
    content_hash     TEXT PRIMARY KEY,
    questionnaire_id TEXT NOT NULL,
    version          INTEGER NOT NULL,
    source           TEXT NOT NULL,
    content          TEXT NOT NULL,
    first_loaded_at  TEXT NOT NULL
);
CREATE TRIGGER questionnaire_versions_no_update BEFORE UPDATE ON questionnaire_versions
BEGIN SELECT RAISE(ABORT, 'questionnaire versions are permanent'); END;
CREATE TRIGGER questionnaire_versions_no_delete BEFORE DELETE ON questionnaire_versions
BEGIN SELECT RAISE(ABORT, 'questionnaire versions are permanent'); END;
