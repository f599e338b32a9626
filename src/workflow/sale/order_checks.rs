//! What an order carries: its times and acknowledgments, checked before anything is decided,
//! and the evidence behind each requirement the decision asks for.

use chrono::{DateTime, Duration, Utc};

use super::{FUTURE_TOLERANCE_SECS, MAX_RECORDING_REF, MAX_REQUIREMENT_CODE, NewOrder};
use crate::config::Policy;
use crate::domain::FieldProblem;
use crate::rules::catalogue::Catalogue;
use crate::store::orders::{Evidence, EvidenceItem};
use crate::workflow::{Result, WorkflowError, assessment_review};

/// Checks the order's own fields; returns its acknowledgments without duplicates.
pub(super) fn check_new_order(
    o: &NewOrder,
    t: DateTime<Utc>,
    policy: &Policy,
) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let earliest = (t - Duration::days(i64::from(policy.max_backdate_days))).max(EARLIEST_DATE);
    for (field, at) in [("signed_at", o.signed_at), ("paid_at", o.paid_at)] {
        if at > t + Duration::seconds(FUTURE_TOLERANCE_SECS) {
            problems.push(FieldProblem::new(field, "must not be in the future"));
        } else if at < EARLIEST_DATE {
            problems.push(FieldProblem::new(field, "must not be before 2000-01-01"));
        } else if at < earliest {
            problems.push(FieldProblem::new(
                field,
                format!(
                    "must not be more than {} days in the past",
                    policy.max_backdate_days
                ),
            ));
        }
    }
    let mut acks: Vec<String> = Vec::new();
    for (i, a) in o.acknowledgments.iter().enumerate() {
        let ok = !a.is_empty()
            && a.len() <= MAX_REQUIREMENT_CODE
            && a.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            problems.push(FieldProblem::new(
                format!("acknowledgments[{i}]"),
                "must be a requirement code",
            ));
        } else if !acks.contains(a) {
            acks.push(a.clone());
        }
    }
    // A risk review is a record of its own, never something an order says it has.
    for (req, items) in &o.evidence {
        if req == assessment_review::REQUIREMENT
            || items
                .iter()
                .any(|e| e.kind == assessment_review::EVIDENCE_KIND)
        {
            problems.push(FieldProblem::new(
                format!("evidence.{req}"),
                "a risk review is recorded by risk staff (POST /v1/assessments/{id}/review), not given with an order",
            ));
        }
        // Likewise a signature through the investor's link: the service finds and attaches it.
        for (i, e) in items.iter().enumerate() {
            if e.reference.trim_start().starts_with("signature:") {
                problems.push(FieldProblem::new(
                    format!("evidence.{req}[{i}]"),
                    "a signature through the investor's link is attached by the service, not given with an order",
                ));
            }
        }
    }
    if o.recording_ref
        .as_ref()
        .is_some_and(|r| r.trim().is_empty() || r.len() > MAX_RECORDING_REF)
    {
        problems.push(FieldProblem::new(
            "recording_ref",
            format!("must be 1 to {MAX_RECORDING_REF} characters"),
        ));
    }
    if problems.is_empty() {
        Ok(acks)
    } else {
        Err(WorkflowError::Invalid(problems))
    }
}

/// The evidence behind each acknowledged requirement, checked against what the rule set's
/// catalogue says satisfies it (a requirement's words alone satisfy nothing). The order's
/// `recording_ref` counts as the `recording` of any requirement that needs one.
pub(super) fn evidence_of(
    new: &NewOrder,
    acks: &[String],
    required: &[String],
    catalogue: &Catalogue,
) -> Result<Evidence> {
    let mut problems = Vec::new();
    let mut evidence = Evidence::new();
    for (req, items) in &new.evidence {
        if !acks.contains(req) {
            problems.push(FieldProblem::new(
                format!("evidence.{req}"),
                "is not an acknowledged requirement",
            ));
        }
        for (i, item) in items.iter().enumerate() {
            if item.kind.trim().is_empty()
                || item.reference.trim().is_empty()
                || item.reference.chars().count() > MAX_RECORDING_REF
            {
                problems.push(FieldProblem::new(
                    format!("evidence.{req}[{i}]"),
                    format!("needs a kind and a ref of 1 to {MAX_RECORDING_REF} characters"),
                ));
            }
        }
    }
    // Only what the decision requires must be proven; anything else acknowledged keeps what
    // evidence was given.
    for req in acks {
        if req == assessment_review::REQUIREMENT {
            continue;
        }
        let mut given = new.evidence.get(req).cloned().unwrap_or_default();
        if !required.contains(req) {
            if !given.is_empty() {
                evidence.insert(req.clone(), given);
            }
            continue;
        }
        if let Some(r) = &new.recording_ref
            && catalogue.evidence_for(req).iter().any(|k| k == "recording")
            && !given.iter().any(|e| e.kind == "recording")
        {
            given.push(EvidenceItem {
                kind: "recording".into(),
                reference: r.clone(),
            });
        }
        for kind in catalogue.evidence_for(req) {
            if !given.iter().any(|e| &e.kind == kind) {
                problems.push(FieldProblem::new(
                    format!("evidence.{req}"),
                    format!("missing the evidence '{kind}' that '{req}' needs"),
                ));
            }
        }
        if !given.is_empty() {
            evidence.insert(req.clone(), given);
        }
    }
    if problems.is_empty() {
        Ok(evidence)
    } else if problems
        .iter()
        .all(|p| p.problem.starts_with("missing the evidence"))
    {
        Err(WorkflowError::Unprocessable {
            code: "evidence_missing",
            problems,
        })
    } else {
        Err(WorkflowError::Invalid(problems))
    }
}

/// No order of this service can predate it: an earlier date is a typing error.
const EARLIEST_DATE: DateTime<Utc> = DateTime::from_timestamp_nanos(946_684_800_000_000_000);
