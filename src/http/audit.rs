//! The audit trail for compliance and admin (entries are appended by the workflows, in each
//! write's own transaction: `workflow::audit`).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::AppState;
use super::extract::ApiQuery;
use crate::error::ApiError;
use crate::store::audit::Filter;
use crate::workflow::audit::{self, AuditPage, TrailStatus};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// investor, assessment, product, order, callback, escalation, ruleset, complaint, staff
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    /// A staff id.
    pub actor: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// The `seq` of the last entry of the previous page.
    pub after: Option<i64>,
    /// At most this many entries (1..=1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/audit", get(list_audit))
        .route("/v1/audit/verify", get(verify_audit))
}

/// The audit trail in order, filtered by entity, actor and time.
#[utoipa::path(get, path = "/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 422, body = crate::error::ErrorBody)))]
pub async fn list_audit(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let filter = Filter {
        entity: q.entity,
        entity_id: q.entity_id,
        actor_id: q.actor,
        from: q.from,
        to: q.to,
        after_seq: q.after.unwrap_or(0),
        limit: 0,
    };
    let mut pooled = state.db.acquire().await?;
    Ok(Json(
        audit::search(&mut pooled.conn(), filter, q.limit).await?,
    ))
}

/// Walks the whole trail and checks the newest checkpoint the service wrote outside the database
/// (a full read: for an auditor's request, not for every page).
#[utoipa::path(get, path = "/v1/audit/verify", tag = "audit",
    responses((status = 200, body = TrailStatus), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody)))]
pub async fn verify_audit(State(state): State<AppState>) -> Result<Json<TrailStatus>, ApiError> {
    let dir = state
        .config
        .checkpoints
        .as_ref()
        .map(|(dir, _)| dir.as_path());
    Ok(Json(audit::verify(&state.db, dir).await?))
}
