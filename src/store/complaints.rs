//! Complaints (投诉) in the store.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Conn, StoreError};
use crate::domain::state::ComplaintStatus;
use crate::on_conn;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Complaint {
    pub id: String,
    pub investor_id: String,
    pub order_id: Option<String>,
    pub channel: String,
    pub category: String,
    pub content: String,
    pub received_at: DateTime<Utc>,
    pub status: ComplaintStatus,
    pub assignee_id: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub resolution: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
}

macro_rules! select {
    () => {
        "SELECT c.id, c.investor_id, c.order_id, c.channel, c.category, c.content, c.received_at, c.status, \
         c.assignee_id, c.created_by, c.created_at, r.resolution, r.resolved_by, r.resolved_at \
         FROM complaints c LEFT JOIN complaint_resolutions r ON r.complaint_id = c.id"
    };
}

pub async fn insert(c: &mut Conn<'_>, x: &Complaint) -> Result<(), StoreError> {
    let sql = "INSERT INTO complaints (id, investor_id, order_id, channel, category, content, received_at, status, \
               assignee_id, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
    on_conn!(c, |e| sqlx::query(sql)
        .bind(&x.id)
        .bind(&x.investor_id)
        .bind(&x.order_id)
        .bind(&x.channel)
        .bind(&x.category)
        .bind(&x.content)
        .bind(x.received_at)
        .bind(x.status)
        .bind(&x.assignee_id)
        .bind(&x.created_by)
        .bind(x.created_at)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn get(c: &mut Conn<'_>, id: &str) -> Result<Option<Complaint>, StoreError> {
    let sql = concat!(select!(), " WHERE c.id = $1");
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(id)
        .fetch_optional(e)
        .await)?)
}

/// Sets the handler of an open complaint; false if it is resolved.
pub async fn assign(c: &mut Conn<'_>, id: &str, assignee: &str) -> Result<bool, StoreError> {
    let sql = "UPDATE complaints SET assignee_id = $2 WHERE id = $1 AND status = 'open'";
    let n = on_conn!(c, |e| sqlx::query(sql)
        .bind(id)
        .bind(assignee)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Records the resolution of an open complaint; false if it was already resolved.
pub async fn resolve(
    c: &mut Conn<'_>,
    id: &str,
    resolution: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let sql = "UPDATE complaints SET status = 'resolved' WHERE id = $1 AND status = 'open'";
    let n = on_conn!(c, |e| sqlx::query(sql)
        .bind(id)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    if n != 1 {
        return Ok(false);
    }
    let sql = "INSERT INTO complaint_resolutions (complaint_id, resolution, resolved_by, resolved_at) VALUES ($1, $2, $3, $4)";
    on_conn!(c, |e| sqlx::query(sql)
        .bind(id)
        .bind(resolution)
        .bind(by)
        .bind(at)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(true)
}

/// Complaints received in [from, to), optionally of one category: the archive (投诉档案).
pub async fn received_between(
    c: &mut Conn<'_>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    category: Option<&str>,
) -> Result<Vec<Complaint>, StoreError> {
    let sql = concat!(
        select!(),
        " WHERE c.received_at >= $1 AND c.received_at < $2 AND c.category = COALESCE($3, c.category) \
         ORDER BY c.received_at, c.id"
    );
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(from)
        .bind(to)
        .bind(category)
        .fetch_all(e)
        .await)?)
}

/// Complaints of one investor, newest first.
pub async fn for_investor(
    c: &mut Conn<'_>,
    investor_id: &str,
) -> Result<Vec<Complaint>, StoreError> {
    let sql = concat!(
        select!(),
        " WHERE c.investor_id = $1 ORDER BY c.received_at DESC, c.id LIMIT 500"
    );
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(investor_id)
        .fetch_all(e)
        .await)?)
}

/// Complaints about one order.
pub async fn for_order(c: &mut Conn<'_>, order_id: &str) -> Result<Vec<Complaint>, StoreError> {
    let sql = concat!(
        select!(),
        " WHERE c.order_id = $1 ORDER BY c.received_at, c.id"
    );
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(order_id)
        .fetch_all(e)
        .await)?)
}
