//! Holdings from before the service (imported from a firm's book): confirmed long ago, so no
//! cooling-off, confirmation or first-purchase callbacks are planned for them; the active rules
//! decide them as they stand today (the decision is stored, purpose `import`), and their
//! periodic callbacks keep the cadence of their confirmation: the next one falls on the first
//! period boundary after today, counted from the confirmation date. A holding the rules would not
//! sell today gets an `imported_unsuitable` special callback: the investor is told.

use chrono::{DateTime, Duration, Utc};

use super::callbacks::cooling;
use super::{Ctx, Result, WorkflowError, audit, events, sale};
use crate::callbacks::planner;
use crate::domain::state::{DecisionPurpose, OrderStatus};
use crate::domain::{FieldProblem, Money, Role};
use crate::rules::Verdict;
use crate::store::orders::{self, Evidence, Order};
use crate::store::staff::Staff;
use crate::store::{Conn, imports, new_id, now, truncate_micros};

/// Roles that may bring in an existing book.
pub const MAY_IMPORT: &[Role] = &[Role::Risk, Role::Admin];

/// A holding as the firm's book records it.
#[derive(Debug, Clone)]
pub struct ExistingHolding {
    pub investor_id: String,
    pub product_id: String,
    pub amount: Money,
    pub signed_at: DateTime<Utc>,
    /// When the money arrived; the signing date when the book does not say.
    pub paid_at: Option<DateTime<Utc>>,
    /// When the fund confirmed the shares (份额确认).
    pub confirmed_at: DateTime<Utc>,
    pub recording_ref: Option<String>,
}

/// No holding of this service's book predates it by more than this (a typing error).
const EARLIEST: DateTime<Utc> = DateTime::from_timestamp_nanos(946_684_800_000_000_000);

