//! The planners' exports: the callback plan (回访计划表) and the report (回访报告), from
//! `workflow::callbacks::exports`.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::super::AppState;
use super::super::extract::{ApiQuery, Caller};
use crate::callbacks::report::Report;
use crate::error::ApiError;
use crate::workflow::callbacks::exports;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    /// Start (inclusive); default 30 days ago for reports, now for the plan.
    pub from: Option<DateTime<Utc>>,
    /// End (exclusive); default now for reports, 30 days ahead for the plan.
    pub to: Option<DateTime<Utc>>,
    /// Plan only: csv (default) or xlsx.
    #[param(pattern = "^(csv|xlsx)$")]
    pub format: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// Start (inclusive); default 30 days ago.
    pub from: Option<DateTime<Utc>>,
    /// End (exclusive); default now; at most 366 days after `from`.
    pub to: Option<DateTime<Utc>>,
}

/// The callback plan (回访计划表) of callbacks to do (open or overdue) due in a period, as CSV or
/// XLSX, with each one's planned method and the caller as its preparer (编制人).
#[utoipa::path(get, path = "/v1/callbacks/plan", tag = "callbacks", params(PeriodQuery),
    responses((status = 200, description = "text/csv or an XLSX workbook",
            content((String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn export_plan(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Response, ApiError> {
    let mut pooled = state.db.acquire().await?;
    let file = exports::plan(
        &mut pooled.conn(),
        &caller,
        q.from,
        q.to,
        q.format.as_deref(),
    )
    .await?;
    let disposition = format!("attachment; filename=\"callback-plan.{}\"", file.extension);
    let headers = [
        (header::CONTENT_TYPE, file.content_type.to_string()),
        (header::CONTENT_DISPOSITION, disposition),
    ];
    Ok((headers, file.bytes).into_response())
}

/// The callback report (回访报告) of a period: outcomes by kind, method and result, the checks
/// answered "no", escalations, satisfaction averages, the main opinions, open issues and review
/// verdicts (a planner gets the counts without the investors' opinions and issues); at most
/// 366 days.
#[utoipa::path(get, path = "/v1/callbacks/report", tag = "callbacks", params(ReportQuery),
    responses((status = 200, body = Report), (status = 422, body = crate::error::ErrorBody)))]
pub async fn callback_report(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Json<Report>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    Ok(Json(
        exports::report(&mut pooled.conn(), &caller, q.from, q.to).await?,
    ))
}
