//! Turning decisions and events into callback tasks.
//!
//! Nothing is due before cooling-off ends (contact during it is forbidden). The confirmation
//! callback carries the decision's checks; each special callback of the decision is due within
//! its `due_in_days` of the end of cooling-off; the first periodic one falls one period after it.

use chrono::{DateTime, Duration, Utc};

use crate::config::CallbackPolicy;
use crate::domain::state::{CallbackKind, CallbackStatus};
use crate::rules::catalogue::Catalogue;
use crate::rules::decision::{Outcome, SpecialCallback};
use crate::rules::{Frequency, Verdict};
use crate::store::callbacks::{Callback, CheckRef};
use crate::store::new_id;
use crate::store::orders::Order;

/// The reason of a confirmation callback, and the catalogue group of periodic checks.
pub const CONFIRMATION: &str = "confirmation";
pub const PERIODIC: &str = "periodic";
/// The catalogue group of a held mismatch's periodic checks (rule sets without it use `PERIODIC`).
pub const PERIODIC_MISMATCH: &str = "periodic_mismatch";

/// The periodic checks for a holding decided `verdict`: a mismatch is never asked whether the
/// product matches their tolerance (the honest answer is no, and the sale was allowed).
pub fn periodic_group(catalogue: &Catalogue, verdict: Verdict) -> &'static str {
    if verdict == Verdict::Mismatch && catalogue.group(PERIODIC_MISMATCH).is_some() {
        PERIODIC_MISMATCH
    } else {
        PERIODIC
    }
}

/// The holding a callback is about: an order, or a holding streamed by batch work.
#[derive(Debug, Clone, Copy)]
pub struct Held<'a> {
    pub order_id: &'a str,
    pub investor_id: &'a str,
    pub product_id: &'a str,
    pub cooling_off_ends_at: DateTime<Utc>,
}

impl<'a> From<&'a Order> for Held<'a> {
    fn from(o: &'a Order) -> Self {
        Held {
            order_id: &o.id,
            investor_id: &o.investor_id,
            product_id: &o.product_id,
            cooling_off_ends_at: o.cooling_off_ends_at,
        }
    }
}

/// A callback task due in [due_from, due_by].
pub fn task(
    held: Held<'_>,
    kind: CallbackKind,
    reason: &str,
    (due_from, due_by): (DateTime<Utc>, DateTime<Utc>),
    checks: Vec<CheckRef>,
    decision_id: Option<&str>,
    now: DateTime<Utc>,
) -> Callback {
    Callback {
        id: new_id(),
        order_id: Some(held.order_id.to_string()),
        investor_id: held.investor_id.to_string(),
        product_id: Some(held.product_id.to_string()),
        kind,
        reason: reason.to_string(),
        due_from,
        due_by,
        checks,
        status: CallbackStatus::Open,
        assignee_id: None,
        attempts: 0,
        decision_id: decision_id.map(str::to_string),
        created_at: now,
        closed_at: None,
        complaint_id: None,
        cancel_reason: None,
        planned_method: "phone".to_string(),
    }
}

/// The checks of a catalogue group (with their current questions), empty if the group is absent.
pub fn group_checks(catalogue: &Catalogue, group: &str) -> Vec<CheckRef> {
    catalogue
        .group(group)
        .unwrap_or(&[])
        .iter()
        .map(|&i| {
            let c = catalogue.get(i);
            CheckRef {
                code: c.code.clone(),
                question: c.question.clone(),
            }
        })
        .collect()
}

fn codes_to_checks(
    catalogue: &Catalogue,
    codes: impl IntoIterator<Item = impl AsRef<str>>,
) -> Vec<CheckRef> {
    codes
        .into_iter()
        .filter_map(|code| catalogue.by_code(code.as_ref()))
        .map(|c| CheckRef {
            code: c.code.clone(),
            question: c.question.clone(),
        })
        .collect()
}

/// `t` plus `months` calendar months, counted in China time (see `config::add_business_months`).
pub fn add_months(t: DateTime<Utc>, months: u32) -> DateTime<Utc> {
    crate::config::add_business_months(t, months).unwrap_or(t)
}

/// The callbacks a new order creates.
pub fn for_new_order(
    order: &Order,
    outcome: &Outcome,
    catalogue: &Catalogue,
    decision_id: &str,
    policy: &CallbackPolicy,
    now: DateTime<Utc>,
) -> Vec<Callback> {
    let start = order.cooling_off_ends_at;
    let mut out = Vec::new();
    let checks = outcome.checks.iter().map(|c| CheckRef {
        code: c.code.to_string(),
        question: c.question.to_string(),
    });
    out.push(task(
        order.into(),
        CallbackKind::Confirmation,
        CONFIRMATION,
        (
            start,
            start + Duration::days(i64::from(policy.confirmation_window_days)),
        ),
        checks.collect(),
        Some(decision_id),
        now,
    ));
    for s in &outcome.special_callbacks {
        out.push(special(
            order.into(),
            s,
            start,
            catalogue,
            Some(decision_id),
            now,
        ));
    }
    if let Some(frequency) = outcome.periodic {
        out.push(periodic(
            order,
            frequency,
            periodic_group(catalogue, outcome.verdict),
            start,
            catalogue,
            Some(decision_id),
            policy,
            now,
        ));
    }
    out
}

/// The special callback a decision calls for, due within its `due_in_days` of `from`.
pub fn special(
    held: Held<'_>,
    special: &SpecialCallback,
    from: DateTime<Utc>,
    catalogue: &Catalogue,
    decision_id: Option<&str>,
    now: DateTime<Utc>,
) -> Callback {
    let due_by = from + Duration::days(special.due_in_days.max(1));
    let checks = codes_to_checks(catalogue, special.checks.iter().map(|c| c.as_str()));
    task(
        held,
        CallbackKind::Special,
        &special.reason,
        (from, due_by),
        checks,
        decision_id,
        now,
    )
}

/// The periodic callback one period after `from`, asking the checks of `group`.
#[allow(clippy::too_many_arguments)]
pub fn periodic(
    order: &Order,
    frequency: Frequency,
    group: &str,
    from: DateTime<Utc>,
    catalogue: &Catalogue,
    decision_id: Option<&str>,
    policy: &CallbackPolicy,
    now: DateTime<Utc>,
) -> Callback {
    let due_from = add_months(from, frequency.months());
    let due_by = due_from + Duration::days(i64::from(policy.periodic_window_days));
    task(
        order.into(),
        CallbackKind::Periodic,
        frequency.as_str(),
        (due_from, due_by),
        group_checks(catalogue, group),
        decision_id,
        now,
    )
}

/// A special callback raised by an event (`product_rerated`, `level_lowered`) on a holding; it
/// never falls inside the holding's cooling-off.
pub fn for_event(
    order: &Order,
    reason: &str,
    catalogue: &Catalogue,
    decision_id: Option<&str>,
    policy: &CallbackPolicy,
    now: DateTime<Utc>,
) -> Callback {
    let due_from = now.max(order.cooling_off_ends_at);
    let due_by = due_from + Duration::days(i64::from(policy.event_due_days));
    // A rule set from before the event's group existed still asks something: the periodic checks.
    let mut checks = group_checks(catalogue, reason);
    if checks.is_empty() {
        checks = group_checks(catalogue, "periodic");
    }
    task(
        order.into(),
        CallbackKind::Special,
        reason,
        (due_from, due_by),
        checks,
        decision_id,
        now,
    )
}

#[cfg(test)]
#[path = "planner_tests.rs"]
mod tests;
