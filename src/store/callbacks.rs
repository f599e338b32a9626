//! Callback tasks (what was recorded on them is in `callback_records`). Status changes are
//! conditional updates, so two planners racing for one task cannot both win, on either backend.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;

use super::{Conn, StoreError};
use crate::domain::state::{CallbackKind, CallbackStatus};
use crate::on_conn;

/// A check the agent must confirm, with the question as it stood when the task was created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CheckRef {
    pub code: String,
    pub question: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Callback {
    pub id: String,
    /// None for a callback that follows up a complaint rather than a holding.
    pub order_id: Option<String>,
    pub investor_id: String,
    pub product_id: Option<String>,
    pub kind: CallbackKind,
    pub reason: String,
    pub due_from: DateTime<Utc>,
    pub due_by: DateTime<Utc>,
    #[sqlx(json)]
    pub checks: Vec<CheckRef>,
    pub status: CallbackStatus,
    pub assignee_id: Option<String>,
    pub attempts: i64,
    pub decision_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// The complaint a `complaint_followup` callback follows up.
    pub complaint_id: Option<String>,
    /// Why a cancelled callback was cancelled (the order rescinded, the holding redeemed, …).
    pub cancel_reason: Option<String>,
    /// How the callback is to be made (回访方式 on the plan): phone unless planned otherwise.
    pub planned_method: String,
}

macro_rules! columns {
    () => {
        "c.id, c.order_id, c.investor_id, c.product_id, c.kind, c.reason, c.due_from, c.due_by, c.checks, \
         c.status, c.assignee_id, c.attempts, c.decision_id, c.created_at, c.closed_at, c.complaint_id, c.cancel_reason, \
         c.planned_method"
    };
}
pub(crate) use columns;

pub async fn insert(c: &mut Conn<'_>, cb: &Callback) -> Result<(), StoreError> {
    let sql = "INSERT INTO callbacks (id, order_id, investor_id, product_id, kind, reason, due_from, due_by, checks, \
               status, assignee_id, attempts, decision_id, created_at, closed_at, complaint_id, planned_method) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)";
    on_conn!(c, |e| sqlx::query(sql)
        .bind(&cb.id)
        .bind(&cb.order_id)
        .bind(&cb.investor_id)
        .bind(&cb.product_id)
        .bind(cb.kind)
        .bind(&cb.reason)
        .bind(cb.due_from)
        .bind(cb.due_by)
        .bind(Json(&cb.checks))
        .bind(cb.status)
        .bind(&cb.assignee_id)
        .bind(cb.attempts)
        .bind(&cb.decision_id)
        .bind(cb.created_at)
        .bind(cb.closed_at)
        .bind(&cb.complaint_id)
        .bind(&cb.planned_method)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn get(c: &mut Conn<'_>, id: &str) -> Result<Option<Callback>, StoreError> {
    let sql = concat!("SELECT ", columns!(), " FROM callbacks c WHERE c.id = $1");
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(id)
        .fetch_optional(e)
        .await)?)
}

pub async fn for_order(c: &mut Conn<'_>, order_id: &str) -> Result<Vec<Callback>, StoreError> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM callbacks c WHERE c.order_id = $1 ORDER BY c.id"
    );
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(order_id)
        .fetch_all(e)
        .await)?)
}

/// The callbacks of one investor, latest deadline first, at most 500 (the profile's list).
pub async fn for_investor(
    c: &mut Conn<'_>,
    investor_id: &str,
) -> Result<Vec<Callback>, StoreError> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM callbacks c WHERE c.investor_id = $1 ORDER BY c.due_by DESC, c.id LIMIT 500"
    );
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(investor_id)
        .fetch_all(e)
        .await)?)
}

/// A callback with what a planner needs to place it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Listed {
    #[sqlx(flatten)]
    pub callback: Callback,
    pub investor_name: String,
    pub investor_phone: Option<String>,
    pub product_code: Option<String>,
    pub product_name: Option<String>,
    pub assignee_name: Option<String>,
}

