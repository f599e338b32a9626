//! Recording what happened on a callback, supervisor reviews and open issues:
//! `workflow::callbacks`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::super::AppState;
use super::super::extract::{ApiJson, ApiQuery, Caller};
use crate::error::ApiError;
use crate::store::callback_records::{Issue, Review};
use crate::workflow::callbacks::issues::{self, Closure, IssuePage};
use crate::workflow::callbacks::outcome::{self, Recorded};
use crate::workflow::callbacks::review::{self, PendingReview, ReviewRequest};

/// The body is the workflow's own input.
pub use crate::workflow::callbacks::outcome::Report as OutcomeRequest;

/// Records what happened on a callback. All checks confirmed: completed (a confirmation confirms
/// the order). Any check denied: failed (a confirmation rescinds the order) and an escalation
/// opens for compliance. Not reached: an attempt is counted; the last allowed attempt escalates.
#[utoipa::path(post, path = "/v1/callbacks/{id}/outcome", tag = "callbacks", params(("id" = String, Path)),
    request_body = OutcomeRequest,
    responses((status = 200, body = Recorded), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn record_outcome(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<OutcomeRequest>,
) -> Result<Json<Recorded>, ApiError> {
    let mut tx = state.db.begin().await?;
    let recorded = outcome::record(&mut tx.conn(), &state.ctx(), &caller, &id, req).await?;
    tx.commit().await?;
    Ok(Json(recorded))
}

/// A supervisor's review (主管审阅) of a closed callback record: `approved`, or `returned` to its
/// agent, who records a new outcome (the record itself is never edited).
#[utoipa::path(post, path = "/v1/callbacks/{id}/reviews", tag = "callbacks", params(("id" = String, Path)),
    request_body = ReviewRequest,
    responses((status = 201, body = Review), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn review_callback(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ReviewRequest>,
) -> Result<(StatusCode, Json<Review>), ApiError> {
    let mut tx = state.db.begin().await?;
    let review = review::review(&mut tx.conn(), &caller, &id, req).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(review)))
}

/// Closed callback records not reviewed within three working days, oldest first.
#[utoipa::path(get, path = "/v1/callbacks/reviews/pending", tag = "callbacks",
    responses((status = 200, body = Vec<PendingReview>)))]
pub async fn pending_reviews(
    State(state): State<AppState>,
    Caller(_caller): Caller,
) -> Result<Json<Vec<PendingReview>>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    Ok(Json(
        review::pending(&mut pooled.conn(), &state.ctx()).await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct IssueQuery {
    /// open (default) or all
    #[param(pattern = "^(open|all)$")]
    pub status: Option<String>,
    /// At most this many items (1..=500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    pub after: Option<String>,
}

/// Open issues (遗留问题) raised on callback records (`status=all`: closed ones too).
#[utoipa::path(get, path = "/v1/callbacks/issues", tag = "callbacks", params(IssueQuery),
    responses((status = 200, body = IssuePage), (status = 422, body = crate::error::ErrorBody)))]
pub async fn list_issues(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(q): ApiQuery<IssueQuery>,
) -> Result<Json<IssuePage>, ApiError> {
    let include_closed = match q.status.as_deref() {
        None | Some("open") => false,
        Some("all") => true,
        Some(_) => return Err(ApiError::field("status", "must be one of: open, all")),
    };
    let mut pooled = state.db.acquire().await?;
    let page = issues::list(
        &mut pooled.conn(),
        &caller,
        include_closed,
        q.limit,
        q.after,
    )
    .await?;
    Ok(Json(page))
}

/// Closes an open issue with its resolution.
#[utoipa::path(post, path = "/v1/callbacks/issues/{id}/close", tag = "callbacks",
    params(("id" = String, Path)), request_body = Closure,
    responses((status = 200, body = Issue), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn close_issue(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<Closure>,
) -> Result<Json<Issue>, ApiError> {
    let mut tx = state.db.begin().await?;
    let issue = issues::close(&mut tx.conn(), &caller, &id, req).await?;
    tx.commit().await?;
    Ok(Json(issue))
}
