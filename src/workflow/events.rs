//! Events that re-plan callbacks on existing holdings (regulation.md §2 re-rating, §5 special
//! callbacks): a product re-rated, an investor's level or details changed, a complaint opened or
//! resolved, a periodic callback done, and a rule set activated. Each re-evaluation lets the
//! holding's periodic frequency follow (`callbacks::frequency`). All but the activation run in
//! the transaction of the write that caused them; the activation's re-evaluation runs in the
//! background a page at a time (`batch`), and plans its callbacks through
//! [`plan_rule_specials`] like every other path.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::callbacks::{cooling, frequency};
use super::sale::reevaluate_holding;
use super::{Ctx, Result, audit};
use crate::callbacks::planner::{self, Held};
use crate::domain::state::DecisionPurpose;
use crate::rules::Verdict;
use crate::rules::catalogue::Catalogue;
use crate::rules::decision::{Outcome, SpecialCallback};
use crate::store::callbacks::Callback;
use crate::store::decisions::StoredDecision;
use crate::store::orders::{self, Order};
use crate::store::staff::Staff;
use crate::store::{Conn, now};

pub const PRODUCT_RERATED: &str = "product_rerated";
pub const LEVEL_LOWERED: &str = "level_lowered";
pub const INVESTOR_INFO_CHANGED: &str = "investor_info_changed";
/// A holding from before the service that the active rules would not sell today.
pub const IMPORTED_UNSUITABLE: &str = "imported_unsuitable";

/// Re-evaluates a holding and plans the event's special callback on it, when `wanted` says the
/// re-evaluated decision calls for one. Returns whether a callback was planned.
async fn replan_holding(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    order: &Order,
    (purpose, reason): (DecisionPurpose, &str),
    wanted: impl Fn(&StoredDecision) -> bool,
) -> Result<bool> {
    let decision = reevaluate_holding(c, ctx, order, purpose, Some(actor)).await?;
    let (catalogue, policy) = (ctx.rules.catalogue(), &ctx.policy.callbacks);
    frequency::follow(
        c,
        catalogue,
        policy,
        Some(actor),
        order.into(),
        &decision,
        now(),
    )
    .await?;
    if !wanted(&decision) {
        return Ok(false);
    }
    plan_event(c, ctx, actor, order, reason, &decision.id).await?;
    Ok(true)
}

/// Plans the special callback an event calls for on a holding (never inside its cooling-off),
/// with its audit entry.
pub(crate) async fn plan_event(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    order: &Order,
    reason: &str,
    decision_id: &str,
) -> Result<Callback> {
    let t = now();
    let cb = planner::for_event(
        order,
        reason,
        ctx.rules.catalogue(),
        Some(decision_id),
        &ctx.policy.callbacks,
        t,
    );
    let cb = cooling::plan(c, cb, t).await?;
    let change = serde_json::json!({"order_id": cb.order_id, "reason": cb.reason});
    audit::record(c, actor, "callback.plan", "callback", &cb.id, &change).await?;
    Ok(cb)
}

/// Re-evaluates every holding of a re-rated product (its periodic frequency follows); after a
/// rating went `up`, a holding that is no longer a match gets a `product_rerated` special
/// callback. Returns how many callbacks were created.
pub async fn after_rerating(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    product_id: &str,
    up: bool,
) -> Result<usize> {
    let mut created = 0;
    for order in orders::holdings_of_product(c, product_id).await? {
        let unsuitable = |d: &StoredDecision| up && d.outcome.verdict != Verdict::Match;
        let event = (DecisionPurpose::Rerating, PRODUCT_RERATED);
        if replan_holding(c, ctx, actor, &order, event, unsuitable).await? {
            created += 1;
        }
    }
    Ok(created)
}

