//! Escalations to compliance and their resolutions (both append-only).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::types::Json;

use super::{Conn, StoreError};
use crate::domain::state::EscalationReason;
use crate::on_conn;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Escalation {
    pub id: String,
    pub callback_id: String,
    /// None for an escalation from a complaint follow-up.
    pub order_id: Option<String>,
    pub investor_id: String,
    pub reason: EscalationReason,
    #[schema(value_type = Vec<String>)]
    pub failed_checks: Json<Vec<String>>,
    pub opened_at: DateTime<Utc>,
    /// What must happen meanwhile (an overdue confirmation: the subscription stays in the raising
    /// account).
    pub instruction: Option<String>,
    pub resolved_by: Option<String>,
    pub resolution_note: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
}

pub async fn open(c: &mut Conn<'_>, e: &Escalation) -> Result<(), StoreError> {
    let sql = "INSERT INTO escalations (id, callback_id, order_id, investor_id, reason, failed_checks, opened_at, instruction) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    on_conn!(c, |x| sqlx::query(sql)
        .bind(&e.id)
        .bind(&e.callback_id)
        .bind(&e.order_id)
        .bind(&e.investor_id)
        .bind(e.reason)
        .bind(&e.failed_checks)
        .bind(e.opened_at)
        .bind(&e.instruction)
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

macro_rules! select {
    () => {
        "SELECT e.id, e.callback_id, e.order_id, e.investor_id, e.reason, e.failed_checks, e.opened_at, e.instruction, \
         r.resolved_by, r.note AS resolution_note, r.resolved_at \
         FROM escalations e LEFT JOIN escalation_resolutions r ON r.escalation_id = e.id"
    };
}

/// Escalations, open ones only unless `include_resolved`.
pub async fn list(c: &mut Conn<'_>, include_resolved: bool) -> Result<Vec<Escalation>, StoreError> {
    let sql = if include_resolved {
        concat!(select!(), " ORDER BY e.opened_at, e.id")
    } else {
        concat!(
            select!(),
            " WHERE r.escalation_id IS NULL ORDER BY e.opened_at, e.id"
        )
    };
    Ok(on_conn!(c, |x| sqlx::query_as(sql).fetch_all(x).await)?)
}

pub async fn get(c: &mut Conn<'_>, id: &str) -> Result<Option<Escalation>, StoreError> {
    let sql = concat!(select!(), " WHERE e.id = $1");
    Ok(on_conn!(c, |x| sqlx::query_as(sql)
        .bind(id)
        .fetch_optional(x)
        .await)?)
}

pub async fn for_order(c: &mut Conn<'_>, order_id: &str) -> Result<Vec<Escalation>, StoreError> {
    let sql = concat!(
        select!(),
        " WHERE e.order_id = $1 ORDER BY e.opened_at, e.id"
    );
    Ok(on_conn!(c, |x| sqlx::query_as(sql)
        .bind(order_id)
        .fetch_all(x)
        .await)?)
}

/// Every escalation about the investor (with or without an order), oldest first.
pub async fn for_investor(
    c: &mut Conn<'_>,
    investor_id: &str,
) -> Result<Vec<Escalation>, StoreError> {
    let sql = concat!(
        select!(),
        " WHERE e.investor_id = $1 ORDER BY e.opened_at, e.id"
    );
    Ok(on_conn!(c, |x| sqlx::query_as(sql)
        .bind(investor_id)
        .fetch_all(x)
        .await)?)
}

/// Records the resolution; false if the escalation was already resolved.
pub async fn resolve(
    c: &mut Conn<'_>,
    id: &str,
    by: &str,
    note: &str,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let sql = "INSERT INTO escalation_resolutions (escalation_id, resolved_by, note, resolved_at) VALUES ($1, $2, $3, $4) \
               ON CONFLICT (escalation_id) DO NOTHING";
    let n = on_conn!(c, |x| sqlx::query(sql)
        .bind(id)
        .bind(by)
        .bind(note)
        .bind(at)
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Escalations opened in [from, to), for reports.
pub async fn opened_between(
    c: &mut Conn<'_>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Escalation>, StoreError> {
    let sql = concat!(
        select!(),
        " WHERE e.opened_at >= $1 AND e.opened_at < $2 ORDER BY e.opened_at"
    );
    Ok(on_conn!(c, |x| sqlx::query_as(sql)
        .bind(from)
        .bind(to)
        .fetch_all(x)
        .await)?)
}
