//! Staff and tokens, for admin: `workflow::staff`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};

use super::AppState;
use super::extract::{ApiJson, Caller};
use crate::error::ApiError;
use crate::workflow::staff::{self, IssueRequest, IssuedToken, StaffList, StaffView, TokenList};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/staff", get(list_staff))
        .route("/v1/staff/{id}/disable", post(disable_staff))
        .route("/v1/tokens", get(list_tokens).post(issue_token))
        .route("/v1/tokens/{id}/revoke", post(revoke_token))
}

/// Every staff member with roles and whether disabled.
#[utoipa::path(get, path = "/v1/staff", tag = "staff",
    responses((status = 200, body = StaffList), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody)))]
pub async fn list_staff(State(state): State<AppState>) -> Result<Json<StaffList>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    Ok(Json(staff::list(&mut pooled.conn()).await?))
}

/// Disables a staff member: their tokens get 401 within a second.
#[utoipa::path(post, path = "/v1/staff/{id}/disable", tag = "staff", params(("id" = String, Path)),
    responses((status = 200, body = StaffView), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody)))]
pub async fn disable_staff(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<StaffView>, ApiError> {
    let mut tx = state.db.begin().await?;
    let member = staff::disable(&mut tx.conn(), &caller, &id).await?;
    tx.commit().await?;
    Ok(Json(member))
}

/// Every token (never the token itself).
#[utoipa::path(get, path = "/v1/tokens", tag = "staff",
    responses((status = 200, body = TokenList), (status = 403, body = crate::error::ErrorBody)))]
pub async fn list_tokens(State(state): State<AppState>) -> Result<Json<TokenList>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    Ok(Json(staff::tokens(&mut pooled.conn()).await?))
}

/// Issues a token for a staff member (created by name if new, the roles added): the token is in
/// this answer only, the store keeps its hash.
#[utoipa::path(post, path = "/v1/tokens", tag = "staff", request_body = IssueRequest,
    responses((status = 201, body = IssuedToken), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 409, description = "the staff member is disabled (`staff_disabled`)", body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn issue_token(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(req): ApiJson<IssueRequest>,
) -> Result<(StatusCode, Json<IssuedToken>), ApiError> {
    let issued = staff::issue_by(&state.db, &caller, req).await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// Revokes a token: 401 within a second on every instance.
#[utoipa::path(post, path = "/v1/tokens/{id}/revoke", tag = "staff", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let mut tx = state.db.begin().await?;
    staff::revoke(&mut tx.conn(), Some(&caller), &id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
