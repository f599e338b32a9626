//! Callbacks for planners: the due list with its check lists, one callback, claiming, recording
//! outcomes and reviews (`outcome`), and the plan and report exports (`exports`). Each handler
//! calls one function of `workflow::callbacks`.

pub mod exports;
pub mod outcome;

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::AppState;
use super::extract::{ApiJson, ApiQuery, Caller};
use crate::domain::state::{CallbackKind, CallbackStatus};
use crate::error::ApiError;
use crate::workflow::callbacks::contact::{self, Contact};
use crate::workflow::callbacks::manual::{self, NewCallback};
use crate::workflow::callbacks::summary::{self, Summary};
use crate::workflow::callbacks::{self, CallbackDetail, CallbackPage, CallbackView, Query};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CallbackQuery {
    /// open, overdue, completed, failed, escalated, cancelled
    #[param(value_type = Option<crate::domain::state::CallbackStatus>)]
    pub status: Option<String>,
    /// confirmation, periodic, special
    #[param(value_type = Option<crate::domain::state::CallbackKind>)]
    pub kind: Option<String>,
    /// Only callbacks whose window opens at or before this time.
    pub due_before: Option<DateTime<Utc>>,
    /// At most this many items (1..=500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    pub after: Option<String>,
    /// "me": only the callbacks assigned to the caller, soonest `due_by` first.
    #[param(pattern = "^me$")]
    pub assignee: Option<String>,
}

/// The investor's phone and e-mail in the clear, for the planner holding the callback (audited
/// as a reveal); anyone else 403 `not_assignee`.
#[utoipa::path(get, path = "/v1/callbacks/{id}/contact", tag = "callbacks", params(("id" = String, Path)),
    responses((status = 200, body = Contact), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn callback_contact(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<Contact>, ApiError> {
    let mut tx = state.db.begin().await?;
    let found = contact::contact(&mut tx.conn(), &state.ctx(), &caller, &id).await?;
    tx.commit().await?;
    Ok(Json(found))
}

/// Per kind: open, due today, overdue, claimed and awaiting review (a planner: what they work).
#[utoipa::path(get, path = "/v1/callbacks/summary", tag = "callbacks",
    responses((status = 200, body = Summary)))]
pub async fn callback_summary(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Json<Summary>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    Ok(Json(summary::summary(&mut pooled.conn(), &caller).await?))
}

/// An ad-hoc special callback (planner, compliance): the investor, a holding of theirs or none,
/// a reason code, checks from the active catalogue, and its window.
#[utoipa::path(post, path = "/v1/callbacks", tag = "callbacks", request_body = NewCallback,
    responses((status = 201, body = CallbackView), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_callback(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(req): ApiJson<NewCallback>,
) -> Result<(axum::http::StatusCode, Json<CallbackView>), ApiError> {
    let mut tx = state.db.begin().await?;
    let cb = manual::create(&mut tx.conn(), &state.ctx(), &caller, req).await?;
    tx.commit().await?;
    Ok((axum::http::StatusCode::CREATED, Json(cb)))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/callbacks", get(list_callbacks).post(create_callback))
        .route("/v1/callbacks/plan", get(exports::export_plan))
        .route("/v1/callbacks/summary", get(callback_summary))
        .route("/v1/callbacks/report", get(exports::callback_report))
        .route("/v1/callbacks/{id}", get(get_callback))
        .route("/v1/callbacks/{id}/claim", post(claim_callback))
        .route("/v1/callbacks/{id}/contact", get(callback_contact))
        .route("/v1/callbacks/{id}/outcome", post(outcome::record_outcome))
        .route("/v1/callbacks/{id}/reviews", post(outcome::review_callback))
        .route(
            "/v1/callbacks/reviews/pending",
            get(outcome::pending_reviews),
        )
        .route("/v1/callbacks/issues", get(outcome::list_issues))
        .route(
            "/v1/callbacks/issues/{id}/close",
            post(outcome::close_issue),
        )
}

/// Parses an optional closed-set query value, naming the field when it is not one of the set.
pub fn parse_opt<T: std::str::FromStr<Err = String>>(
    field: &str,
    v: Option<&str>,
) -> Result<Option<T>, ApiError> {
    v.map(|s| s.parse::<T>().map_err(|e| ApiError::field(field, e)))
        .transpose()
}

/// Callbacks with their check lists, filtered and paginated.
#[utoipa::path(get, path = "/v1/callbacks", tag = "callbacks", params(CallbackQuery),
    responses((status = 200, body = CallbackPage), (status = 422, body = crate::error::ErrorBody)))]
pub async fn list_callbacks(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(q): ApiQuery<CallbackQuery>,
) -> Result<Json<CallbackPage>, ApiError> {
    let query = Query {
        status: parse_opt::<CallbackStatus>("status", q.status.as_deref())?,
        kind: parse_opt::<CallbackKind>("kind", q.kind.as_deref())?,
        due_before: q.due_before,
        limit: q.limit,
        after: q.after,
        mine: match q.assignee.as_deref() {
            None => false,
            Some("me") => true,
            Some(_) => return Err(ApiError::field("assignee", "must be \"me\"")),
        },
    };
    let mut pooled = state.db.acquire().await?;
    Ok(Json(
        callbacks::list(&mut pooled.conn(), &state.ctx(), &caller, query).await?,
    ))
}

/// One callback with its outcomes and reviews.
#[utoipa::path(get, path = "/v1/callbacks/{id}", tag = "callbacks", params(("id" = String, Path)),
    responses((status = 200, body = CallbackDetail), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_callback(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<CallbackDetail>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    Ok(Json(
        callbacks::detail(&mut pooled.conn(), &state.ctx(), &caller, &id).await?,
    ))
}

/// Takes a callback: the caller becomes the assignee. 409 if someone else holds it; 403
/// `separation_of_duties` for the investor's own sales owner.
#[utoipa::path(post, path = "/v1/callbacks/{id}/claim", tag = "callbacks", params(("id" = String, Path)),
    responses((status = 200, body = CallbackView), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn claim_callback(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<CallbackView>, ApiError> {
    let mut tx = state.db.begin().await?;
    let view = callbacks::claim(&mut tx.conn(), &state.ctx(), &caller, &id).await?;
    tx.commit().await?;
    Ok(Json(view))
}