/// Re-evaluates every holding of an investor whose level changed (its periodic frequency
/// follows); when the level was `lowered`, each gets a `level_lowered` special callback.
/// Returns how many holdings there were.
pub async fn after_level_changed(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    investor_id: &str,
    lowered: bool,
) -> Result<usize> {
    let held: Vec<Order> = orders::for_investor(c, investor_id)
        .await?
        .into_iter()
        .filter(|o| o.status.is_held())
        .collect();
    for order in &held {
        let event = (DecisionPurpose::LevelChange, LEVEL_LOWERED);
        replan_holding(c, ctx, actor, order, event, |_| lowered).await?;
    }
    Ok(held.len())
}

/// Re-evaluates every holding of an investor whose qualification, capacity or classification
/// changed; a holding that is no longer a match gets an `investor_info_changed` special
/// callback. Returns how many callbacks were created.
pub async fn after_investor_changed(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    investor_id: &str,
) -> Result<usize> {
    let mut created = 0;
    for order in orders::for_investor(c, investor_id).await? {
        if !order.status.is_held() {
            continue;
        }
        let unsuitable = |d: &StoredDecision| d.outcome.verdict != Verdict::Match;
        let event = (DecisionPurpose::InvestorChange, INVESTOR_INFO_CHANGED);
        if replan_holding(c, ctx, actor, &order, event, unsuitable).await? {
            created += 1;
        }
    }
    Ok(created)
}

/// Re-evaluates every holding of an investor whose complaint was opened or resolved, so that
/// their periodic frequency follows (the shipped rules call monthly while one is open).
pub async fn after_complaint(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    investor_id: &str,
) -> Result<()> {
    for order in orders::for_investor(c, investor_id).await? {
        if order.status.is_held() {
            let event = (DecisionPurpose::Complaint, "complaint");
            replan_holding(c, ctx, actor, &order, event, |_| false).await?;
        }
    }
    Ok(())
}

/// After a periodic callback: the next one, one period from `t` at the frequency the active
/// rules give the holding now (none if they give none).
pub async fn next_periodic(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    order: &Order,
    t: DateTime<Utc>,
) -> Result<Option<Callback>> {
    let decision =
        reevaluate_holding(c, ctx, order, DecisionPurpose::Periodic, Some(actor)).await?;
    let Some(frequency) = decision.outcome.periodic else {
        return Ok(None);
    };
    let next = planner::periodic(
        order,
        frequency,
        planner::periodic_group(ctx.rules.catalogue(), decision.outcome.verdict),
        t,
        ctx.rules.catalogue(),
        Some(&decision.id),
        &ctx.policy.callbacks,
        t,
    );
    let next = cooling::plan(c, next, t).await?;
    let change = serde_json::json!({"order_id": next.order_id, "reason": next.reason});
    audit::record(c, actor, "callback.plan", "callback", &next.id, &change).await?;
    Ok(Some(next))
}

/// Plans `missing` (special callbacks a re-evaluated `decision` calls for that the holding has
/// not had: see [`missing_specials`]) from now or the end of cooling-off, whichever is later.
/// Used by the re-evaluation after a rule-set activation; returns the callbacks inserted.
pub async fn plan_rule_specials(
    c: &mut Conn<'_>,
    catalogue: &Catalogue,
    held: Held<'_>,
    decision: &StoredDecision,
    missing: &[&SpecialCallback],
    at: DateTime<Utc>,
) -> Result<usize> {
    let from = at.max(held.cooling_off_ends_at);
    for special in missing {
        let cb = planner::special(held, special, from, catalogue, Some(&decision.id), at);
        let cb = cooling::plan(c, cb, at).await?;
        let change = serde_json::json!({"order_id": cb.order_id, "reason": cb.reason, "ruleset_version": decision.ruleset_version});
        audit::record_system(c, "callback.plan", "callback", &cb.id, &change).await?;
    }
    Ok(missing.len())
}

/// The special callbacks of `outcome` that the holding has not had yet (by order and reason).
pub fn missing_specials<'o>(
    held: Held<'_>,
    outcome: &'o Outcome,
    existing: &HashSet<(String, String)>,
) -> Vec<&'o SpecialCallback> {
    outcome
        .special_callbacks
        .iter()
        .filter(|s| !existing.contains(&(held.order_id.to_string(), s.reason.to_string())))
        .collect()
}
