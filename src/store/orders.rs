//! Orders in the store.

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::{Conn, StoreError};
use crate::domain::Money;
use crate::on_conn;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Signed and paid; the investor may still rescind; no contact allowed until it ends.
    CoolingOff,
    /// The confirmation callback succeeded.
    Confirmed,
    /// The confirmation callback failed: the order is void and the money is refunded.
    Rescinded,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::CoolingOff => "cooling_off",
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::Rescinded => "rescinded",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "cooling_off" => Ok(OrderStatus::CoolingOff),
            "confirmed" => Ok(OrderStatus::Confirmed),
            "rescinded" => Ok(OrderStatus::Rescinded),
            other => Err(StoreError::Corrupt(format!("order status '{other}'"))),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub id: String,
    pub investor_id: String,
    pub product_id: String,
    pub amount: Money,
    pub status: OrderStatus,
    pub signed_at: DateTime<Utc>,
    pub paid_at: DateTime<Utc>,
    pub cooling_off_ends_at: DateTime<Utc>,
    pub acknowledgments: Vec<String>,
    pub recording_ref: Option<String>,
    pub decision_id: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub status_changed_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    investor_id: String,
    product_id: String,
    amount: String,
    status: String,
    signed_at: DateTime<Utc>,
    paid_at: DateTime<Utc>,
    cooling_off_ends_at: DateTime<Utc>,
    acknowledgments: Json<Vec<String>>,
    recording_ref: Option<String>,
    decision_id: String,
    created_by: String,
    created_at: DateTime<Utc>,
    status_changed_at: DateTime<Utc>,
}

macro_rules! columns {
    () => {
        "id, investor_id, product_id, amount, status, signed_at, paid_at, cooling_off_ends_at, \
         acknowledgments, recording_ref, decision_id, created_by, created_at, status_changed_at"
    };
}

impl TryFrom<Row> for Order {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        Ok(Order {
            amount: r
                .amount
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("order amount '{}': {e}", r.amount)))?,
            status: OrderStatus::parse(&r.status)?,
            id: r.id,
            investor_id: r.investor_id,
            product_id: r.product_id,
            signed_at: r.signed_at,
            paid_at: r.paid_at,
            cooling_off_ends_at: r.cooling_off_ends_at,
            acknowledgments: r.acknowledgments.0,
            recording_ref: r.recording_ref,
            decision_id: r.decision_id,
            created_by: r.created_by,
            created_at: r.created_at,
            status_changed_at: r.status_changed_at,
        })
    }
}

pub async fn insert(c: &mut Conn<'_>, o: &Order) -> Result<(), StoreError> {
    let sql = concat!(
        "INSERT INTO orders (",
        columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    );
    on_conn!(c, |e| sqlx::query(sql)
        .bind(&o.id)
        .bind(&o.investor_id)
        .bind(&o.product_id)
        .bind(o.amount.to_string())
        .bind(o.status.as_str())
        .bind(o.signed_at)
        .bind(o.paid_at)
        .bind(o.cooling_off_ends_at)
        .bind(Json(&o.acknowledgments))
        .bind(&o.recording_ref)
        .bind(&o.decision_id)
        .bind(&o.created_by)
        .bind(o.created_at)
        .bind(o.status_changed_at)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn get(c: &mut Conn<'_>, id: &str) -> Result<Option<Order>, StoreError> {
    let sql = concat!("SELECT ", columns!(), " FROM orders WHERE id = $1");
    let row: Option<Row> = on_conn!(c, |e| sqlx::query_as(sql).bind(id).fetch_optional(e).await)?;
    row.map(Order::try_from).transpose()
}

pub async fn for_investor(c: &mut Conn<'_>, investor_id: &str) -> Result<Vec<Order>, StoreError> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM orders WHERE investor_id = $1 ORDER BY id"
    );
    let rows: Vec<Row> = on_conn!(c, |e| sqlx::query_as(sql)
        .bind(investor_id)
        .fetch_all(e)
        .await)?;
    rows.into_iter().map(Order::try_from).collect()
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
    let rows: Vec<Row> = on_conn!(c, |e| sqlx::query_as(sql)
        .bind(product_id)
        .fetch_all(e)
        .await)?;
    rows.into_iter().map(Order::try_from).collect()
}

/// Moves an order out of cooling-off; false when it was not cooling off any more.
pub async fn settle(
    c: &mut Conn<'_>,
    id: &str,
    to: OrderStatus,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let sql = "UPDATE orders SET status = $2, status_changed_at = $3 WHERE id = $1 AND status = 'cooling_off'";
    let n = on_conn!(c, |e| sqlx::query(sql)
        .bind(id)
        .bind(to.as_str())
        .bind(at)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
