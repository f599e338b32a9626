//! A holding's end: redeemed (in part, or in full) at the investor's request, or wound up with
//! its product (清算). A holding with nothing left is ended (`redeemed`, `liquidated`) and its
//! open callbacks are cancelled with the reason, so periodic callbacks stop.

use serde::{Deserialize, Serialize};

use super::holdings::HoldingItem;
use super::{Result, WorkflowError, audit, scope};
use crate::domain::money::RawAmount;
use crate::domain::state::OrderStatus;
use crate::domain::{Money, Role};
use crate::store::orders::{self, Order, Redemption};
use crate::store::products::{self, Product};
use crate::store::staff::Staff;
use crate::store::{Conn, callbacks, lock_key, new_id, now};

/// Who may wind up a product.
pub const MAY_LIQUIDATE: &[Role] = &[Role::Risk, Role::Admin];

/// A redemption request: an `amount`, or `all`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"amount": "500000"}))]
pub struct Redeem {
    pub amount: Option<RawAmount>,
    /// true: everything held.
    pub all: Option<bool>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Redeemed {
    pub redemption: Redemption,
    pub holding: HoldingItem,
}

/// Cancels the open callbacks of an ended holding, each with its audit entry.
async fn end_callbacks(c: &mut Conn<'_>, actor: &Staff, order: &Order, why: &str) -> Result<()> {
    for id in callbacks::cancel_open_for_order(c, &order.id, now(), why).await? {
        let change = serde_json::json!({"order_id": order.id, "why": why});
        audit::record(c, actor, "callback.cancel", "callback", &id, &change).await?;
    }
    Ok(())
}

/// Redeems part or all of a confirmed holding.
pub async fn redeem(c: &mut Conn<'_>, actor: &Staff, id: &str, req: Redeem) -> Result<Redeemed> {
    let order = scope::order(c, actor, id).await?;
    lock_key(c, &format!("order/{id}")).await?;
    let order = orders::get(c, &order.id)
        .await?
        .ok_or(WorkflowError::NotFound("order"))?;
    match order.status {
        OrderStatus::Confirmed => {}
        OrderStatus::CoolingOff => {
            return Err(WorkflowError::conflict(
                "not_confirmed",
                "the order is still cooling off or awaiting its confirmation: rescind it instead",
            ));
        }
        other => {
            return Err(WorkflowError::conflict(
                "order_settled",
                format!("the order is {other}: nothing is held"),
            ));
        }
    }
    let held = orders::remaining(c, &order).await?;
    let amount = match (&req.amount, req.all) {
        (None, Some(true)) => held,
        (Some(raw), None | Some(false)) => {
            let amount = raw.parse().map_err(|e| WorkflowError::field("amount", e))?;
            if amount == Money::ZERO {
                return Err(WorkflowError::field("amount", "must be greater than zero"));
            }
            if amount > held {
                return Err(WorkflowError::field(
                    "amount",
                    format!("exceeds the {held} held"),
                ));
            }
            amount
        }
        _ => {
            return Err(WorkflowError::field(
                "amount",
                "give either an amount or \"all\": true",
            ));
        }
    };
    let remaining = Money::new(held.value() - amount.value())
        .map_err(|e| WorkflowError::Internal(format!("remaining: {e}")))?;
    let redemption = Redemption {
        id: new_id(),
        order_id: order.id.clone(),
        amount,
        remaining,
        requested_by: actor.id.clone(),
        redeemed_at: now(),
    };
    orders::insert_redemption(c, &redemption).await?;
    audit::record(c, actor, "holding.redeem", "order", &order.id, &redemption).await?;
    let mut status = order.status;
    if remaining == Money::ZERO {
        let ended = orders::end_holding(
            c,
            &order.id,
            OrderStatus::Redeemed,
            redemption.redeemed_at,
            &[OrderStatus::Confirmed],
        )
        .await?;
        if !ended {
            return Err(WorkflowError::conflict(
                "order_settled",
                "the order changed meanwhile",
            ));
        }
        status = OrderStatus::Redeemed;
        end_callbacks(c, actor, &order, "holding redeemed in full").await?;
    }
    Ok(Redeemed {
        holding: HoldingItem {
            id: order.id,
            product_id: order.product_id,
            amount: remaining,
            status,
        },
        redemption,
    })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Liquidated {
    pub product: Product,
    /// How many holdings ended with it.
    pub holdings_ended: usize,
}

/// Winds up a product: it is sold no more, and every holding of it ends.
pub async fn liquidate(c: &mut Conn<'_>, actor: &Staff, product_id: &str) -> Result<Liquidated> {
    if !actor.has_any(MAY_LIQUIDATE) {
        return Err(WorkflowError::forbidden(
            "forbidden",
            "only risk and admin wind up products",
        ));
    }
    let t = now();
    if !products::set_liquidated(c, product_id, t).await? {
        return match products::get(c, product_id).await? {
            Some(_) => Err(WorkflowError::conflict(
                "product_liquidated",
                "the product has been wound up already",
            )),
            None => Err(WorkflowError::NotFound("product")),
        };
    }
    let mut ended = 0;
    for order in orders::holdings_of_product(c, product_id).await? {
        let from = [OrderStatus::CoolingOff, OrderStatus::Confirmed];
        if orders::end_holding(c, &order.id, OrderStatus::Liquidated, t, &from).await? {
            ended += 1;
            end_callbacks(c, actor, &order, "product liquidated").await?;
        }
    }
    let change = serde_json::json!({"holdings_ended": ended});
    audit::record(
        c,
        actor,
        "product.liquidate",
        "product",
        product_id,
        &change,
    )
    .await?;
    let product = products::get(c, product_id)
        .await?
        .ok_or(WorkflowError::NotFound("product"))?;
    Ok(Liquidated {
        product,
        holdings_ended: ended,
    })
}
