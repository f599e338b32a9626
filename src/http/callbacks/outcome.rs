//! Recording what happened on a callback and supervisor reviews: `workflow::callbacks`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::super::AppState;
use super::super::extract::{ApiJson, Caller};
use crate::error::ApiError;
use crate::store::callbacks::Review;
use crate::workflow::callbacks::outcome::{self, Recorded};
use crate::workflow::callbacks::review;

/// The body is the workflow's own input.
pub use crate::workflow::callbacks::outcome::Report as OutcomeRequest;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    pub comment: String,
}

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

/// A supervisor's review (主管审阅) of a callback: a comment beside its outcomes, which stay as
/// they were recorded.
#[utoipa::path(post, path = "/v1/callbacks/{id}/reviews", tag = "callbacks", params(("id" = String, Path)),
    request_body = ReviewRequest,
    responses((status = 201, body = Review), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn review_callback(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ReviewRequest>,
) -> Result<(StatusCode, Json<Review>), ApiError> {
    let mut tx = state.db.begin().await?;
    let review = review::review(&mut tx.conn(), &caller, &id, &req.comment).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(review)))
}
