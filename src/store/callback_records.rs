//! What was recorded on callbacks, all append-only: outcomes (回访记录表), supervisors' reviews
//! (主管审阅), and the open issues an outcome raised with their closures.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;

use super::{Conn, StoreError};
use crate::domain::state::{CallbackKind, OutcomeResult, ReviewVerdict};
use crate::on_conn;

/// The investor's satisfaction (满意度), 1 (worst) to 5 (best) each.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Satisfaction {
    /// 服务态度
    #[schema(minimum = 1, maximum = 5)]
    pub service: u8,
    /// 响应速度
    #[schema(minimum = 1, maximum = 5)]
    pub responsiveness: u8,
    /// 整体满意度
    #[schema(minimum = 1, maximum = 5)]
    pub overall: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema, sqlx::FromRow)]
#[schema(as = CallbackOutcome)]
pub struct Outcome {
    pub id: String,
    pub callback_id: String,
    pub method: String,
    pub reached: bool,
    #[schema(value_type = Object)]
    pub answers: Json<BTreeMap<String, bool>>,
    pub notes: String,
    pub recording_ref: Option<String>,
    pub result: OutcomeResult,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
    /// 被访人: who answered (for an institution, its representative).
    pub respondent: Option<String>,
    /// 职务: the respondent's position at the institution.
    pub respondent_title: Option<String>,
    #[schema(value_type = Option<Satisfaction>)]
    pub satisfaction: Option<Json<Satisfaction>>,
    /// 意见建议
    pub opinions: String,
    /// The script read on this call, as rendered then (none on records from before it was kept).
    #[schema(value_type = Option<crate::rules::scripts::Script>)]
    pub script: Option<Json<crate::rules::scripts::Script>>,
}

macro_rules! outcome_columns {
    ($p:literal) => {
        concat!(
            $p,
            "id, ",
            $p,
            "callback_id, ",
            $p,
            "method, ",
            $p,
            "reached, ",
            $p,
            "answers, ",
            $p,
            "notes, ",
            $p,
            "recording_ref, ",
            $p,
            "result, ",
            $p,
            "recorded_by, ",
            $p,
            "recorded_at, ",
            $p,
            "respondent, ",
            $p,
            "respondent_title, ",
            $p,
            "satisfaction, ",
            $p,
            "opinions, ",
            $p,
            "script"
        )
    };
}

pub async fn insert_outcome(c: &mut Conn<'_>, o: &Outcome) -> Result<(), StoreError> {
    let sql = concat!(
        "INSERT INTO callback_outcomes (",
        outcome_columns!(""),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    );
    on_conn!(c, |e| sqlx::query(sql)
        .bind(&o.id)
        .bind(&o.callback_id)
        .bind(&o.method)
        .bind(o.reached)
        .bind(&o.answers)
        .bind(&o.notes)
        .bind(&o.recording_ref)
        .bind(o.result)
        .bind(&o.recorded_by)
        .bind(o.recorded_at)
        .bind(&o.respondent)
        .bind(&o.respondent_title)
        .bind(o.satisfaction)
        .bind(&o.opinions)
        .bind(&o.script)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn outcomes(c: &mut Conn<'_>, callback_id: &str) -> Result<Vec<Outcome>, StoreError> {
    let sql = concat!(
        "SELECT ",
        outcome_columns!(""),
        " FROM callback_outcomes WHERE callback_id = $1 ORDER BY recorded_at, id"
    );
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(callback_id)
        .fetch_all(e)
        .await)?)
}

/// Every outcome recorded in [from, to), with its callback's kind, for reports.
pub async fn outcomes_between(
    c: &mut Conn<'_>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(Outcome, CallbackKind)>, StoreError> {
    #[derive(sqlx::FromRow)]
    struct OutcomeWithKind {
        #[sqlx(flatten)]
        o: Outcome,
        kind: CallbackKind,
    }
    let sql = concat!(
        "SELECT ",
        outcome_columns!("o."),
        ", c.kind FROM callback_outcomes o JOIN callbacks c ON c.id = o.callback_id \
         WHERE o.recorded_at >= $1 AND o.recorded_at < $2 ORDER BY o.recorded_at, o.id"
    );
    let rows: Vec<OutcomeWithKind> = on_conn!(c, |e| sqlx::query_as(sql)
        .bind(from)
        .bind(to)
        .fetch_all(e)
        .await)?;
    Ok(rows.into_iter().map(|r| (r.o, r.kind)).collect())
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema, sqlx::FromRow)]
#[schema(as = CallbackReview)]
pub struct Review {
    pub id: String,
    pub callback_id: String,
    pub reviewer_id: String,
    /// None on reviews from before verdicts existed (a comment only).
    pub verdict: Option<ReviewVerdict>,
    pub comment: String,
    pub created_at: DateTime<Utc>,
}

