//! Unit tests of the planner: due dates, windows and checks of every kind of callback.

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
        evidence: Default::default(),
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
        }]
        .into(),
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

/// A UTC moment from its RFC 3339 text.
fn utc(s: &str) -> DateTime<Utc> {
    s.parse().expect("a time")
}

#[test]
fn months_are_added_on_the_calendar_and_clamped_at_month_end() {
    assert_eq!(
        add_months(utc("2026-01-31T00:00:00Z"), 1),
        utc("2026-02-28T00:00:00Z")
    );
}

#[test]
fn months_are_counted_on_the_china_calendar() {
    // 01:00 on 31 January in China is 17:00 on the 30th in UTC: a month later is 28 February in
    // China (17:00 on the 27th in UTC), where counting in UTC would give 1 March in China.
    assert_eq!(
        add_months(utc("2026-01-30T17:00:00Z"), 1),
        utc("2026-02-27T17:00:00Z")
    );
    // Twelve months from 29 February lands on 28 February, China time.
    assert_eq!(
        add_months(utc("2028-02-28T16:30:00Z"), 12),
        utc("2029-02-27T16:30:00Z")
    );
}

#[test]
fn an_event_without_its_group_asks_the_periodic_checks() {
    let policy = CallbackPolicy::default();
    let own = for_event(
        &order(),
        "product_rerated",
        &catalogue(),
        None,
        &policy,
        at(25, 0),
    );
    let codes = |cb: &Callback| cb.checks.iter().map(|c| c.code.clone()).collect::<Vec<_>>();
    assert!(codes(&own).contains(&"rerating_informed".to_string()));
    let missing = for_event(
        &order(),
        "no_such_group",
        &catalogue(),
        None,
        &policy,
        at(25, 0),
    );
    let periodic = group_checks(&catalogue(), "periodic");
    assert!(!periodic.is_empty());
    assert_eq!(
        codes(&missing),
        periodic.iter().map(|c| c.code.clone()).collect::<Vec<_>>()
    );
}
