//! Events that re-plan callbacks on existing holdings: a product re-rated upwards, and an
//! investor's level lowered (regulation.md §2 re-rating and §5 special callbacks). Each runs in
//! the transaction of the write that caused it.

use super::AppState;
use super::suitability::reevaluate_holding;
use crate::callbacks::planner;
use crate::error::ApiError;
use crate::rules::Verdict;
use crate::store::decisions::StoredDecision;
use crate::store::orders::{self, Order, OrderStatus};
use crate::store::staff::Staff;
use crate::store::{Conn, callbacks, now};

pub const PRODUCT_RERATED: &str = "product_rerated";
pub const LEVEL_LOWERED: &str = "level_lowered";

/// Re-evaluates a holding and plans the event's special callback on it, when `wanted` says the
/// re-evaluated decision calls for one. Returns whether a callback was planned.
async fn replan_holding(
    state: &AppState,
    c: &mut Conn<'_>,
    order: &Order,
    (purpose, reason): (&str, &str),
    caller: &Staff,
    wanted: impl Fn(&StoredDecision) -> bool,
) -> Result<bool, ApiError> {
    let decision = reevaluate_holding(state, c, order, purpose, Some(&caller.id)).await?;
    if !wanted(&decision) {
        return Ok(false);
    }
    let rules = state.rules.get();
    let cb = planner::for_event(
        order,
        reason,
        rules.catalogue(),
        Some(&decision.id),
        &state.config.policy.callbacks,
        now(),
    );
    callbacks::insert(c, &cb).await?;
    let change = serde_json::json!({"order_id": cb.order_id, "reason": cb.reason});
    super::audit::record(c, caller, "callback.plan", "callback", &cb.id, &change).await?;
    Ok(true)
}

/// Re-evaluates every holding of a product whose rating went up; a holding that is no longer a
/// match gets a `product_rerated` special callback. Returns how many callbacks were created.
pub async fn after_rerating(
    state: &AppState,
    c: &mut Conn<'_>,
    product_id: &str,
    caller: &Staff,
) -> Result<usize, ApiError> {
    let mut created = 0;
    for order in orders::holdings_of_product(c, product_id).await? {
        let unsuitable = |d: &StoredDecision| d.outcome.verdict != Verdict::Match;
        if replan_holding(
            state,
            c,
            &order,
            ("rerating", PRODUCT_RERATED),
            caller,
            unsuitable,
        )
        .await?
        {
            created += 1;
        }
    }
    Ok(created)
}

/// Gives every holding of an investor whose level was lowered a `level_lowered` special callback,
/// with the holding re-evaluated on the new level.
pub async fn after_level_lowered(
    state: &AppState,
    c: &mut Conn<'_>,
    investor_id: &str,
    caller: &Staff,
) -> Result<usize, ApiError> {
    let held: Vec<_> = orders::for_investor(c, investor_id)
        .await?
        .into_iter()
        .filter(|o| matches!(o.status, OrderStatus::CoolingOff | OrderStatus::Confirmed))
        .collect();
    for order in &held {
        replan_holding(
            state,
            c,
            order,
            ("level_change", LEVEL_LOWERED),
            caller,
            |_| true,
        )
        .await?;
    }
    Ok(held.len())
}
