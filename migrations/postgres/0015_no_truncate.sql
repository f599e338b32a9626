-- Row triggers do not see TRUNCATE: refuse it on every append-only table too.
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
CREATE TRIGGER assessments_no_truncate BEFORE TRUNCATE ON assessments FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
CREATE TRIGGER decisions_no_truncate BEFORE TRUNCATE ON decisions FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
CREATE TRIGGER callback_outcomes_no_truncate BEFORE TRUNCATE ON callback_outcomes FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
CREATE TRIGGER callback_reviews_no_truncate BEFORE TRUNCATE ON callback_reviews FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
CREATE TRIGGER escalations_no_truncate BEFORE TRUNCATE ON escalations FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
CREATE TRIGGER escalation_resolutions_no_truncate BEFORE TRUNCATE ON escalation_resolutions FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
CREATE TRIGGER complaint_resolutions_no_truncate BEFORE TRUNCATE ON complaint_resolutions FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
