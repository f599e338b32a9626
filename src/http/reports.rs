//! The suitability self-check report (适当性自查报告): `workflow::self_check`, as JSON or XLSX.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::AppState;
use super::extract::ApiQuery;
use crate::error::ApiError;
use crate::workflow::self_check::{self, SelfCheck};
use crate::workflow::{WorkflowError, self_check::xlsx};

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SelfCheckQuery {
    /// Start (inclusive); default 183 days before `to`.
    pub from: Option<DateTime<Utc>>,
    /// End (exclusive); default now. At most 366 days after `from`.
    pub to: Option<DateTime<Utc>>,
    /// json (default) or xlsx.
    #[param(pattern = "^(json|xlsx)$")]
    pub format: Option<String>,
}

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/reports/self-check", get(self_check_report))
}

/// The self-check report of a period: investors by level and classification, products by rating,
/// sales by verdict, mismatch sales and signed warnings, dual recordings, callbacks, escalations
/// and resolution times, complaints by category.
#[utoipa::path(get, path = "/v1/reports/self-check", tag = "reports", params(SelfCheckQuery),
    responses((status = 200, description = "JSON, or an XLSX workbook with format=xlsx",
            content((SelfCheck = "application/json"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn self_check_report(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<SelfCheckQuery>,
) -> Result<Response, ApiError> {
    let xlsx_wanted = match q.format.as_deref() {
        None | Some("json") => false,
        Some("xlsx") => true,
        Some(_) => return Err(WorkflowError::field("format", "must be json or xlsx").into()),
    };
    let mut pooled = state.db.acquire().await?;
    let report = self_check::report(&mut pooled.conn(), q.from, q.to).await?;
    if !xlsx_wanted {
        return Ok(Json(report).into_response());
    }
    let headers = [
        (header::CONTENT_TYPE, XLSX),
        (
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"self-check.xlsx\"",
        ),
    ];
    Ok((headers, xlsx(&report)?).into_response())
}