pub async fn insert_review(c: &mut Conn<'_>, r: &Review) -> Result<(), StoreError> {
    let sql = "INSERT INTO callback_reviews (id, callback_id, reviewer_id, verdict, comment, created_at) \
               VALUES ($1, $2, $3, $4, $5, $6)";
    on_conn!(c, |e| sqlx::query(sql)
        .bind(&r.id)
        .bind(&r.callback_id)
        .bind(&r.reviewer_id)
        .bind(r.verdict)
        .bind(&r.comment)
        .bind(r.created_at)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn reviews(c: &mut Conn<'_>, callback_id: &str) -> Result<Vec<Review>, StoreError> {
    let sql = "SELECT id, callback_id, reviewer_id, verdict, comment, created_at FROM callback_reviews \
               WHERE callback_id = $1 ORDER BY created_at, id";
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(callback_id)
        .fetch_all(e)
        .await)?)
}

/// Every review made in [from, to), for reports.
pub async fn reviews_between(
    c: &mut Conn<'_>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Review>, StoreError> {
    let sql = "SELECT id, callback_id, reviewer_id, verdict, comment, created_at FROM callback_reviews \
               WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at, id";
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(from)
        .bind(to)
        .fetch_all(e)
        .await)?)
}

/// An open issue (遗留问题) an outcome raised, tracked until someone closes it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Issue {
    pub id: String,
    pub callback_id: String,
    pub outcome_id: String,
    pub investor_id: String,
    pub text: String,
    pub opened_at: DateTime<Utc>,
    pub closed_by: Option<String>,
    pub resolution: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
}

macro_rules! issue_select {
    () => {
        "SELECT i.id, i.callback_id, i.outcome_id, i.investor_id, i.text, i.opened_at, \
         x.closed_by, x.resolution, x.closed_at \
         FROM callback_issues i LEFT JOIN callback_issue_closures x ON x.issue_id = i.id"
    };
}

pub async fn insert_issue(c: &mut Conn<'_>, i: &Issue) -> Result<(), StoreError> {
    let sql = "INSERT INTO callback_issues (id, callback_id, outcome_id, investor_id, text, opened_at) \
               VALUES ($1, $2, $3, $4, $5, $6)";
    on_conn!(c, |e| sqlx::query(sql)
        .bind(&i.id)
        .bind(&i.callback_id)
        .bind(&i.outcome_id)
        .bind(&i.investor_id)
        .bind(&i.text)
        .bind(i.opened_at)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn issue(c: &mut Conn<'_>, id: &str) -> Result<Option<Issue>, StoreError> {
    let sql = concat!(issue_select!(), " WHERE i.id = $1");
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(id)
        .fetch_optional(e)
        .await)?)
}

pub async fn issues_for(c: &mut Conn<'_>, callback_id: &str) -> Result<Vec<Issue>, StoreError> {
    let sql = concat!(
        issue_select!(),
        " WHERE i.callback_id = $1 ORDER BY i.opened_at, i.id"
    );
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(callback_id)
        .fetch_all(e)
        .await)?)
}

/// Issues still open (or all, with `include_closed`) in id order after `after`; only those of
/// callbacks assigned to `worked_by` when given.
pub async fn issues(
    c: &mut Conn<'_>,
    include_closed: bool,
    worked_by: Option<&str>,
    after: &str,
    limit: i64,
) -> Result<Vec<Issue>, StoreError> {
    let sql = concat!(
        issue_select!(),
        " WHERE ($1 OR x.issue_id IS NULL) AND i.id > $2 \
         AND ($4 = '' OR EXISTS (SELECT 1 FROM callbacks c WHERE c.id = i.callback_id AND c.assignee_id = $4)) \
         ORDER BY i.id LIMIT $3"
    );
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(include_closed)
        .bind(after)
        .bind(limit)
        .bind(worked_by.unwrap_or(""))
        .fetch_all(e)
        .await)?)
}

/// Issues raised in [from, to), for reports.
pub async fn issues_between(
    c: &mut Conn<'_>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Issue>, StoreError> {
    let sql = concat!(
        issue_select!(),
        " WHERE i.opened_at >= $1 AND i.opened_at < $2 ORDER BY i.opened_at, i.id"
    );
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(from)
        .bind(to)
        .fetch_all(e)
        .await)?)
}

/// Closes an issue; false if it was closed already (one closure per issue, by its key).
pub async fn close_issue(
    c: &mut Conn<'_>,
    id: &str,
    by: &str,
    resolution: &str,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let sql = "INSERT INTO callback_issue_closures (issue_id, closed_by, resolution, closed_at) \
               VALUES ($1, $2, $3, $4) ON CONFLICT (issue_id) DO NOTHING";
    let n = on_conn!(c, |e| sqlx::query(sql)
        .bind(id)
        .bind(by)
        .bind(resolution)
        .bind(at)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
