//! Orders in the store.

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::{Conn, StoreError};
use crate::domain::Money;
use crate::on_conn;

pub use crate::domain::state::OrderStatus;

/// One piece of evidence: its kind (e.g. "recording", "warning_letter") and where it is kept.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidenceItem {
    pub kind: String,
    #[serde(rename = "ref")]
    pub reference: String,
}

/// Evidence by requirement.
pub type Evidence = std::collections::BTreeMap<String, Vec<EvidenceItem>>;

/// An order (subscription) as stored and as the API returns it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Order {
    pub id: String,
    pub investor_id: String,
    pub product_id: String,
    #[schema(value_type = String, example = "1000000")]
    pub amount: Money,
    pub status: OrderStatus,
    pub signed_at: DateTime<Utc>,
    pub paid_at: DateTime<Utc>,
    pub cooling_off_ends_at: DateTime<Utc>,
    #[sqlx(json)]
    pub acknowledgments: Vec<String>,
    pub recording_ref: Option<String>,
    /// The evidence behind each requirement met, by requirement.
    #[sqlx(json)]
    #[schema(value_type = Object)]
    pub evidence: Evidence,
    pub decision_id: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub status_changed_at: DateTime<Utc>,
}

macro_rules! columns {
    () => {
        "id, investor_id, product_id, amount, status, signed_at, paid_at, cooling_off_ends_at, \
         acknowledgments, recording_ref, decision_id, created_by, created_at, status_changed_at, evidence"
    };
}

pub async fn insert(c: &mut Conn<'_>, o: &Order) -> Result<(), StoreError> {
    let sql = concat!(
        "INSERT INTO orders (",
        columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    );
    on_conn!(c, |e| sqlx::query(sql)
        .bind(&o.id)
        .bind(&o.investor_id)
        .bind(&o.product_id)
        .bind(o.amount)
        .bind(o.status)
        .bind(o.signed_at)
        .bind(o.paid_at)
        .bind(o.cooling_off_ends_at)
        .bind(Json(&o.acknowledgments))
        .bind(&o.recording_ref)
        .bind(&o.decision_id)
        .bind(&o.created_by)
        .bind(o.created_at)
        .bind(o.status_changed_at)
        .bind(Json(&o.evidence))
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn get(c: &mut Conn<'_>, id: &str) -> Result<Option<Order>, StoreError> {
    let sql = concat!("SELECT ", columns!(), " FROM orders WHERE id = $1");
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(id)
        .fetch_optional(e)
        .await)?)
}

pub async fn for_investor(c: &mut Conn<'_>, investor_id: &str) -> Result<Vec<Order>, StoreError> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM orders WHERE investor_id = $1 ORDER BY id"
    );
    let rows: Vec<Order> = on_conn!(c, |e| sqlx::query_as(sql)
        .bind(investor_id)
        .fetch_all(e)
        .await)?;
    Ok(rows)
}

/// Holdings: orders cooling off or confirmed, of one product.
pub async fn holdings_of_product(
    c: &mut Conn<'_>,
    product_id: &str,
) -> Result<Vec<Order>, StoreError> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM orders WHERE product_id = $1 AND status IN ('cooling_off', 'confirmed') ORDER BY id"
    );
    let rows: Vec<Order> = on_conn!(c, |e| sqlx::query_as(sql)
        .bind(product_id)
        .fetch_all(e)
        .await)?;
    Ok(rows)
}

/// Moves an order out of cooling-off; false when it was not cooling off any more.
/// Ends a holding (redeemed in full, or its product wound up): from `from` statuses only;
/// false if it was not in one of them.
pub async fn end_holding(
    c: &mut Conn<'_>,
    id: &str,
    to: OrderStatus,
    at: DateTime<Utc>,
    from: &[OrderStatus],
) -> Result<bool, StoreError> {
    let sql = "UPDATE orders SET status = $2, status_changed_at = $3 WHERE id = $1 AND (status = $4 OR status = $5)";
    let (a, b) = match from {
        [one] => (*one, *one),
        [a, b, ..] => (*a, *b),
        [] => return Ok(false),
    };
    let n = on_conn!(c, |e| sqlx::query(sql)
        .bind(id)
        .bind(to)
        .bind(at)
        .bind(a)
        .bind(b)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// When the last cooling-off window of the investor's orders (not rescinded) ends, if one is
/// still open at `t`.
pub async fn cooling_off_until(
    c: &mut Conn<'_>,
    investor_id: &str,
    t: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let sql = "SELECT MAX(cooling_off_ends_at) FROM orders WHERE investor_id = $1 \
               AND status <> 'rescinded' AND cooling_off_ends_at > $2";
    let (end,): (Option<DateTime<Utc>>,) = on_conn!(c, |e| sqlx::query_as(sql)
        .bind(investor_id)
        .bind(t)
        .fetch_one(e)
        .await)?;
    Ok(end)
}

/// A redemption of part or all of a holding, as stored (append-only).
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Redemption {
    pub id: String,
    pub order_id: String,
    #[schema(value_type = String, example = "500000")]
    pub amount: Money,
    /// What is held after it.
    #[schema(value_type = String, example = "500000")]
    pub remaining: Money,
    pub requested_by: String,
    pub redeemed_at: DateTime<Utc>,
}

pub async fn insert_redemption(c: &mut Conn<'_>, r: &Redemption) -> Result<(), StoreError> {
    let sql = "INSERT INTO redemptions (id, order_id, amount, remaining, requested_by, redeemed_at) \
               VALUES ($1, $2, $3, $4, $5, $6)";
    on_conn!(c, |e| sqlx::query(sql)
        .bind(&r.id)
        .bind(&r.order_id)
        .bind(r.amount)
        .bind(r.remaining)
        .bind(&r.requested_by)
        .bind(r.redeemed_at)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// What is left of a holding: the remaining amount after its latest redemption, or its amount.
pub async fn remaining(c: &mut Conn<'_>, order: &Order) -> Result<Money, StoreError> {
    let sql = "SELECT remaining FROM redemptions WHERE order_id = $1 ORDER BY redeemed_at DESC, id DESC LIMIT 1";
    let found: Option<(Money,)> = on_conn!(c, |e| sqlx::query_as(sql)
        .bind(&order.id)
        .fetch_optional(e)
        .await)?;
    Ok(found.map(|(m,)| m).unwrap_or(order.amount))
}

pub async fn settle(
    c: &mut Conn<'_>,
    id: &str,
    to: OrderStatus,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let sql = "UPDATE orders SET status = $2, status_changed_at = $3 WHERE id = $1 AND status = 'cooling_off'";
    let n = on_conn!(c, |e| sqlx::query(sql)
        .bind(id)
        .bind(to)
        .bind(at)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
