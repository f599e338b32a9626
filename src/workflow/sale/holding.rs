//! A holding re-evaluated with the active rules, decisions stored, and orders read back.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::decide;
use super::order::views;
use crate::decide::DecisionView;
use crate::domain::state::DecisionPurpose;
use crate::store::decisions::{self, StoredDecision};
use crate::store::orders::{self, Order};
use crate::store::staff::Staff;
use crate::store::{Conn, callbacks, investors, new_id, now};
use crate::workflow::callbacks::CallbackView;
use crate::workflow::{Ctx, Result, WorkflowError, scope};

/// Re-evaluates a holding (an order cooling off or confirmed) with the active rules as of now,
/// and stores the decision with `purpose`. An existing holding is not a first purchase.
pub async fn reevaluate_holding(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    order: &Order,
    purpose: DecisionPurpose,
    actor: Option<&Staff>,
) -> Result<StoredDecision> {
    let view = decide(
        c,
        ctx,
        &order.investor_id,
        &order.product_id,
        order.amount,
        now(),
    )
    .await?;
    store_decision(
        c,
        &view,
        (&order.investor_id, &order.product_id),
        purpose,
        actor,
        now(),
    )
    .await
}

/// Stores the decision `view` for an investor and a product, taken for `purpose` by `actor`
/// (None: the service itself) at `t`, with the facts it saw and the assessment it rests on.
pub(crate) async fn store_decision(
    c: &mut Conn<'_>,
    view: &DecisionView,
    (investor_id, product_id): (&str, &str),
    purpose: DecisionPurpose,
    actor: Option<&Staff>,
    t: DateTime<Utc>,
) -> Result<StoredDecision> {
    let stored = StoredDecision {
        id: new_id(),
        investor_id: investor_id.to_string(),
        product_id: product_id.to_string(),
        purpose,
        ruleset_version: view.outcome.ruleset_version,
        facts: view.facts.clone(),
        outcome: view.outcome.clone(),
        created_by: actor.map(|a| a.id.clone()),
        created_at: t,
        assessment_id: view.investor.assessment_id.clone(),
    };
    decisions::insert(c, &stored).await?;
    Ok(stored)
}

/// One order with its callbacks.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrderDetail {
    #[serde(flatten)]
    pub order: Order,
    pub callbacks: Vec<CallbackView>,
}

pub async fn order_detail(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    id: &str,
) -> Result<OrderDetail> {
    let order = scope::order(c, actor, id).await?;
    let cbs = callbacks::for_order(c, id).await?;
    Ok(OrderDetail {
        callbacks: views(c, ctx, &order, cbs).await?,
        order,
    })
}

/// The investor's orders, oldest first.
pub async fn investor_orders(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    investor_id: &str,
) -> Result<Vec<Order>> {
    scope::investor(c, actor, investor_id).await?;
    investors::get(c, ctx.vault, investor_id)
        .await?
        .ok_or(WorkflowError::NotFound("investor"))?;
    Ok(orders::for_investor(c, investor_id).await?)
}
