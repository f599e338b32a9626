//! The counts behind the semiannual suitability self-check (适当性自查): plain aggregate queries
//! that read the same on SQLite and PostgreSQL. Periods are [from, to).

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::{Conn, StoreError};
use crate::on_conn;

pub type Counts = Vec<(String, i64)>;

/// Investors by the level (1 to 5) of their latest assessment taken before `to`; 0: never
/// assessed; -1: the latest assessment had lapsed by `to` (it no longer supports a sale).
pub async fn investors_by_level(
    c: &mut Conn<'_>,
    to: DateTime<Utc>,
) -> Result<Vec<(i64, i64)>, StoreError> {
    let sql = "SELECT COALESCE(l.level, 0), COUNT(*) FROM investors i LEFT JOIN ( \
                 SELECT a.investor_id, CASE WHEN a.valid_until < $1 THEN -1 ELSE a.level END AS level \
                 FROM assessments a WHERE a.assessed_at < $1 \
                 AND NOT EXISTS (SELECT 1 FROM assessments b WHERE b.investor_id = a.investor_id \
                   AND b.assessed_at < $1 AND (b.assessed_at > a.assessed_at \
                   OR (b.assessed_at = a.assessed_at AND b.id > a.id))) \
               ) l ON l.investor_id = i.id WHERE i.created_at < $1 \
               GROUP BY COALESCE(l.level, 0) ORDER BY 1";
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(to)
        .fetch_all(e)
        .await)?)
}

/// Investors by classification (ordinary, professional), as they stand.
pub async fn investors_by_type(c: &mut Conn<'_>, to: DateTime<Utc>) -> Result<Counts, StoreError> {
    let sql = "SELECT investor_type, COUNT(*) FROM investors WHERE created_at < $1 \
               GROUP BY investor_type ORDER BY 1";
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(to)
        .fetch_all(e)
        .await)?)
}

/// Products on sale (not wound up) by current rating, 1 to 5.
pub async fn products_by_rating(c: &mut Conn<'_>) -> Result<Vec<(i64, i64)>, StoreError> {
    let sql = "SELECT risk_rating, COUNT(*) FROM products WHERE liquidated_at IS NULL \
               GROUP BY risk_rating ORDER BY 1";
    Ok(on_conn!(c, |e| sqlx::query_as(sql).fetch_all(e).await)?)
}

/// One sale of the period: its verdict, what was acknowledged, its dual recording and status.
#[derive(Debug, sqlx::FromRow)]
pub struct Sale {
    pub verdict: String,
    pub acknowledgments: Json<Vec<String>>,
    /// The evidence behind each requirement met, by requirement.
    pub evidence: Json<serde_json::Value>,
    pub recording_ref: Option<String>,
    pub status: String,
}

pub async fn sales(
    c: &mut Conn<'_>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Sale>, StoreError> {
    let sql = "SELECT d.verdict, o.acknowledgments, o.evidence, o.recording_ref, o.status FROM orders o \
               JOIN decisions d ON d.id = o.decision_id \
               WHERE o.created_at >= $1 AND o.created_at < $2";
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(from)
        .bind(to)
        .fetch_all(e)
        .await)?)
}

/// Callbacks due in the period by status.
pub async fn callbacks_by_status(
    c: &mut Conn<'_>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Counts, StoreError> {
    let sql = "SELECT status, COUNT(*) FROM callbacks WHERE due_by >= $1 AND due_by < $2 \
               GROUP BY status ORDER BY 1";
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(from)
        .bind(to)
        .fetch_all(e)
        .await)?)
}

/// Callback outcomes recorded in the period by result.
pub async fn outcomes_by_result(
    c: &mut Conn<'_>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Counts, StoreError> {
    let sql = "SELECT result, COUNT(*) FROM callback_outcomes WHERE recorded_at >= $1 \
               AND recorded_at < $2 GROUP BY result ORDER BY 1";
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(from)
        .bind(to)
        .fetch_all(e)
        .await)?)
}

/// Escalations opened in the period: reason, when opened, when resolved (if by the period's end).
pub async fn escalations(
    c: &mut Conn<'_>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(String, DateTime<Utc>, Option<DateTime<Utc>>)>, StoreError> {
    let sql = "SELECT e.reason, e.opened_at, r.resolved_at FROM escalations e \
               LEFT JOIN escalation_resolutions r ON r.escalation_id = e.id AND r.resolved_at < $2 \
               WHERE e.opened_at >= $1 AND e.opened_at < $2";
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(from)
        .bind(to)
        .fetch_all(e)
        .await)?)
}
