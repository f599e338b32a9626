//! The evidence bundle of one sale: `workflow::evidence::bundle`.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};

use super::AppState;
use crate::error::ApiError;
use crate::workflow::evidence;

pub use crate::workflow::evidence::{Evidence, digest};

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/orders/{id}/evidence", get(order_evidence))
}

/// Everything behind one sale, with `digest` over the rest.
#[utoipa::path(get, path = "/v1/orders/{id}/evidence", tag = "orders", params(("id" = String, Path)),
    responses((status = 200, description = "the evidence bundle with `digest`", body = Evidence),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn order_evidence(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(
        evidence::bundle(&state.db, &state.ctx(), &state.rules, &id).await?,
    ))
}
