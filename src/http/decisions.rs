//! Stored decisions and their replay: the same facts through the same rule-set version must give
//! the same outcome, years later.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::AppState;
use crate::domain::state::DecisionPurpose;
use crate::error::ApiError;
use crate::workflow::WorkflowError;
use crate::workflow::rulesets::compiled;
use crate::rules::Facts;
use crate::rules::decision::Outcome;
use crate::store::{decisions, rulesets};

#[derive(Serialize, utoipa::ToSchema)]
pub struct DecisionRecord {
    pub id: String,
    pub investor_id: String,
    pub product_id: String,
    pub purpose: DecisionPurpose,
    pub ruleset_version: i64,
    pub facts: Facts,
    pub outcome: Outcome,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Replay {
    pub decision_id: String,
    pub ruleset_version: i64,
    /// Whether the replayed outcome equals the stored one, field for field.
    pub identical: bool,
    pub stored: Outcome,
    pub replayed: Outcome,
}

impl From<decisions::StoredDecision> for DecisionRecord {
    fn from(d: decisions::StoredDecision) -> Self {
        DecisionRecord {
            id: d.id,
            investor_id: d.investor_id,
            product_id: d.product_id,
            purpose: d.purpose,
            ruleset_version: d.ruleset_version,
            facts: d.facts,
            outcome: d.outcome,
            created_by: d.created_by,
            created_at: d.created_at,
        }
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/decisions/{id}", get(get_decision))
        .route("/v1/decisions/{id}/replay", get(replay_decision))
}

async fn load(state: &AppState, id: &str) -> Result<decisions::StoredDecision, ApiError> {
    let mut pooled = state.db.acquire().await?;
    decisions::get(&mut pooled.conn(), id)
        .await?
        .ok_or(ApiError::NotFound { what: "decision" })
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
    Ok(Json(replay(&state, &d).await?))
}

pub async fn replay(state: &AppState, d: &decisions::StoredDecision) -> Result<Replay, ApiError> {
    let stored_set = {
        let mut pooled = state.db.acquire().await?;
        rulesets::get(&mut pooled.conn(), d.ruleset_version)
            .await?
            .ok_or(ApiError::NotFound { what: "rule set" })?
    };
    let set = compiled(&state.rules, &stored_set)?;
    let replayed = set.evaluate(&d.facts).map_err(WorkflowError::RuleFailed)?;
    Ok(Replay {
        decision_id: d.id.clone(),
        ruleset_version: d.ruleset_version,
        identical: replayed == d.outcome,
        stored: d.outcome.clone(),
        replayed,
    })
}
