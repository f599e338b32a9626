//! The sale: the decision for an investor, a product and an amount; placing the order on it with
//! the requirements it asks for, its stored decision and the callbacks it plans, in one
//! transaction; and re-evaluating a holding with the active rules.
//!
//! `order.rs` places the order, `order_checks.rs` checks what it carries, `holding.rs` re-evaluates
//! a holding and reads orders back.

mod holding;
mod order;
mod order_checks;

pub(crate) use holding::store_decision;
pub use holding::{OrderDetail, investor_orders, order_detail, reevaluate_holding};
pub use order::{NewOrder, PlacedOrder, place_order};

use chrono::{DateTime, Duration, Utc};

use super::{Ctx, Result, WorkflowError, scope};
use crate::decide::{DecisionView, RECENT_COMPLAINT_DAYS, facts_of_row};
use crate::domain::Money;
use crate::domain::money::RawAmount;
use crate::rules::pool::Pool;
use crate::store::staff::Staff;
use crate::store::{Conn, Db, holdings, investors, now};

/// How far in the future a signing or payment time may lie (clock skew between systems).
pub const FUTURE_TOLERANCE_SECS: i64 = 60;
/// Limits on what an order may carry.
pub const MAX_REQUIREMENT_CODE: usize = 64;
pub const MAX_RECORDING_REF: usize = 500;

/// Parses an order amount: positive, at most two decimals.
pub fn parse_amount(raw: &RawAmount) -> Result<Money> {
    let amount = raw.parse().map_err(|e| WorkflowError::field("amount", e))?;
    if amount == Money::ZERO {
        return Err(WorkflowError::field("amount", "must be greater than zero"));
    }
    Ok(amount)
}

/// What the rules need for this sale (one query), as of `as_of`: the assessment is the latest
/// taken by then (complaints are counted as of now).
async fn sale_row(
    c: &mut Conn<'_>,
    investor_id: &str,
    product_id: &str,
    as_of: DateTime<Utc>,
) -> Result<Option<holdings::FactRow>> {
    let since = complaints_since(now());
    Ok(holdings::sale_facts(c, investor_id, product_id, since, as_of).await?)
}

/// Where the window of recent complaints starts for a decision made at `t`.
fn complaints_since(t: DateTime<Utc>) -> DateTime<Utc> {
    t - Duration::days(RECENT_COMPLAINT_DAYS)
}

/// Which of the two was not found.
async fn missing(c: &mut Conn<'_>, investor_id: &str) -> WorkflowError {
    match investors::exists(c, investor_id).await {
        Ok(true) => WorkflowError::NotFound("product"),
        Ok(false) => WorkflowError::NotFound("investor"),
        Err(e) => e.into(),
    }
}

/// Loads what the rules need for this sale and evaluates the active rule set, as of `as_of`:
/// the assessment is the latest taken by then, the investor is of the type its latest
/// classification by then made it, and validity and age are those of that moment (complaints
/// are counted as of now).
pub async fn decide(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    investor_id: &str,
    product_id: &str,
    amount: Money,
    as_of: DateTime<Utc>,
) -> Result<DecisionView> {
    decide_as(c, ctx, (investor_id, product_id), amount, as_of, false).await
}

/// The decision on a holding the investor has (so not a first purchase), as of now, before its
/// order is stored: a holding brought in from the firm's book.
pub async fn decide_held(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    investor_id: &str,
    product_id: &str,
    amount: Money,
) -> Result<DecisionView> {
    decide_as(c, ctx, (investor_id, product_id), amount, now(), true).await
}

/// `decide`, with the product counted as held already when `held`.
async fn decide_as(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    (investor_id, product_id): (&str, &str),
    amount: Money,
    as_of: DateTime<Utc>,
    held: bool,
) -> Result<DecisionView> {
    match sale_row(c, investor_id, product_id, as_of).await? {
        Some(mut row) => {
            row.holds_product |= held;
            decide_on(ctx, row, product_id, amount, as_of).await
        }
        None => Err(missing(c, investor_id).await),
    }
}

async fn decide_on(
    ctx: &Ctx<'_>,
    row: holdings::FactRow,
    product_id: &str,
    amount: Money,
    as_of: DateTime<Utc>,
) -> Result<DecisionView> {
    if row.product.liquidated_at.is_some() {
        return Err(WorkflowError::conflict(
            "product_liquidated",
            "the product has been wound up (清算): it is sold no more",
        ));
    }
    let facts = facts_of_row(&row, amount, ctx.policy, as_of.min(now()))?;
    let (facts, outcome) = Pool::global().evaluate(ctx.rules.clone(), facts).await?;
    let outcome = outcome.map_err(WorkflowError::RuleFailed)?;
    let investor_id = row.investor.investor_id.as_str();
    let mut view = DecisionView::new(Some(investor_id), Some(product_id), facts, outcome);
    view.investor.assessment_id = row.investor.assessment_id;
    Ok(view)
}

/// The decision for a prospective sale, for an actor who may see the investor. Whether they
/// may is read from the facts' own row where the owner decides it (one read, not two); an
/// investor they may not see is not found, as if there were none. The facts are read as of now
/// (`holdings::sale_facts_now`: the hottest read, kept off sqlx's thread on SQLite); a pooled
/// connection is taken only for the rarer answers.
pub async fn check(
    db: &Db,
    ctx: &Ctx<'_>,
    actor: &Staff,
    investor_id: &str,
    product_id: &str,
    amount: Money,
) -> Result<DecisionView> {
    let t = now();
    let since = complaints_since(t);
    let row = holdings::sale_facts_now(db, (investor_id, product_id), since, t).await?;
    let visible = match (
        &row,
        scope::sees_by_owner(
            actor,
            row.as_ref().map(|r| r.investor.sales_owner_id.as_str()),
        ),
    ) {
        (Some(_), Some(visible)) => visible,
        _ => {
            scope::investor(&mut db.acquire().await?.conn(), actor, investor_id).await?;
            true
        }
    };
    match row {
        Some(row) if visible => decide_on(ctx, row, product_id, amount, t).await,
        Some(_) => Err(WorkflowError::NotFound("investor")),
        None => Err(missing(&mut db.acquire().await?.conn(), investor_id).await),
    }
}