fn check(h: &ExistingHolding, t: DateTime<Utc>, cooling_off_hours: u32) -> Result<()> {
    let mut problems = Vec::new();
    if h.amount == Money::ZERO {
        problems.push(FieldProblem::new("amount", "must be greater than zero"));
    }
    let paid = h.paid_at.unwrap_or(h.signed_at);
    for (field, at) in [
        ("signed_at", h.signed_at),
        ("paid_at", paid),
        ("confirmed_at", h.confirmed_at),
    ] {
        if at > t {
            problems.push(FieldProblem::new(field, "must not be in the future"));
        } else if at < EARLIEST {
            problems.push(FieldProblem::new(field, "must not be before 2000-01-01"));
        }
    }
    // A holding whose cooling-off (投资冷静期) had not ended by its confirmation is a sale still
    // in its course: it is placed as an order, with its confirmation callback, not imported.
    let cooled = h.signed_at.max(paid) + Duration::hours(i64::from(cooling_off_hours));
    if h.confirmed_at < h.signed_at.max(paid) {
        problems.push(FieldProblem::new(
            "confirmed_at",
            "must not be before the signing and payment dates",
        ));
    } else if h.confirmed_at < cooled {
        problems.push(FieldProblem::new(
            "confirmed_at",
            format!(
                "falls within the {cooling_off_hours}-hour cooling-off after signing and payment: \
                 a sale still in its course is placed as an order (POST /v1/orders), not imported"
            ),
        ));
    }
    if h.recording_ref
        .as_ref()
        .is_some_and(|r| r.trim().is_empty() || r.chars().count() > sale::MAX_RECORDING_REF)
    {
        problems.push(FieldProblem::new(
            "recording_ref",
            format!("must be 1 to {} characters", sale::MAX_RECORDING_REF),
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(WorkflowError::Invalid(problems))
    }
}

/// The start of the period whose end is the next periodic callback: the latest confirmation
/// anniversary (every `months`) not after `t`.
pub fn period_start(confirmed_at: DateTime<Utc>, months: u32, t: DateTime<Utc>) -> DateTime<Utc> {
    let mut from = confirmed_at;
    // Bounded: at most 12 × 30 years of monthly steps for a holding signed since 2000.
    for k in 1..=400u32 {
        let next = planner::add_months(confirmed_at, months * k);
        if next > t || next == from {
            break;
        }
        from = next;
    }
    from
}

/// Records a holding from before the service; None if this holding (same investor, product,
/// signing time and amount) is in the store already, so a book imported twice adds nothing.
pub async fn import(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    h: ExistingHolding,
) -> Result<Option<Order>> {
    if !actor.has_any(MAY_IMPORT) {
        return Err(WorkflowError::forbidden(
            "forbidden",
            "only risk and admin staff import holdings",
        ));
    }
    let t = now();
    check(&h, t, ctx.policy.callbacks.cooling_off_hours)?;
    let signed_at = truncate_micros(h.signed_at);
    // Looked for and written under one lock for the rest of the transaction: two instances
    // importing the same book at once would otherwise both find a holding missing and both write
    // it (PostgreSQL reads committed data only; SQLite's write transaction serialises already).
    // The import takes it at the start of each batch, before any other lock (`imports::run`);
    // taking it again here is free and keeps this function safe on its own.
    crate::store::lock_key(c, "imports/holdings").await?;
    if imports::holding_exists(c, &h.investor_id, &h.product_id, signed_at, h.amount).await? {
        return Ok(None);
    }
    // Decided as a holding (not a first purchase), as every later re-evaluation of it will be.
    let view = sale::decide_held(c, ctx, &h.investor_id, &h.product_id, h.amount).await?;
    let decision = sale::store_decision(
        c,
        &view,
        (&h.investor_id, &h.product_id),
        DecisionPurpose::Import,
        Some(actor),
        t,
    )
    .await?;
    let paid_at = truncate_micros(h.paid_at.unwrap_or(h.signed_at));
    let policy = &ctx.policy.callbacks;
    let order = Order {
        id: new_id(),
        investor_id: h.investor_id,
        product_id: h.product_id,
        amount: h.amount,
        status: OrderStatus::Confirmed,
        signed_at,
        paid_at,
        cooling_off_ends_at: signed_at.max(paid_at)
            + Duration::hours(i64::from(policy.cooling_off_hours)),
        acknowledgments: Vec::new(),
        recording_ref: h.recording_ref,
        evidence: Evidence::new(),
        decision_id: decision.id.clone(),
        created_by: actor.id.clone(),
        created_at: t,
        status_changed_at: truncate_micros(h.confirmed_at),
    };
    orders::insert(c, &order).await?;
    let change = serde_json::json!({"order": &order, "imported": true,
        "verdict": view.outcome.verdict.as_str(), "ruleset_version": view.outcome.ruleset_version});
    audit::record(c, actor, "order.import", "order", &order.id, &change).await?;
    if let Some(frequency) = view.outcome.periodic {
        let catalogue = ctx.rules.catalogue();
        let from = period_start(order.status_changed_at, frequency.months(), t);
        let cb = planner::periodic(
            &order,
            frequency,
            planner::periodic_group(catalogue, view.outcome.verdict),
            from,
            catalogue,
            Some(&decision.id),
            policy,
            t,
        );
        let cb = cooling::plan(c, cb, t).await?;
        let change =
            serde_json::json!({"order_id": order.id, "kind": cb.kind, "reason": cb.reason});
        audit::record(c, actor, "callback.plan", "callback", &cb.id, &change).await?;
    }
    // A holding the rules decide other than a match is re-matched (regulation.md §2): the
    // investor is told, and a failed or unanswered callback escalates to compliance. (The same
    // test as a holding re-evaluated after the investor's details change.)
    if view.outcome.verdict != Verdict::Match {
        let reason = events::IMPORTED_UNSUITABLE;
        events::plan_event(c, ctx, actor, &order, reason, &decision.id).await?;
    }
    Ok(Some(order))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_next_period_keeps_the_confirmation_cadence() {
        let confirmed = at("2024-03-15T00:00:00Z");
        let today = at("2026-12-07T00:00:00Z");
        // Quarterly: anniversaries on the 15th of Mar/Jun/Sep/Dec; the last one by today is
        // 2026-09-15, so the next callback is due from 2026-12-15.
        assert_eq!(
            period_start(confirmed, 3, today),
            at("2026-09-15T00:00:00Z")
        );
        assert_eq!(
            period_start(confirmed, 12, today),
            at("2026-03-15T00:00:00Z")
        );
        // Confirmed within the period: the first callback is one period after confirmation.
        let recent = at("2026-11-01T00:00:00Z");
        assert_eq!(period_start(recent, 3, today), recent);
    }
}
