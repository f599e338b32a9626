//! The suitability check: the decision for an investor, a product and an amount, with no side
//! effects. Orders take the same path and then record what it decided.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;

use super::AppState;
use super::extract::ApiJson;
use crate::decide::{DecisionView, facts_of_row};
use crate::domain::Money;
use crate::domain::money::RawAmount;
use crate::error::ApiError;
use crate::store::{Conn, holdings, investors, now};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    pub investor_id: String,
    pub product_id: String,
    pub amount: RawAmount,
}

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/suitability/check", post(check_suitability))
}

/// Parses an order amount: positive, at most two decimals.
pub fn parse_amount(raw: &RawAmount) -> Result<Money, ApiError> {
    let amount = raw.parse().map_err(|e| ApiError::field("amount", e))?;
    if amount == Money::ZERO {
        return Err(ApiError::field("amount", "must be greater than zero"));
    }
    Ok(amount)
}

/// Loads what the rules need for this sale (one query) and evaluates the active rule set.
pub async fn decide_sale(
    state: &AppState,
    c: &mut Conn<'_>,
    investor_id: &str,
    product_id: &str,
    amount: Money,
) -> Result<DecisionView, ApiError> {
    let t = now();
    let Some(row) =
        holdings::sale_facts(c, investor_id, product_id, t - chrono::Duration::days(90)).await?
    else {
        let what = if investors::exists(c, investor_id).await? {
            "product"
        } else {
            "investor"
        };
        return Err(ApiError::NotFound { what });
    };
    let facts = facts_of_row(&row, amount, &state.config.policy, t)?;
    let rules = state.rules.get();
    let outcome = rules.evaluate(&facts).map_err(ApiError::RuleFailed)?;
    Ok(DecisionView::new(
        Some(investor_id),
        Some(product_id),
        facts,
        outcome,
    ))
}

/// The decision for a prospective sale: verdict, reasons, requirements, checks, callbacks, the
/// rule-set version and a trace of what each rule did. Nothing is stored.
#[utoipa::path(post, path = "/v1/suitability/check", tag = "suitability", request_body = CheckRequest,
    responses((status = 200, body = DecisionView), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody), (status = 500, description = "a rule failed; the error names it", body = crate::error::ErrorBody)))]
pub async fn check_suitability(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<CheckRequest>,
) -> Result<Json<DecisionView>, ApiError> {
    let amount = parse_amount(&req.amount)?;
    let mut pooled = state.db.acquire().await?;
    let view = decide_sale(
        &state,
        &mut pooled.conn(),
        &req.investor_id,
        &req.product_id,
        amount,
    )
    .await?;
    Ok(Json(view))
}

/// Re-evaluates a holding (an order cooling off or confirmed) with the active rules as of now,
/// and stores the decision with `purpose`. An existing holding is not a first purchase.
pub async fn reevaluate_holding(
    state: &AppState,
    c: &mut Conn<'_>,
    order: &crate::store::orders::Order,
    purpose: &str,
    actor: Option<&str>,
) -> Result<crate::store::decisions::StoredDecision, ApiError> {
    let view = decide_sale(
        state,
        c,
        &order.investor_id,
        &order.product_id,
        order.amount,
    )
    .await?;
    let stored = crate::store::decisions::StoredDecision {
        id: crate::store::new_id(),
        investor_id: order.investor_id.clone(),
        product_id: order.product_id.clone(),
        purpose: purpose.to_string(),
        ruleset_version: view.outcome.ruleset_version,
        facts: view.facts,
        outcome: view.outcome,
        created_by: actor.map(str::to_string),
        created_at: now(),
    };
    crate::store::decisions::insert(c, &stored).await?;
    Ok(stored)
}
