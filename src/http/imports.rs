//! Imports (`POST /v1/imports`, `GET /v1/imports/{id}`): parse the upload, start the job in
//! `workflow::imports::jobs`, answer with it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::AppState;
use super::extract::{ApiQuery, Caller};
use crate::error::ApiError;
use crate::sheet::{self, Format};
use crate::store::imports::ImportJob;
use crate::workflow::imports::{ImportKind, Options, jobs};

/// The largest file an import takes (about 300,000 investors as CSV).
pub const UPLOAD_LIMIT: usize = 64 << 20;
pub const CSV: &str = "text/csv";
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// investors, holdings or assessments
    #[param(pattern = "^(investors|holdings|assessments)$")]
    pub kind: String,
    /// Check every row (each runs and is rolled back); write nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Investors: the sales owner (a sales person's name or id) of rows without a
    /// `sales_owner` column.
    #[param(min_length = 1, max_length = 100)]
    pub sales_owner: Option<String>,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/imports",
            post(create_import).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/v1/imports/{id}", get(get_import))
}

/// Starts an import of a CSV (UTF-8) or XLSX file, the body itself; 202 with the job, whose
/// progress `GET /v1/imports/{id}` shows.
#[utoipa::path(post, path = "/v1/imports", tag = "imports", params(ImportQuery),
    request_body(description = "The file: CSV (UTF-8, with or without BOM) or XLSX (first sheet), a header row naming the columns (README, Imports)",
        content((String = "text/csv", example = json!("客户类型,姓名,证件号码,出生日期,销售人员\n个人,张三,11010519491231002X,1949-12-31,sales1\n")),
                (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses((status = 202, body = ImportJob), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_import(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(q): ApiQuery<ImportQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<ImportJob>), ApiError> {
    let kind: ImportKind = q
        .kind
        .parse()
        .map_err(|e: String| ApiError::field("kind", e))?;
    let media = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase());
    let format = match media.as_deref() {
        Some(CSV) => Format::Csv,
        Some(XLSX) => Format::Xlsx,
        _ => return Err(ApiError::UnsupportedMediaType),
    };
    let permit = jobs::admit(&state.imports, &caller)?;
    let sheet = sheet::read(&body, format).map_err(|e| ApiError::field("body", e))?;
    let opts = Options {
        dry_run: q.dry_run,
        sales_owner: q.sales_owner,
    };
    let job = jobs::start(&state.db, &caller, kind, &sheet, &opts).await?;
    let sheet = Arc::new(sheet);
    let started = job.clone();
    tokio::spawn(async move {
        let ctx = state.ctx();
        jobs::run(
            permit,
            state.db.clone(),
            ctx,
            caller,
            kind,
            sheet,
            opts,
            job,
        )
        .await;
    });
    Ok((StatusCode::ACCEPTED, Json(started)))
}

/// An import's progress and, once done, its bad rows.
#[utoipa::path(get, path = "/v1/imports/{id}", tag = "imports", params(("id" = String, Path)),
    responses((status = 200, body = ImportJob), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_import(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<ImportJob>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    Ok(Json(jobs::get(&mut pooled.conn(), &caller, &id).await?))
}
