//! Escalations for compliance: failed checks and unreachable investors, and their resolution.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::extract::{ApiJson, ApiQuery, Caller};
use crate::error::ApiError;
use crate::store::escalations::Escalation;
use crate::workflow::escalations;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EscalationQuery {
    /// Include resolved escalations (default: open ones only).
    pub include_resolved: Option<bool>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EscalationList {
    pub items: Vec<Escalation>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"note": "已与投资者电话核实，订单已撤销并办理退款，相关销售人员已约谈"}))]
pub struct ResolveRequest {
    pub note: String,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/escalations", get(list_escalations))
        .route("/v1/escalations/{id}/resolve", post(resolve_escalation))
}

/// Open escalations (or all of them), oldest first.
#[utoipa::path(get, path = "/v1/escalations", tag = "escalations", params(EscalationQuery),
    responses((status = 200, body = EscalationList)))]
pub async fn list_escalations(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<EscalationQuery>,
) -> Result<Json<EscalationList>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    let items = escalations::list(&mut pooled.conn(), q.include_resolved.unwrap_or(false)).await?;
    Ok(Json(EscalationList { items }))
}

/// Resolves an escalation with a note; 409 if it is already resolved.
#[utoipa::path(post, path = "/v1/escalations/{id}/resolve", tag = "escalations", params(("id" = String, Path)),
    request_body = ResolveRequest,
    responses((status = 200, body = Escalation), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn resolve_escalation(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ResolveRequest>,
) -> Result<Json<Escalation>, ApiError> {
    let mut tx = state.db.begin().await?;
    let e = escalations::resolve(&mut tx.conn(), &caller, &id, &req.note).await?;
    tx.commit().await?;
    Ok(Json(e))
}
