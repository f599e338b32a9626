//! The callback queries of the desk's schedule: the overdue sweep, a supervisor's return, the
//! late-review list, and re-planning periodic callbacks when their frequency changes.

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::callbacks::{Callback, columns};
use super::{Conn, StoreError};
use crate::on_conn;

/// Open callbacks whose deadline passed before `t`, oldest deadline first, at most `limit`.
pub async fn past_due(
    c: &mut Conn<'_>,
    t: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Callback>, StoreError> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM callbacks c WHERE c.status = 'open' AND c.due_by < $1 ORDER BY c.due_by, c.id LIMIT $2"
    );
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(t)
        .bind(limit)
        .fetch_all(e)
        .await)?)
}

/// Marks an open callback `overdue` if its deadline is still before `t`; false if it was not
/// open, or its window was moved meanwhile.
pub async fn mark_overdue(
    c: &mut Conn<'_>,
    id: &str,
    t: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let sql =
        "UPDATE callbacks SET status = 'overdue' WHERE id = $1 AND status = 'open' AND due_by < $2";
    let n = on_conn!(c, |e| sqlx::query(sql)
        .bind(id)
        .bind(t)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Reopens a completed callback for `agent` (None: back in the queue), due by `due_by`, after a
/// supervisor returned its record; false if it was not completed (any more).
pub async fn reopen(
    c: &mut Conn<'_>,
    id: &str,
    agent: Option<&str>,
    due_by: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let sql = "UPDATE callbacks SET status = 'open', closed_at = NULL, assignee_id = $2, due_by = $3 \
               WHERE id = $1 AND status = 'completed'";
    let n = on_conn!(c, |e| sqlx::query(sql)
        .bind(id)
        .bind(agent)
        .bind(due_by)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Closed callbacks (completed or failed) with no review since they closed, closed before
/// `before`, oldest first: candidates for the late-review list.
pub async fn unreviewed_before(
    c: &mut Conn<'_>,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Callback>, StoreError> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM callbacks c WHERE c.status IN ('completed', 'failed') AND c.closed_at < $1 \
         AND NOT EXISTS (SELECT 1 FROM callback_reviews r WHERE r.callback_id = c.id AND r.created_at >= c.closed_at) \
         ORDER BY c.closed_at, c.id LIMIT $2"
    );
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(before)
        .bind(limit)
        .fetch_all(e)
        .await)?)
}

/// The periodic callbacks of an order still to do (open or overdue) and not yet tried (no
/// outcome: a record returned by its supervisor is not the next call), soonest first.
pub async fn workable_periodics(
    c: &mut Conn<'_>,
    order_id: &str,
) -> Result<Vec<Callback>, StoreError> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM callbacks c WHERE c.order_id = $1 AND c.kind = 'periodic' \
         AND c.status IN ('open', 'overdue') AND NOT EXISTS \
         (SELECT 1 FROM callback_outcomes o WHERE o.callback_id = c.id) ORDER BY c.due_from, c.id"
    );
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(order_id)
        .fetch_all(e)
        .await)?)
}

/// When the order's last periodic callback closed with an outcome (done, failed or given up as
/// unreachable), if it had one: the next one is planned from there.
pub async fn last_completed_periodic(
    c: &mut Conn<'_>,
    order_id: &str,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let sql = "SELECT closed_at FROM callbacks WHERE order_id = $1 AND kind = 'periodic' \
               AND status IN ('completed', 'failed', 'escalated') AND closed_at IS NOT NULL \
               ORDER BY closed_at DESC LIMIT 1";
    let row: Option<(DateTime<Utc>,)> = on_conn!(c, |e| sqlx::query_as(sql)
        .bind(order_id)
        .fetch_optional(e)
        .await)?;
    Ok(row.map(|(t,)| t))
}

/// Re-plans an open periodic callback at another frequency: its reason, checks, window and
/// decision. False if it was not open (any more).
pub async fn replan(c: &mut Conn<'_>, cb: &Callback) -> Result<bool, StoreError> {
    let sql = "UPDATE callbacks SET reason = $2, checks = $3, due_from = $4, due_by = $5, decision_id = $6 \
               WHERE id = $1 AND status = 'open'";
    let n = on_conn!(c, |e| sqlx::query(sql)
        .bind(&cb.id)
        .bind(&cb.reason)
        .bind(Json(&cb.checks))
        .bind(cb.due_from)
        .bind(cb.due_by)
        .bind(&cb.decision_id)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
