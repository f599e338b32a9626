//! Events that re-plan callbacks on existing holdings: a product re-rated upwards, and an
//! investor's level lowered (regulation.md §2 re-rating and §5 special callbacks). Each runs in
//! the transaction of the write that caused it.

use chrono::Utc;

use super::AppState;
use super::suitability::reevaluate_holding;
use crate::callbacks::planner;
use crate::error::ApiError;
use crate::rules::Verdict;
use crate::store::orders::{self, OrderStatus};
use crate::store::staff::Staff;
use crate::store::{Conn, callbacks, now};

pub const PRODUCT_RERATED: &str = "product_rerated";
pub const LEVEL_LOWERED: &str = "level_lowered";

/// Re-evaluates every holding of a product whose rating went up; a holding that is no longer a
/// match gets a `product_rerated` special callback. Returns how many callbacks were created.
pub async fn after_rerating(
    state: &AppState,
    c: &mut Conn<'_>,
    product_id: &str,
    caller: &Staff,
) -> Result<usize, ApiError> {
    let holdings = orders::holdings_of_product(c, product_id).await?;
    let rules = state.rules.get();
    let mut created = 0;
    for order in holdings {
        let decision = reevaluate_holding(state, c, &order, "rerating", Some(&caller.id)).await?;
        if decision.outcome.verdict != Verdict::Match {
            let cb = planner::for_event(
                &order,
                PRODUCT_RERATED,
                rules.catalogue(),
                Some(&decision.id),
                &state.config.policy.callbacks,
                now(),
            );
            callbacks::insert(c, &cb).await?;
            super::audit::record(
                c,
                caller,
                "callback.plan",
                "callback",
                &cb.id,
                &serde_json::json!({"order_id": cb.order_id, "reason": cb.reason}),
            )
            .await?;
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
    let rules = state.rules.get();
    let t = now().max(Utc::now());
    for order in &held {
        let decision =
            reevaluate_holding(state, c, order, "level_change", Some(&caller.id)).await?;
        let cb = planner::for_event(
            order,
            LEVEL_LOWERED,
            rules.catalogue(),
            Some(&decision.id),
            &state.config.policy.callbacks,
            t,
        );
        callbacks::insert(c, &cb).await?;
        super::audit::record(
            c,
            caller,
            "callback.plan",
            "callback",
            &cb.id,
            &serde_json::json!({"order_id": cb.order_id, "reason": cb.reason}),
        )
        .await?;
    }
    Ok(held.len())
}
