//! Complaints (投诉, seed 001): parse, call `workflow::complaints`, serialise.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::AppState;
use super::extract::{ApiJson, ApiQuery, Caller};
use crate::error::ApiError;
use crate::store::complaints::Complaint;
use crate::workflow::complaints::{self, ComplaintArchive, ResolvedComplaint};

/// The body is the workflow's own input.
pub use crate::workflow::complaints::NewComplaint as CreateComplaintRequest;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"assignee_id": "01938a1e-7c00-7000-8000-000000000005"}))]
pub struct AssignRequest {
    pub assignee_id: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "resolution": "已补寄 2026 年三季度报告，并向投资者说明信息披露的方式和频率"}))]
pub struct ResolveComplaintRequest {
    pub resolution: String,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ArchiveQuery {
    /// Start (inclusive); default 1 year ago.
    pub from: Option<DateTime<Utc>>,
    /// End (exclusive); default now.
    pub to: Option<DateTime<Utc>>,
    /// mis_selling, suitability, service, fees, disclosure, redemption, callback, other
    #[param(
        pattern = "^(mis_selling|suitability|service|fees|disclosure|redemption|callback|other)$"
    )]
    pub category: Option<String>,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/complaints", post(create_complaint))
        .route("/v1/complaints/archive", get(complaint_archive))
        .route("/v1/complaints/{id}", get(get_complaint))
        .route("/v1/complaints/{id}/assign", post(assign_complaint))
        .route("/v1/complaints/{id}/resolve", post(resolve_complaint))
}

/// Records a complaint received from an investor.
#[utoipa::path(post, path = "/v1/complaints", tag = "complaints", request_body = CreateComplaintRequest,
    responses((status = 201, body = Complaint), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_complaint(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(req): ApiJson<CreateComplaintRequest>,
) -> Result<(StatusCode, Json<Complaint>), ApiError> {
    let mut tx = state.db.begin().await?;
    let complaint = complaints::record(&mut tx.conn(), &state.ctx(), &caller, req).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(complaint)))
}

#[utoipa::path(get, path = "/v1/complaints/{id}", tag = "complaints", params(("id" = String, Path)),
    responses((status = 200, body = Complaint), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_complaint(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<Complaint>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    Ok(Json(
        complaints::get(&mut pooled.conn(), &caller, &id).await?,
    ))
}

/// Gives an open complaint to a staff member to handle.
#[utoipa::path(post, path = "/v1/complaints/{id}/assign", tag = "complaints", params(("id" = String, Path)),
    request_body = AssignRequest,
    responses((status = 200, body = Complaint), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn assign_complaint(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<AssignRequest>,
) -> Result<Json<Complaint>, ApiError> {
    let mut tx = state.db.begin().await?;
    let complaint =
        complaints::assign(&mut tx.conn(), &state.ctx(), &caller, &id, &req.assignee_id).await?;
    tx.commit().await?;
    Ok(Json(complaint))
}

/// Resolves a complaint with a note and plans its follow-up callback (`complaint_followup`) within
/// 7 working days.
#[utoipa::path(post, path = "/v1/complaints/{id}/resolve", tag = "complaints", params(("id" = String, Path)),
    request_body = ResolveComplaintRequest,
    responses((status = 200, body = ResolvedComplaint), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn resolve_complaint(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ResolveComplaintRequest>,
) -> Result<Json<ResolvedComplaint>, ApiError> {
    let mut tx = state.db.begin().await?;
    let resolved =
        complaints::resolve(&mut tx.conn(), &state.ctx(), &caller, &id, &req.resolution).await?;
    tx.commit().await?;
    Ok(Json(resolved))
}

/// The complaint archive (投诉档案) of a period: counts by category and every complaint.
#[utoipa::path(get, path = "/v1/complaints/archive", tag = "complaints", params(ArchiveQuery),
    responses((status = 200, body = ComplaintArchive), (status = 422, body = crate::error::ErrorBody)))]
pub async fn complaint_archive(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ArchiveQuery>,
) -> Result<Json<ComplaintArchive>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    let archive =
        complaints::archive(&mut pooled.conn(), q.from, q.to, q.category.as_deref()).await?;
    Ok(Json(archive))
}
