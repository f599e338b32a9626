//! A holding's life after the sale: the investor rescinding before a successful confirmation,
//! and the investor's holdings (orders cooling off or confirmed).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Result, WorkflowError, audit, scope};
use crate::domain::Money;
use crate::domain::state::OrderStatus;
use crate::domain::text;
use crate::store::orders::{self, Order};
use crate::store::staff::Staff;
use crate::store::{Conn, callbacks, now};

/// Voids an order still cooling off (or past it but not yet confirmed) and cancels its open
/// callbacks, each with its audit entry; false if it had settled already.
pub(crate) async fn void(
    c: &mut Conn<'_>,
    actor: &Staff,
    order: &Order,
    t: DateTime<Utc>,
    why: &str,
) -> Result<bool> {
    if !orders::settle(c, &order.id, OrderStatus::Rescinded, t).await? {
        return Ok(false);
    }
    for id in callbacks::cancel_open_for_order(c, &order.id, t, why).await? {
        let change = serde_json::json!({"order_id": order.id, "why": why});
        audit::record(c, actor, "callback.cancel", "callback", &id, &change).await?;
    }
    Ok(true)
}

/// The investor's request to rescind.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "投资者在冷静期内书面申请撤销认购并要求退款",
    "request_ref": "撤销申请书 CX-2026-1202-0003"}))]
pub struct Rescission {
    /// Why, in the investor's words or the staff member's summary.
    pub reason: String,
    /// Where the investor's written request is kept.
    pub request_ref: String,
}

pub const MAX_REASON: usize = 500;
pub const MAX_REF: usize = 200;

/// Rescinds an order at the investor's request, any time before a successful confirmation:
/// the refund is due and its callbacks are cancelled. 409 `order_settled` once it is confirmed
/// or rescinded.
pub async fn rescind(c: &mut Conn<'_>, actor: &Staff, id: &str, req: Rescission) -> Result<Order> {
    let mut problems = Vec::new();
    for (field, value, max) in [
        ("reason", req.reason.as_str(), MAX_REASON),
        ("request_ref", req.request_ref.as_str(), MAX_REF),
    ] {
        if let Err(problem) = text::clean_text(value, max) {
            problems.push(crate::domain::FieldProblem::new(field, problem));
        }
    }
    if !problems.is_empty() {
        return Err(WorkflowError::Invalid(problems));
    }
    let order = scope::order(c, actor, id).await?;
    if !void(
        c,
        actor,
        &order,
        now(),
        "rescinded at the investor's request",
    )
    .await?
    {
        return Err(WorkflowError::conflict(
            "order_settled",
            format!(
                "the order is {} already: only an order not yet confirmed can be rescinded",
                order.status
            ),
        ));
    }
    let change =
        serde_json::json!({"reason": req.reason.trim(), "request_ref": req.request_ref.trim()});
    audit::record(c, actor, "order.rescind", "order", &order.id, &change).await?;
    orders::get(c, id)
        .await?
        .ok_or(WorkflowError::NotFound("order"))
}

/// One holding as listed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HoldingItem {
    pub id: String,
    pub product_id: String,
    /// What is held now (the subscription less any redemptions).
    #[schema(value_type = String, example = "1000000")]
    pub amount: Money,
    pub status: OrderStatus,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HoldingList {
    pub items: Vec<HoldingItem>,
}

/// The investor's holdings: orders cooling off or confirmed, oldest first.
pub async fn of_investor(
    c: &mut Conn<'_>,
    actor: &Staff,
    investor_id: &str,
) -> Result<HoldingList> {
    scope::investor(c, actor, investor_id).await?;
    let mut items = Vec::new();
    for o in orders::for_investor(c, investor_id).await? {
        if !o.status.is_held() {
            continue;
        }
        items.push(HoldingItem {
            amount: orders::remaining(c, &o).await?,
            id: o.id,
            product_id: o.product_id,
            status: o.status,
        });
    }
    Ok(HoldingList { items })
}
