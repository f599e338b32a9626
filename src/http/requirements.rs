//! The requirements of the active rule set and the evidence that satisfies each
//! (`[requirements]` of its `checks.toml`).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Requirement {
    pub code: String,
    /// Evidence kinds an order must carry for it (each as `{"kind", "ref"}`).
    pub evidence: Vec<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RequirementList {
    pub ruleset_version: i64,
    pub items: Vec<Requirement>,
}

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/requirements", get(list_requirements))
}

/// Each requirement the active rules may make and the evidence kinds that satisfy it.
#[utoipa::path(get, path = "/v1/requirements", tag = "orders",
    responses((status = 200, body = RequirementList), (status = 401, body = crate::error::ErrorBody)))]
pub async fn list_requirements(State(state): State<AppState>) -> Json<RequirementList> {
    let rules = state.rules.get();
    let items = rules
        .catalogue()
        .requirements()
        .iter()
        .map(|(code, kinds)| Requirement {
            code: code.clone(),
            evidence: kinds.clone(),
        })
        .collect();
    Json(RequirementList {
        ruleset_version: rules.version,
        items,
    })
}
