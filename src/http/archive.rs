//! The client archive (客户档案) of one investor: `workflow::client_archive::archive`.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};

use super::AppState;
use super::extract::Caller;
use crate::error::ApiError;
use crate::workflow::client_archive::{self, ClientArchive};

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/investors/{id}/archive", get(investor_archive))
}

/// Everything the firm holds on one investor (identity masked), with the questionnaires as
/// presented and `digest` over the rest.
#[utoipa::path(get, path = "/v1/investors/{id}/archive", tag = "investors", params(("id" = String, Path)),
    responses((status = 200, description = "the client archive with `digest`", body = ClientArchive),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn investor_archive(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    Ok(Json(
        client_archive::archive(&mut pooled.conn(), &state.ctx(), &caller, &id).await?,
    ))
}
