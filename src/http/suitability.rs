//! The suitability check: the decision for an investor, a product and an amount, with no side
//! effects (`workflow::sale::decide`). Orders take the same path and then record what it decided.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;

use super::AppState;
use super::extract::{ApiJson, Caller};
use crate::decide::DecisionView;
use crate::domain::money::RawAmount;
use crate::error::ApiError;
use crate::workflow::sale;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"investor_id": "01938a1e-7c00-7000-8000-000000000001",
    "product_id": "01938a1e-7c00-7000-8000-000000000002", "amount": "1000000"}))]
pub struct CheckRequest {
    pub investor_id: String,
    pub product_id: String,
    pub amount: RawAmount,
}

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/suitability/check", post(check_suitability))
}

/// The decision for a prospective sale: verdict, reasons, requirements, checks, callbacks, the
/// rule-set version and a trace of what each rule did. Nothing is stored.
#[utoipa::path(post, path = "/v1/suitability/check", tag = "suitability", request_body = CheckRequest,
    responses((status = 200, body = DecisionView), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody), (status = 500, description = "a rule failed; the error names it", body = crate::error::ErrorBody)))]
pub async fn check_suitability(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(req): ApiJson<CheckRequest>,
) -> Result<Json<DecisionView>, ApiError> {
    let amount = sale::parse_amount(&req.amount)?;
    let ctx = state.ctx();
    let view = sale::check(
        &state.db,
        &ctx,
        &caller,
        &req.investor_id,
        &req.product_id,
        amount,
    )
    .await?;
    Ok(Json(view))
}
