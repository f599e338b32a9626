//! Turning decisions and events into callback tasks.
//!
//! Nothing is due before cooling-off ends (contact during it is forbidden). The confirmation
//! callback carries the decision's checks; each special callback of the decision is due within
//! its `due_in_days` of the end of cooling-off; the first periodic one falls one period after it.

use chrono::{DateTime, Duration, Months, Utc};

use crate::config::CallbackPolicy;
use crate::domain::state::{CallbackKind, CallbackStatus};
use crate::rules::Frequency;
use crate::rules::catalogue::Catalogue;
use crate::rules::decision::{Outcome, SpecialCallback};
use crate::store::callbacks::{Callback, CheckRef};
use crate::store::new_id;
use crate::store::orders::Order;

/// The reason of a confirmation callback, and the catalogue group of periodic checks.
pub const CONFIRMATION: &str = "confirmation";
pub const PERIODIC: &str = "periodic";

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

pub fn add_months(t: DateTime<Utc>, months: u32) -> DateTime<Utc> {
    t.checked_add_months(Months::new(months)).unwrap_or(t)
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

/// The periodic callback one period after `from`.
pub fn periodic(
    order: &Order,
    frequency: Frequency,
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
        group_checks(catalogue, PERIODIC),
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
    task(
        order.into(),
        CallbackKind::Special,
        reason,
        (due_from, due_by),
        group_checks(catalogue, reason),
        decision_id,
        now,
    )
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::Money;
    use crate::domain::state::OrderStatus;
    use crate::rules::Verdict;
    use crate::rules::decision::CheckItem;

    fn catalogue() -> Catalogue {
        Catalogue::parse(include_str!("../../rules/checks.toml")).expect("the shipped catalogue")
    }

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0)
            .single()
            .expect("a time")
    }

    fn order() -> Order {
        Order {
            id: "o1".into(),
            investor_id: "i1".into(),
            product_id: "p1".into(),
            amount: Money::from_yuan(1_000_000),
            status: OrderStatus::CoolingOff,
            signed_at: at(20, 9),
            paid_at: at(20, 10),
            cooling_off_ends_at: at(21, 10),
            acknowledgments: Vec::new(),
            recording_ref: None,
            decision_id: "d1".into(),
            created_by: "s1".into(),
            created_at: at(20, 11),
            status_changed_at: at(20, 11),
        }
    }

    fn outcome() -> Outcome {
        Outcome {
            verdict: Verdict::Mismatch,
            reasons: Vec::new(),
            requirements: Vec::new(),
            checks: vec![CheckItem {
                code: "identity_confirmed".into(),
                question: "您是否本人？".into(),
            }],
            periodic: Some(Frequency::Quarterly),
            special_callbacks: vec![SpecialCallback {
                reason: "mismatch".into(),
                due_in_days: 2,
                checks: vec!["identity_confirmed".into(), "no_such_check".into()],
            }],
            notes: Vec::new(),
            ruleset_version: 1,
            trace: Vec::new(),
        }
    }

    #[test]
    fn a_new_order_gets_its_confirmation_specials_and_first_periodic_after_cooling_off() {
        let policy = CallbackPolicy::default();
        let planned = for_new_order(
            &order(),
            &outcome(),
            &catalogue(),
            "d1",
            &policy,
            at(20, 11),
        );
        let kinds: Vec<CallbackKind> = planned.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            [
                CallbackKind::Confirmation,
                CallbackKind::Special,
                CallbackKind::Periodic
            ]
        );
        let end = at(21, 10);
        // Nothing is due before cooling-off ends.
        assert!(planned.iter().all(|c| c.due_from >= end));
        let confirmation = &planned[0];
        assert_eq!(confirmation.due_from, end);
        assert_eq!(
            confirmation.due_by,
            end + Duration::days(i64::from(policy.confirmation_window_days))
        );
        assert_eq!(confirmation.checks[0].code, "identity_confirmed");
        // The special one is due within its days; an unknown check code is dropped.
        let special = &planned[1];
        assert_eq!(
            (special.reason.as_str(), special.due_by),
            ("mismatch", end + Duration::days(2))
        );
        assert_eq!(special.checks.len(), 1);
        // The first periodic one falls one period after cooling-off, with its window.
        let periodic = &planned[2];
        assert_eq!(periodic.reason, "quarterly");
        assert_eq!(periodic.due_from, add_months(end, 3));
        assert_eq!(
            periodic.due_by - periodic.due_from,
            Duration::days(i64::from(policy.periodic_window_days))
        );
        assert!(planned.iter().all(|c| c.status == CallbackStatus::Open
            && c.order_id.as_deref() == Some("o1")
            && c.decision_id.as_deref() == Some("d1")));
    }

    #[test]
    fn an_event_callback_never_falls_inside_cooling_off() {
        let policy = CallbackPolicy::default();
        let during = for_event(
            &order(),
            "product_rerated",
            &catalogue(),
            None,
            &policy,
            at(21, 0),
        );
        assert_eq!(during.due_from, at(21, 10));
        let after = for_event(
            &order(),
            "product_rerated",
            &catalogue(),
            None,
            &policy,
            at(25, 0),
        );
        assert_eq!(after.due_from, at(25, 0));
        assert_eq!(
            after.due_by - after.due_from,
            Duration::days(i64::from(policy.event_due_days))
        );
    }

    #[test]
    fn a_special_callback_of_zero_days_still_gets_one_day() {
        let mut s = outcome().special_callbacks.remove(0);
        s.due_in_days = 0;
        let cb = special(
            (&order()).into(),
            &s,
            at(22, 0),
            &catalogue(),
            None,
            at(22, 0),
        );
        assert_eq!(cb.due_by - cb.due_from, Duration::days(1));
    }

    #[test]
    fn months_are_added_on_the_calendar_and_clamped_at_month_end() {
        let jan31 = Utc
            .with_ymd_and_hms(2026, 1, 31, 0, 0, 0)
            .single()
            .expect("t");
        let feb28 = Utc
            .with_ymd_and_hms(2026, 2, 28, 0, 0, 0)
            .single()
            .expect("t");
        assert_eq!(add_months(jan31, 1), feb28);
    }
}
