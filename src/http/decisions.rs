//! Stored decisions and their replay: the same facts through the same rule-set version must give
//! the same outcome, years later (`workflow::evidence`).

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};

use super::AppState;
use crate::error::ApiError;
use crate::workflow::WorkflowError;
use crate::workflow::evidence::{DecisionRecord, Replay, replay};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/decisions/{id}", get(get_decision))
        .route("/v1/decisions/{id}/replay", get(replay_decision))
}

async fn load(
    state: &AppState,
    id: &str,
) -> Result<crate::store::decisions::StoredDecision, ApiError> {
    let mut pooled = state.db.acquire().await?;
    Ok(crate::store::decisions::get(&mut pooled.conn(), id)
        .await?
        .ok_or(WorkflowError::NotFound("decision"))?)
}

/// A stored decision with the facts it saw.
#[utoipa::path(get, path = "/v1/decisions/{id}", tag = "decisions", params(("id" = String, Path)),
    responses((status = 200, body = DecisionRecord), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_decision(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<DecisionRecord>, ApiError> {
    Ok(Json(load(&state, &id).await?.into()))
}

/// Re-evaluates a stored decision with its stored facts and rule-set version.
#[utoipa::path(get, path = "/v1/decisions/{id}/replay", tag = "decisions", params(("id" = String, Path)),
    responses((status = 200, body = Replay), (status = 404, body = crate::error::ErrorBody)))]
pub async fn replay_decision(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Replay>, ApiError> {
    let d = load(&state, &id).await?;
    Ok(Json(replay(&state.db, &state.rules, &d).await?))
}
