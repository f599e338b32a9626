-- Every questionnaire version the service has presented, by its content hash, with the file's text
-- (which the hash covers, so anyone can check it) and the content as the service held it (JSON): the client archive shows an assessment with the text the investor
-- saw, years after the file changed. Kept forever, never changed.
CREATE TABLE questionnaire_versions (
    content_hash     TEXT PRIMARY KEY,
    questionnaire_id TEXT NOT NULL,
    version          BIGINT NOT NULL,
    source           TEXT NOT NULL,
    content          JSONB NOT NULL,
    first_loaded_at  TIMESTAMPTZ NOT NULL
);
CREATE TRIGGER questionnaire_versions_no_update BEFORE UPDATE OR DELETE ON questionnaire_versions
FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER questionnaire_versions_no_truncate BEFORE TRUNCATE ON questionnaire_versions
FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
