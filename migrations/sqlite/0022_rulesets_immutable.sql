-- A stored rule set's files, author, note and time never change, and no version is deleted:
-- only its status and the times of activation and retirement move.
CREATE TRIGGER rulesets_files_immutable BEFORE UPDATE OF version, files, author_id, note, created_at ON rulesets
WHEN OLD.version IS NOT NEW.version OR OLD.files IS NOT NEW.files OR OLD.author_id IS NOT NEW.author_id
  OR OLD.note IS NOT NEW.note OR OLD.created_at IS NOT NEW.created_at
BEGIN SELECT RAISE(ABORT, 'a stored rule set is immutable: only its status changes'); END;
CREATE TRIGGER rulesets_no_delete BEFORE DELETE ON rulesets
BEGIN SELECT RAISE(ABORT, 'rule-set versions are never deleted'); END;
