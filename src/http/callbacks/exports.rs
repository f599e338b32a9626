//! The planners' exports: the callback plan (回访计划表) and the report (回访报告).

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::super::AppState;
use super::super::extract::ApiQuery;
use crate::callbacks::export;
use crate::error::ApiError;
use crate::store::callbacks::{self, Filter};
use crate::store::{escalations, now};

#[derive(Deserialize, utoipa::IntoParams)]
pub struct PeriodQuery {
    /// Start (inclusive); default 30 days ago for reports, now for the plan.
    pub from: Option<DateTime<Utc>>,
    /// End (exclusive); default now for reports, 30 days ahead for the plan.
    pub to: Option<DateTime<Utc>>,
    /// Plan only: csv (default) or xlsx.
    pub format: Option<String>,
}

/// The callback plan (回访计划表) of open callbacks due in a period, as CSV or XLSX.
#[utoipa::path(get, path = "/v1/callbacks/plan", tag = "callbacks", params(PeriodQuery),
    responses((status = 200, description = "text/csv or an XLSX workbook"), (status = 422, body = crate::error::ErrorBody)))]
pub async fn export_plan(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Response, ApiError> {
    let from = q
        .from
        .unwrap_or_else(|| now() - chrono::Duration::days(3650));
    let to = q.to.unwrap_or_else(|| now() + chrono::Duration::days(30));
    let format = q.format.as_deref().unwrap_or("csv");
    if !["csv", "xlsx"].contains(&format) {
        return Err(ApiError::field("format", "must be csv or xlsx"));
    }
    let filter = Filter {
        status: Some(crate::domain::state::CallbackStatus::Open),
        due_before: Some(to),
        due_from_after: Some(from),
        limit: 100_000,
        ..Filter::default()
    };
    let mut pooled = state.db.acquire().await?;
    let mut items = callbacks::list(&mut pooled.conn(), &filter).await?;
    items.sort_by(|a, b| {
        a.callback
            .due_from
            .cmp(&b.callback.due_from)
            .then(a.callback.id.cmp(&b.callback.id))
    });
    let (bytes, content_type, ext) = match format {
        "xlsx" => (
            export::plan_xlsx(&items).map_err(ApiError::Internal)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        _ => (
            export::plan_csv(&items).map_err(ApiError::Internal)?,
            "text/csv; charset=utf-8",
            "csv",
        ),
    };
    let disposition = format!("attachment; filename=\"callback-plan.{ext}\"");
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

/// The callback report (回访报告) of a period: outcomes by kind, method and result, the checks
/// answered "no", and the escalations opened.
#[utoipa::path(get, path = "/v1/callbacks/report", tag = "callbacks", params(PeriodQuery),
    responses((status = 200, body = export::Report), (status = 422, body = crate::error::ErrorBody)))]
pub async fn callback_report(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Json<export::Report>, ApiError> {
    let to = q.to.unwrap_or_else(now);
    let from = q.from.unwrap_or_else(|| to - chrono::Duration::days(30));
    if from >= to {
        return Err(ApiError::field("from", "must be before `to`"));
    }
    let mut pooled = state.db.acquire().await?;
    let mut c = pooled.conn();
    let outcomes = callbacks::outcomes_between(&mut c, from, to).await?;
    let escalations = escalations::opened_between(&mut c, from, to).await?;
    Ok(Json(export::report(from, to, &outcomes, &escalations)))
}
