//! The callback report (回访报告) for a period: outcomes by kind, method and result, the checks
//! answered "no", escalations, the investors' satisfaction, their main opinions (客户主要意见),
//! the open issues raised and the supervisors' verdicts.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::state::CallbackKind;
use crate::store::callback_records::{Issue, Outcome, Review};
use crate::store::escalations::Escalation;

/// The most opinions and issues the report lists (the counts cover all of them).
pub const MAX_LISTED: usize = 100;

/// Average satisfaction over the outcomes that rated it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SatisfactionAverages {
    /// How many outcomes rated the service.
    pub rated: usize,
    pub service: f64,
    pub responsiveness: f64,
    pub overall: f64,
}

/// One investor's opinion (意见建议) as recorded.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Opinion {
    pub callback_id: String,
    pub recorded_at: DateTime<Utc>,
    pub text: String,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
#[schema(as = CallbackReport)]
pub struct Report {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Outcomes recorded in the period.
    pub outcomes: usize,
    pub by_kind: BTreeMap<String, usize>,
    pub by_method: BTreeMap<String, usize>,
    /// completed, failed, not_reached
    pub by_result: BTreeMap<String, usize>,
    /// How often each check was answered "no".
    pub failed_checks: BTreeMap<String, usize>,
    pub escalations_opened: usize,
    pub escalations_by_reason: BTreeMap<String, usize>,
    /// Null when no outcome of the period rated the service.
    pub satisfaction: Option<SatisfactionAverages>,
    /// The opinions recorded, latest first (at most 100; empty for a planner).
    pub opinions: Vec<Opinion>,
    /// Issues raised in the period, and how many of them are still open.
    pub open_issues_raised: usize,
    pub open_issues_still_open: usize,
    /// The issues raised, oldest first (at most 100; empty for a planner).
    pub open_issues: Vec<Issue>,
    /// Supervisors' reviews made in the period by verdict (approved, returned; `none` for a
    /// comment without one).
    pub reviews_by_verdict: BTreeMap<String, usize>,
}

/// What the report draws on.
pub struct Period<'a> {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub outcomes: &'a [(Outcome, CallbackKind)],
    pub escalations: &'a [Escalation],
    pub issues: &'a [Issue],
    pub reviews: &'a [Review],
}

pub fn report(p: Period<'_>) -> Report {
    let mut r = Report {
        from: p.from,
        to: p.to,
        outcomes: p.outcomes.len(),
        ..Default::default()
    };
    let mut sums = [0u64; 3];
    let mut rated = 0usize;
    for (o, kind) in p.outcomes {
        *r.by_kind.entry(kind.to_string()).or_default() += 1;
        *r.by_method.entry(o.method.clone()).or_default() += 1;
        *r.by_result.entry(o.result.to_string()).or_default() += 1;
        for (code, ok) in o.answers.0.iter() {
            if !ok {
                *r.failed_checks.entry(code.clone()).or_default() += 1;
            }
        }
        if let Some(s) = &o.satisfaction {
            rated += 1;
            sums[0] += u64::from(s.service);
            sums[1] += u64::from(s.responsiveness);
            sums[2] += u64::from(s.overall);
        }
        if !o.opinions.trim().is_empty() {
            r.opinions.push(Opinion {
                callback_id: o.callback_id.clone(),
                recorded_at: o.recorded_at,
                text: o.opinions.clone(),
            });
        }
    }
    if rated > 0 {
        let avg = |sum: u64| ((sum as f64 / rated as f64) * 100.0).round() / 100.0;
        r.satisfaction = Some(SatisfactionAverages {
            rated,
            service: avg(sums[0]),
            responsiveness: avg(sums[1]),
            overall: avg(sums[2]),
        });
    }
    r.opinions.reverse();
    r.opinions.truncate(MAX_LISTED);
    r.escalations_opened = p.escalations.len();
    for e in p.escalations {
        *r.escalations_by_reason
            .entry(e.reason.to_string())
            .or_default() += 1;
    }
    r.open_issues_raised = p.issues.len();
    r.open_issues_still_open = p.issues.iter().filter(|i| i.closed_at.is_none()).count();
    r.open_issues = p.issues.iter().take(MAX_LISTED).cloned().collect();
    for review in p.reviews {
        let verdict = review.verdict.map_or("none", |v| v.as_str());
        *r.reviews_by_verdict.entry(verdict.to_string()).or_default() += 1;
    }
    r
}