/// Filters of the callback list; `None` means any.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub status: Option<CallbackStatus>,
    pub kind: Option<CallbackKind>,
    pub due_before: Option<DateTime<Utc>>,
    pub due_from_after: Option<DateTime<Utc>>,
    pub after_id: Option<String>,
    pub limit: i64,
    /// Only what this planner works: assigned to them, or open and unclaimed.
    pub worked_by: Option<String>,
    /// Only those assigned to this staff member, soonest deadline first (one's own queue).
    pub assignee: Option<String>,
    /// Only those still to do (open or overdue).
    pub workable: bool,
}

/// Callbacks by due time then id, filtered. (`COALESCE($n, column)` keeps one query for every
/// combination of filters, and lets PostgreSQL infer the parameter types.)
pub async fn list(c: &mut Conn<'_>, f: &Filter) -> Result<Vec<Listed>, StoreError> {
    macro_rules! list_sql {
        ($order:literal) => {
            concat!(
        "SELECT ",
        columns!(),
        ", i.name AS investor_name, i.phone AS investor_phone, p.code AS product_code, p.name AS product_name, \
         s.name AS assignee_name \
         FROM callbacks c JOIN investors i ON i.id = c.investor_id LEFT JOIN products p ON p.id = c.product_id \
         LEFT JOIN staff s ON s.id = c.assignee_id \
         WHERE c.status = COALESCE($1, c.status) AND c.kind = COALESCE($2, c.kind) \
         AND c.due_from <= COALESCE($3, c.due_from) AND c.due_from >= COALESCE($4, c.due_from) \
         AND c.id > $5 \
         AND ($7 = '' OR c.assignee_id = $7 OR (c.status IN ('open', 'overdue') AND c.assignee_id IS NULL)) \
         AND ($8 = '' OR c.assignee_id = $8) \
         AND (NOT $9 OR c.status IN ('open', 'overdue')) \
         ORDER BY ",
                $order,
                " LIMIT $6"
            )
        };
    }
    let sql = if f.assignee.is_some() {
        list_sql!("c.due_by, c.id")
    } else {
        list_sql!("c.id")
    };
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(f.status)
        .bind(f.kind)
        .bind(f.due_before)
        .bind(f.due_from_after)
        .bind(f.after_id.as_deref().unwrap_or(""))
        .bind(f.limit)
        .bind(f.worked_by.as_deref().unwrap_or(""))
        .bind(f.assignee.as_deref().unwrap_or(""))
        .bind(f.workable)
        .fetch_all(e)
        .await)?)
}

/// Counts of one kind of callback, for the desk's summary.
#[derive(Debug, sqlx::FromRow)]
pub struct KindCounts {
    pub kind: String,
    pub open: i64,
    pub due_today: i64,
    pub overdue: i64,
    pub claimed: i64,
    pub awaiting_review: i64,
}

/// Per kind: open, due by `end_of_today`, past due at `t`, claimed, and closed with an outcome
/// but no review; only what `worked_by` works when given.
pub async fn summary(
    c: &mut Conn<'_>,
    t: DateTime<Utc>,
    end_of_today: DateTime<Utc>,
    worked_by: Option<&str>,
) -> Result<Vec<KindCounts>, StoreError> {
    let sql = "SELECT c.kind, \
         SUM(CASE WHEN c.status IN ('open', 'overdue') THEN 1 ELSE 0 END) AS open, \
         SUM(CASE WHEN c.status IN ('open', 'overdue') AND c.due_from < $2 THEN 1 ELSE 0 END) AS due_today, \
         SUM(CASE WHEN c.status = 'overdue' OR (c.status = 'open' AND c.due_by < $1) THEN 1 ELSE 0 END) AS overdue, \
         SUM(CASE WHEN c.status IN ('open', 'overdue') AND c.assignee_id IS NOT NULL THEN 1 ELSE 0 END) AS claimed, \
         SUM(CASE WHEN c.status IN ('completed', 'failed') AND NOT EXISTS \
             (SELECT 1 FROM callback_reviews r WHERE r.callback_id = c.id AND r.created_at >= c.closed_at) \
             THEN 1 ELSE 0 END) AS awaiting_review \
         FROM callbacks c \
         WHERE ($3 = '' OR c.assignee_id = $3 OR (c.status IN ('open', 'overdue') AND c.assignee_id IS NULL)) \
         GROUP BY c.kind ORDER BY c.kind";
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(t)
        .bind(end_of_today)
        .bind(worked_by.unwrap_or(""))
        .fetch_all(e)
        .await)?)
}

