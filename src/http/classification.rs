//! An investor's classification (专业投资者认定) and qualification evidence; each handler calls
//! one function of `workflow::classification` or `workflow::qualification`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};

use super::AppState;
use super::extract::{ApiJson, Caller};
use crate::error::ApiError;
use crate::store::classifications::{Classification, QualificationEvidence};
use crate::workflow::classification::{self, ClassificationList, NewClassification};
use crate::workflow::qualification::{self, DocumentInput, EvidenceList};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/investors/{id}/classification", post(classify))
        .route(
            "/v1/investors/{id}/classifications",
            get(list_classifications),
        )
        .route(
            "/v1/investors/{id}/evidence",
            get(list_evidence).post(record_evidence),
        )
}

/// Records a classification (risk or compliance, never the investor's sales owner), checked
/// against regulation.md §1; a failed criterion → 422 `classification_criteria_not_met` naming it.
#[utoipa::path(post, path = "/v1/investors/{id}/classification", tag = "investors",
    params(("id" = String, Path)), request_body = NewClassification,
    responses((status = 201, body = Classification), (status = 400, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn classify(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewClassification>,
) -> Result<(StatusCode, Json<Classification>), ApiError> {
    let mut tx = state.db.begin().await?;
    let k = classification::classify(&mut tx.conn(), &state.ctx(), &caller, &id, req).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(k)))
}

/// Every classification of the investor, granted or refused, newest first.
#[utoipa::path(get, path = "/v1/investors/{id}/classifications", tag = "investors",
    params(("id" = String, Path)),
    responses((status = 200, body = ClassificationList), (status = 404, body = crate::error::ErrorBody)))]
pub async fn list_classifications(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<ClassificationList>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    Ok(Json(
        classification::list(&mut pooled.conn(), &caller, &id).await?,
    ))
}

/// Records a proof of assets or income (asset_proof, income_proof, net_assets_proof).
#[utoipa::path(post, path = "/v1/investors/{id}/evidence", tag = "investors",
    params(("id" = String, Path)), request_body = DocumentInput,
    responses((status = 201, body = QualificationEvidence), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn record_evidence(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DocumentInput>,
) -> Result<(StatusCode, Json<QualificationEvidence>), ApiError> {
    let mut tx = state.db.begin().await?;
    let q = qualification::record(&mut tx.conn(), &caller, &id, req).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(q)))
}

/// The investor's qualification evidence, newest issue first.
#[utoipa::path(get, path = "/v1/investors/{id}/evidence", tag = "investors",
    params(("id" = String, Path)),
    responses((status = 200, body = EvidenceList), (status = 404, body = crate::error::ErrorBody)))]
pub async fn list_evidence(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<EvidenceList>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    Ok(Json(
        qualification::list(&mut pooled.conn(), &caller, &id).await?,
    ))
}
