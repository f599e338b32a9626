//! Assessments: scoring a questionnaire for an investor (`workflow::assessments`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde::Serialize;

use super::AppState;
use super::extract::{ApiJson, Caller};
use crate::error::ApiError;
use crate::store::assessments::Review;
use crate::workflow::assessment_review::{self, ReviewInput};
use crate::workflow::assessments::{self, AssessmentResponse};

/// The body is the workflow's own input.
pub use crate::workflow::assessments::Submission as CreateAssessmentRequest;

#[derive(Serialize, utoipa::ToSchema)]
pub struct AssessmentList {
    pub items: Vec<AssessmentResponse>,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/investors/{id}/assessments",
            post(create_assessment).get(list_assessments),
        )
        .route("/v1/assessments/{id}/review", post(review_assessment))
}

/// A risk reviewer's verdict on a flagged assessment: accepted, it satisfies
/// `assessment_review`; rejected, it is never used. 409 `already_reviewed` the second time.
#[utoipa::path(post, path = "/v1/assessments/{id}/review", tag = "assessments",
    params(("id" = String, Path)), request_body = ReviewInput,
    responses((status = 201, body = Review), (status = 400, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody)))]
pub async fn review_assessment(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ReviewInput>,
) -> Result<(StatusCode, Json<Review>), ApiError> {
    let mut tx = state.db.begin().await?;
    let r = assessment_review::review(&mut tx.conn(), &state.ctx(), &caller, &id, req).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Scores the answers on the questionnaire's current version and stores the assessment.
#[utoipa::path(post, path = "/v1/investors/{id}/assessments", tag = "assessments",
    params(("id" = String, Path)), request_body = CreateAssessmentRequest,
    responses((status = 201, body = AssessmentResponse), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_assessment(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(investor_id): Path<String>,
    ApiJson(req): ApiJson<CreateAssessmentRequest>,
) -> Result<(StatusCode, Json<AssessmentResponse>), ApiError> {
    let mut tx = state.db.begin().await?;
    let a = assessments::assess(&mut tx.conn(), &state.ctx(), &caller, &investor_id, req).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(a)))
}

/// Every assessment of the investor, newest first.
#[utoipa::path(get, path = "/v1/investors/{id}/assessments", tag = "assessments",
    params(("id" = String, Path)),
    responses((status = 200, body = AssessmentList), (status = 404, body = crate::error::ErrorBody)))]
pub async fn list_assessments(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(investor_id): Path<String>,
) -> Result<Json<AssessmentList>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    let items = assessments::list(&mut pooled.conn(), &state.ctx(), &caller, &investor_id).await?;
    Ok(Json(AssessmentList { items }))
}
