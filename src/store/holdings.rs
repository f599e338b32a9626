//! Holdings (orders cooling off or confirmed) with everything their facts need, a page at a
//! time in order-id order, so batch work streams instead of loading everything.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::types::Json;

use super::{Conn, StoreError};
use crate::on_conn;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HoldingRow {
    pub order_id: String,
    pub investor_id: String,
    pub product_id: String,
    pub amount: String,
    pub cooling_off_ends_at: DateTime<Utc>,
    pub kind: String,
    pub investor_type: String,
    pub birth_date: Option<NaiveDate>,
    pub financial_assets: Option<String>,
    pub avg_income_3y: Option<String>,
    pub net_assets: Option<String>,
    pub product_code: String,
    pub product_kind: String,
    pub risk_rating: i64,
    pub min_subscription: String,
    pub level: Option<i64>,
    pub flags: Option<Json<Vec<String>>>,
    pub assessed_at: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    pub open_complaints: i64,
    pub complaints_90d: i64,
}

/// The next `limit` holdings after order id `after`.
pub async fn page(
    c: &mut Conn<'_>,
    after: &str,
    limit: i64,
    complaints_since: DateTime<Utc>,
) -> Result<Vec<HoldingRow>, StoreError> {
    let sql = "SELECT o.id AS order_id, o.investor_id, o.product_id, o.amount, o.cooling_off_ends_at, i.kind, i.investor_type, i.birth_date, \
               i.financial_assets, i.avg_income_3y, i.net_assets, p.code AS product_code, p.kind AS product_kind, \
               p.risk_rating, p.min_subscription, a.level, a.flags, a.assessed_at, a.valid_until, \
               (SELECT COUNT(*) FROM complaints k WHERE k.investor_id = o.investor_id AND k.status = 'open') AS open_complaints, \
               (SELECT COUNT(*) FROM complaints k WHERE k.investor_id = o.investor_id AND k.received_at >= $3) AS complaints_90d \
               FROM orders o JOIN investors i ON i.id = o.investor_id JOIN products p ON p.id = o.product_id \
               LEFT JOIN assessments a ON a.id = (SELECT a2.id FROM assessments a2 WHERE a2.investor_id = o.investor_id \
                   ORDER BY a2.assessed_at DESC, a2.id DESC LIMIT 1) \
               WHERE o.status IN ('cooling_off', 'confirmed') AND o.id > $1 ORDER BY o.id LIMIT $2";
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(after)
        .bind(limit)
        .bind(complaints_since)
        .fetch_all(e)
        .await)?)
}

pub async fn count(c: &mut Conn<'_>) -> Result<i64, StoreError> {
    let (n,): (i64,) = on_conn!(c, |e| sqlx::query_as(
        "SELECT COUNT(*) FROM orders WHERE status IN ('cooling_off', 'confirmed')"
    )
    .fetch_one(e)
    .await)?;
    Ok(n)
}

/// The (order, reason) pairs of special callbacks already planned for orders in (`from`, `to`].
pub async fn special_reasons(
    c: &mut Conn<'_>,
    from: &str,
    to: &str,
) -> Result<Vec<(String, String)>, StoreError> {
    let sql = "SELECT order_id, reason FROM callbacks WHERE kind = 'special' AND order_id > $1 AND order_id <= $2";
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(from)
        .bind(to)
        .fetch_all(e)
        .await)?)
}
