-- A stored rule set's files, author, note and time never change, and no version is deleted:
-- only its status and the times of activation and retirement move.
CREATE FUNCTION forbid_ruleset_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'rule-set versions are never deleted';
    END IF;
    IF OLD.version IS DISTINCT FROM NEW.version OR OLD.files IS DISTINCT FROM NEW.files
       OR OLD.author_id IS DISTINCT FROM NEW.author_id OR OLD.note IS DISTINCT FROM NEW.note
       OR OLD.created_at IS DISTINCT FROM NEW.created_at THEN
        RAISE EXCEPTION 'a stored rule set is immutable: only its status changes';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER rulesets_immutable BEFORE UPDATE OR DELETE ON rulesets
FOR EACH ROW EXECUTE FUNCTION forbid_ruleset_change();
CREATE TRIGGER rulesets_no_truncate BEFORE TRUNCATE ON rulesets
FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