/// The investor's open callbacks.
pub async fn open_for_investor(
    c: &mut Conn<'_>,
    investor_id: &str,
) -> Result<Vec<Callback>, StoreError> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM callbacks c WHERE c.investor_id = $1 AND c.status IN ('open', 'overdue') ORDER BY c.id"
    );
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(investor_id)
        .fetch_all(e)
        .await)?)
}

/// Moves an open callback's due dates.
pub async fn set_due(
    c: &mut Conn<'_>,
    id: &str,
    due_from: DateTime<Utc>,
    due_by: DateTime<Utc>,
) -> Result<(), StoreError> {
    let sql = "UPDATE callbacks SET due_from = $2, due_by = $3 WHERE id = $1 AND status = 'open'";
    on_conn!(c, |e| sqlx::query(sql)
        .bind(id)
        .bind(due_from)
        .bind(due_by)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Makes `staff_id` the assignee of an open callback nobody else holds. False if it was taken
/// or closed meanwhile.
pub async fn claim(c: &mut Conn<'_>, id: &str, staff_id: &str) -> Result<bool, StoreError> {
    let sql = "UPDATE callbacks SET assignee_id = $2 WHERE id = $1 AND status IN ('open', 'overdue') \
               AND (assignee_id IS NULL OR assignee_id = $2)";
    let n = on_conn!(c, |e| sqlx::query(sql)
        .bind(id)
        .bind(staff_id)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Counts a failed attempt to reach the investor; returns the new count, or None if the
/// callback was no longer open and held by `staff_id`.
pub async fn count_attempt(
    c: &mut Conn<'_>,
    id: &str,
    staff_id: &str,
) -> Result<Option<i64>, StoreError> {
    let sql = "UPDATE callbacks SET attempts = attempts + 1 WHERE id = $1 AND status IN ('open', 'overdue') AND assignee_id = $2 \
               RETURNING attempts";
    let row: Option<(i64,)> = on_conn!(c, |e| sqlx::query_as(sql)
        .bind(id)
        .bind(staff_id)
        .fetch_optional(e)
        .await)?;
    Ok(row.map(|(n,)| n))
}

/// Closes an open callback with `status`; false if it was not open any more.
pub async fn close(
    c: &mut Conn<'_>,
    id: &str,
    status: CallbackStatus,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let sql = "UPDATE callbacks SET status = $2, closed_at = $3 WHERE id = $1 AND status IN ('open', 'overdue')";
    let n = on_conn!(c, |e| sqlx::query(sql)
        .bind(id)
        .bind(status)
        .bind(at)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Cancels the other open callbacks of a rescinded order.
pub async fn cancel_open_for_order(
    c: &mut Conn<'_>,
    order_id: &str,
    at: DateTime<Utc>,
    why: &str,
) -> Result<Vec<String>, StoreError> {
    let sql = "UPDATE callbacks SET status = 'cancelled', closed_at = $2, cancel_reason = $3 \
               WHERE order_id = $1 AND status IN ('open', 'overdue') RETURNING id";
    let ids: Vec<(String,)> = on_conn!(c, |e| sqlx::query_as(sql)
        .bind(order_id)
        .bind(at)
        .bind(why)
        .fetch_all(e)
        .await)?;
    Ok(ids.into_iter().map(|(id,)| id).collect())
}
