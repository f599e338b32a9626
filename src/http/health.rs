//! Liveness and readiness.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct HealthResponse {
    /// "ok" when the database answers, "degraded" otherwise.
    pub status: &'static str,
    pub database: &'static str,
    pub backend: &'static str,
    pub questionnaires: usize,
    /// The rule-set version this instance evaluates with.
    pub ruleset_version: i64,
}

pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(get_health))
}

/// Liveness and readiness: 200 when the database is reachable, 503 otherwise.
#[utoipa::path(get, path = "/health", tag = "health", security(()),
    responses((status = 200, body = HealthResponse), (status = 503, body = HealthResponse)))]
pub async fn get_health(State(state): State<AppState>) -> (StatusCode, Json<HealthResponse>) {
    let reachable = state.db.ping().await.is_ok();
    let body = HealthResponse {
        status: if reachable { "ok" } else { "degraded" },
        database: if reachable {
            "reachable"
        } else {
            "unreachable"
        },
        backend: state.db.backend(),
        questionnaires: state.questionnaires.len(),
        ruleset_version: state.rules.get().version,
    };
    let status = if reachable {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}
