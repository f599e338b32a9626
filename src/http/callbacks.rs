//! Callbacks for planners: the due list with its check lists, claiming, recording outcomes (with
//! escalation to compliance), supervisor reviews, and the plan and report exports.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json as DbJson;

use super::AppState;
use super::extract::{ApiJson, ApiQuery, Caller};
use super::suitability::reevaluate_holding;
use crate::callbacks::{export, planner};
use crate::domain::mask;
use crate::error::{ApiError, FieldProblem};
use crate::store::callbacks::{self, Callback, CheckRef, Filter, Review};
use crate::store::escalations::{self, Escalation};
use crate::store::investors::Investor;
use crate::store::orders::{self, OrderStatus};
use crate::store::products::Product;
use crate::store::{Conn, investors, new_id, now, products};
use crate::vault::Vault;

#[derive(Serialize, utoipa::ToSchema)]
pub struct PartyRef {
    pub id: String,
    pub name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CallbackInvestor {
    pub id: String,
    pub name: String,
    /// Masked, e.g. 138****8000.
    pub phone: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CallbackProduct {
    pub id: String,
    pub code: String,
    pub name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CallbackView {
    pub id: String,
    /// "confirmation", "periodic" or "special".
    pub kind: String,
    /// The special reason ("mismatch", "product_rerated", …), the periodic frequency, or "confirmation".
    pub reason: String,
    /// The holding it is about; null for a complaint follow-up.
    pub order_id: Option<String>,
    /// The complaint a `complaint_followup` callback follows up.
    pub complaint_id: Option<String>,
    pub investor: CallbackInvestor,
    pub product: Option<CallbackProduct>,
    pub due_from: DateTime<Utc>,
    pub due_by: DateTime<Utc>,
    pub checks: Vec<CheckRef>,
    /// "open", "completed", "failed", "escalated" or "cancelled".
    pub status: String,
    pub assignee: Option<PartyRef>,
    pub attempts: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CallbackPage {
    pub items: Vec<CallbackView>,
    pub next_after: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CallbackDetail {
    #[serde(flatten)]
    pub callback: CallbackView,
    pub outcomes: Vec<callbacks::Outcome>,
    pub reviews: Vec<Review>,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct CallbackQuery {
    /// open, completed, failed, escalated, cancelled
    pub status: Option<String>,
    /// confirmation, periodic, special
    pub kind: Option<String>,
    /// Only callbacks whose window opens at or before this time.
    pub due_before: Option<DateTime<Utc>>,
    pub limit: Option<i64>,
    pub after: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeRequest {
    /// phone, email, letter, visit, video
    pub method: String,
    pub reached: bool,
    /// Check code → confirmed; every check of the callback must be answered when reached.
    #[serde(default)]
    pub answers: BTreeMap<String, bool>,
    #[serde(default)]
    pub notes: String,
    /// Where the call recording, e-mail or letter is kept.
    pub recording_ref: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OutcomeResponse {
    pub callback: CallbackView,
    pub outcome: callbacks::Outcome,
    /// The order's status after this outcome; null for a complaint follow-up.
    pub order_status: Option<OrderStatus>,
    pub escalation: Option<Escalation>,
    /// The next periodic callback, when this one was periodic.
    pub next: Option<CallbackView>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    pub comment: String,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct PeriodQuery {
    /// Start (inclusive); default 30 days ago for reports, now for the plan.
    pub from: Option<DateTime<Utc>>,
    /// End (exclusive); default now for reports, 30 days ahead for the plan.
    pub to: Option<DateTime<Utc>>,
    /// Plan only: csv (default) or xlsx.
    pub format: Option<String>,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/callbacks", get(list_callbacks))
        .route("/v1/callbacks/plan", get(export_plan))
        .route("/v1/callbacks/report", get(callback_report))
        .route("/v1/callbacks/{id}", get(get_callback))
        .route("/v1/callbacks/{id}/claim", post(claim_callback))
        .route("/v1/callbacks/{id}/outcome", post(record_outcome))
        .route("/v1/callbacks/{id}/reviews", post(review_callback))
}

pub fn callback_view(
    cb: Callback,
    investor: &Investor,
    product: Option<&Product>,
    assignee: Option<String>,
) -> CallbackView {
    let product = product.map(|p| (p.code.clone(), p.name.clone()));
    view(
        cb,
        investor.name.clone(),
        investor.phone.as_deref(),
        product,
        assignee,
    )
}

fn view(
    cb: Callback,
    investor_name: String,
    phone: Option<&str>,
    product: Option<(String, String)>,
    assignee_name: Option<String>,
) -> CallbackView {
    CallbackView {
        investor: CallbackInvestor {
            id: cb.investor_id,
            name: investor_name,
            phone: phone.map(mask::phone),
        },
        product: match (cb.product_id, product) {
            (Some(id), Some((code, name))) => Some(CallbackProduct { id, code, name }),
            _ => None,
        },
        assignee: cb.assignee_id.map(|id| PartyRef {
            id,
            name: assignee_name.unwrap_or_default(),
        }),
        id: cb.id,
        kind: cb.kind,
        reason: cb.reason,
        order_id: cb.order_id,
        complaint_id: cb.complaint_id,
        due_from: cb.due_from,
        due_by: cb.due_by,
        checks: cb.checks,
        status: cb.status,
        attempts: cb.attempts,
    }
}

fn listed_view(vault: &Vault, mut l: callbacks::Listed) -> CallbackView {
    l.investor_phone = l.investor_phone.and_then(|p| {
        if Vault::is_sealed(&p) {
            vault.open(&p).ok()
        } else {
            Some(p)
        }
    });
    let product = l.product_code.zip(l.product_name);
    view(
        l.callback,
        l.investor_name,
        l.investor_phone.as_deref(),
        product,
        l.assignee_name,
    )
}

async fn load_view(
    c: &mut Conn<'_>,
    vault: &Vault,
    cb: Callback,
) -> Result<CallbackView, ApiError> {
    let investor = investors::get(c, vault, &cb.investor_id)
        .await?
        .ok_or(ApiError::NotFound { what: "investor" })?;
    let product = match &cb.product_id {
        Some(id) => Some(
            products::get(c, id)
                .await?
                .ok_or(ApiError::NotFound { what: "product" })?,
        ),
        None => None,
    };
    let assignee = match &cb.assignee_id {
        Some(id) => crate::store::staff::name_of(c, id).await?,
        None => None,
    };
    Ok(callback_view(cb, &investor, product.as_ref(), assignee))
}

fn one_of(field: &str, v: &Option<String>, allowed: &[&str]) -> Result<(), ApiError> {
    match v {
        Some(x) if !allowed.contains(&x.as_str()) => Err(ApiError::field(
            field,
            format!("must be one of: {}", allowed.join(", ")),
        )),
        _ => Ok(()),
    }
}

const STATUSES: &[&str] = &["open", "completed", "failed", "escalated", "cancelled"];
const KINDS: &[&str] = &[planner::CONFIRMATION, planner::PERIODIC, planner::SPECIAL];
const METHODS: &[&str] = &["phone", "email", "letter", "visit", "video"];

/// Callbacks with their check lists, filtered and paginated.
#[utoipa::path(get, path = "/v1/callbacks", tag = "callbacks", params(CallbackQuery),
    responses((status = 200, body = CallbackPage), (status = 422, body = crate::error::ErrorBody)))]
pub async fn list_callbacks(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<CallbackQuery>,
) -> Result<Json<CallbackPage>, ApiError> {
    one_of("status", &q.status, STATUSES)?;
    one_of("kind", &q.kind, KINDS)?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::field("limit", "must be between 1 and 500"));
    }
    let filter = Filter {
        status: q.status,
        kind: q.kind,
        due_before: q.due_before,
        due_from_after: None,
        after_id: q.after,
        limit: limit + 1,
    };
    let mut pooled = state.db.acquire().await?;
    let found = callbacks::list(&mut pooled.conn(), &filter).await?;
    let more = found.len() as i64 > limit;
    let items: Vec<CallbackView> = found
        .into_iter()
        .take(limit as usize)
        .map(|l| listed_view(&state.vault, l))
        .collect();
    let next_after = if more {
        items.last().map(|i| i.id.clone())
    } else {
        None
    };
    Ok(Json(CallbackPage { items, next_after }))
}

/// One callback with its outcomes and reviews.
#[utoipa::path(get, path = "/v1/callbacks/{id}", tag = "callbacks", params(("id" = String, Path)),
    responses((status = 200, body = CallbackDetail), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_callback(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<CallbackDetail>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    let mut c = pooled.conn();
    let cb = callbacks::get(&mut c, &id)
        .await?
        .ok_or(ApiError::NotFound { what: "callback" })?;
    let outcomes = callbacks::outcomes(&mut c, &id).await?;
    let reviews = callbacks::reviews(&mut c, &id).await?;
    Ok(Json(CallbackDetail {
        callback: load_view(&mut c, &state.vault, cb).await?,
        outcomes,
        reviews,
    }))
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
    let cb = callbacks::get(&mut tx.conn(), &id)
        .await?
        .ok_or(ApiError::NotFound { what: "callback" })?;
    let investor = investors::get(&mut tx.conn(), &state.vault, &cb.investor_id)
        .await?
        .ok_or(ApiError::NotFound { what: "investor" })?;
    if investor.sales_owner_id == caller.id {
        return Err(ApiError::Forbidden {
            code: "separation_of_duties",
            message: "callbacks are made by staff outside sales: you sold to this investor".into(),
        });
    }
    if !callbacks::claim(&mut tx.conn(), &id, &caller.id).await? {
        let now_cb = callbacks::get(&mut tx.conn(), &id)
            .await?
            .ok_or(ApiError::NotFound { what: "callback" })?;
        return Err(if now_cb.status != "open" {
            ApiError::Conflict {
                code: "callback_closed",
                message: format!("the callback is {}", now_cb.status),
            }
        } else {
            ApiError::Conflict {
                code: "already_claimed",
                message: "another planner holds this callback".into(),
            }
        });
    }
    let cb = callbacks::get(&mut tx.conn(), &id)
        .await?
        .ok_or(ApiError::NotFound { what: "callback" })?;
    let v = load_view(&mut tx.conn(), &state.vault, cb).await?;
    super::audit::record(
        &mut tx.conn(),
        &caller,
        "callback.claim",
        "callback",
        &id,
        &serde_json::json!({"assignee": caller.id}),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(v))
}

fn conflict(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::Conflict {
        code,
        message: message.into(),
    }
}

/// Records what happened on a callback. All checks confirmed: completed (a confirmation confirms
/// the order). Any check denied: failed (a confirmation rescinds the order) and an escalation
/// opens for compliance. Not reached: an attempt is counted; the last allowed attempt escalates.
#[utoipa::path(post, path = "/v1/callbacks/{id}/outcome", tag = "callbacks", params(("id" = String, Path)),
    request_body = OutcomeRequest,
    responses((status = 200, body = OutcomeResponse), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn record_outcome(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<OutcomeRequest>,
) -> Result<Json<OutcomeResponse>, ApiError> {
    let t = now();
    let mut tx = state.db.begin().await?;
    let cb = callbacks::get(&mut tx.conn(), &id)
        .await?
        .ok_or(ApiError::NotFound { what: "callback" })?;
    if cb.status != "open" {
        return Err(conflict(
            "callback_closed",
            format!("the callback is {}", cb.status),
        ));
    }
    match &cb.assignee_id {
        None => {
            return Err(conflict(
                "not_claimed",
                "claim the callback before recording its outcome",
            ));
        }
        Some(a) if *a != caller.id => {
            return Err(ApiError::Forbidden {
                code: "not_assignee",
                message: "another planner holds this callback".into(),
            });
        }
        Some(_) => {}
    }
    if t < cb.due_from {
        return Err(if cb.kind == planner::PERIODIC {
            conflict(
                "not_due",
                format!("this callback is due from {}", cb.due_from.to_rfc3339()),
            )
        } else {
            conflict(
                "cooling_off_not_over",
                format!(
                    "cooling-off ends at {}; no contact before",
                    cb.due_from.to_rfc3339()
                ),
            )
        });
    }
    let mut problems = Vec::new();
    if !METHODS.contains(&req.method.as_str()) {
        problems.push(FieldProblem::new(
            "method",
            format!("must be one of: {}", METHODS.join(", ")),
        ));
    }
    if req.notes.chars().count() > 4000 {
        problems.push(FieldProblem::new(
            "notes",
            "must be at most 4000 characters",
        ));
    }
    if req.reached {
        for check in &cb.checks {
            if !req.answers.contains_key(&check.code) {
                problems.push(FieldProblem::new(
                    format!("answers.{}", check.code),
                    "unanswered",
                ));
            }
        }
    }
    for code in req.answers.keys() {
        if !cb.checks.iter().any(|c| &c.code == code) {
            problems.push(FieldProblem::new(
                format!("answers.{code}"),
                "not a check of this callback",
            ));
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::validation(problems));
    }
    // A complaint follow-up belongs to no order.
    let order = match &cb.order_id {
        Some(order_id) => Some(
            orders::get(&mut tx.conn(), order_id)
                .await?
                .ok_or(ApiError::NotFound { what: "order" })?,
        ),
        None => None,
    };
    let policy = &state.config.policy.callbacks;
    let failed: Vec<String> = req
        .answers
        .iter()
        .filter(|(_, ok)| !**ok)
        .map(|(c, _)| c.clone())
        .collect();
    let result = match (req.reached, failed.is_empty()) {
        (false, _) => "not_reached",
        (true, true) => "completed",
        (true, false) => "failed",
    };
    let mut escalation = None;
    let mut order_status = order.as_ref().map(|o| o.status);
    let mut next = None;
    let lost = || {
        conflict(
            "callback_closed",
            "the callback changed meanwhile; reload it",
        )
    };
    match result {
        "not_reached" => {
            let attempts = callbacks::count_attempt(&mut tx.conn(), &id, &caller.id)
                .await?
                .ok_or_else(lost)?;
            if attempts >= policy.max_attempts {
                if !callbacks::close(&mut tx.conn(), &id, "escalated", t).await? {
                    return Err(lost());
                }
                escalation =
                    Some(escalate(&mut tx.conn(), &cb, "unreachable", Vec::new(), t).await?);
            }
        }
        "completed" => {
            if !callbacks::close(&mut tx.conn(), &id, "completed", t).await? {
                return Err(lost());
            }
            if let Some(order) = &order
                && cb.kind == planner::CONFIRMATION
                && orders::settle(&mut tx.conn(), &order.id, OrderStatus::Confirmed, t).await?
            {
                order_status = Some(OrderStatus::Confirmed);
            }
        }
        _ => {
            if !callbacks::close(&mut tx.conn(), &id, "failed", t).await? {
                return Err(lost());
            }
            if let Some(order) = &order
                && cb.kind == planner::CONFIRMATION
                && orders::settle(&mut tx.conn(), &order.id, OrderStatus::Rescinded, t).await?
            {
                order_status = Some(OrderStatus::Rescinded);
                callbacks::cancel_open_for_order(&mut tx.conn(), &order.id, t).await?;
            }
            escalation =
                Some(escalate(&mut tx.conn(), &cb, "failed_checks", failed.clone(), t).await?);
        }
    }
    // A periodic callback, answered either way, schedules the next one at the frequency the
    // active rules give this holding now.
    if let Some(order) = &order
        && cb.kind == planner::PERIODIC
        && result != "not_reached"
        && order_status != Some(OrderStatus::Rescinded)
    {
        let decision =
            reevaluate_holding(&state, &mut tx.conn(), order, "periodic", Some(&caller.id)).await?;
        if let Some(f) = decision.outcome.periodic {
            let rules = state.rules.get();
            let n = planner::periodic(
                order,
                f,
                t,
                rules.catalogue(),
                Some(&decision.id),
                policy,
                t,
            );
            callbacks::insert(&mut tx.conn(), &n).await?;
            next = Some(n);
        }
    }
    let outcome = callbacks::Outcome {
        id: new_id(),
        callback_id: id.clone(),
        method: req.method,
        reached: req.reached,
        answers: DbJson(req.answers),
        notes: req.notes,
        recording_ref: req.recording_ref,
        result: result.to_string(),
        recorded_by: caller.id.clone(),
        recorded_at: t,
    };
    callbacks::insert_outcome(&mut tx.conn(), &outcome).await?;
    let cb = callbacks::get(&mut tx.conn(), &id)
        .await?
        .ok_or(ApiError::NotFound { what: "callback" })?;
    let callback = load_view(&mut tx.conn(), &state.vault, cb).await?;
    let next = match next {
        Some(n) => Some(load_view(&mut tx.conn(), &state.vault, n).await?),
        None => None,
    };
    super::audit::record(
        &mut tx.conn(),
        &caller,
        "callback.outcome",
        "callback",
        &id,
        &outcome,
    )
    .await?;
    if let (Some(order), Some(status)) = (&order, order_status)
        && status != order.status
    {
        super::audit::record(
            &mut tx.conn(),
            &caller,
            &format!("order.{}", status.as_str()),
            "order",
            &order.id,
            &serde_json::json!({"callback": id}),
        )
        .await?;
    }
    if let Some(e) = &escalation {
        super::audit::record(
            &mut tx.conn(),
            &caller,
            "escalation.open",
            "escalation",
            &e.id,
            e,
        )
        .await?;
    }
    tx.commit().await?;
    tracing::info!(callback = %id, result, "callback outcome recorded");
    Ok(Json(OutcomeResponse {
        callback,
        outcome,
        order_status,
        escalation,
        next,
    }))
}

async fn escalate(
    c: &mut Conn<'_>,
    cb: &Callback,
    reason: &str,
    failed_checks: Vec<String>,
    t: DateTime<Utc>,
) -> Result<Escalation, ApiError> {
    let e = Escalation {
        id: new_id(),
        callback_id: cb.id.clone(),
        order_id: cb.order_id.clone(),
        investor_id: cb.investor_id.clone(),
        reason: reason.to_string(),
        failed_checks: DbJson(failed_checks),
        opened_at: t,
        resolved_by: None,
        resolution_note: None,
        resolved_at: None,
    };
    escalations::open(c, &e).await?;
    tracing::warn!(callback = %cb.id, reason, "escalated to compliance");
    Ok(e)
}

/// A supervisor's review (主管审阅) of a callback: a comment beside its outcomes, which stay as
/// they were recorded.
#[utoipa::path(post, path = "/v1/callbacks/{id}/reviews", tag = "callbacks", params(("id" = String, Path)),
    request_body = ReviewRequest,
    responses((status = 201, body = Review), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn review_callback(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ReviewRequest>,
) -> Result<(StatusCode, Json<Review>), ApiError> {
    let comment = req.comment.trim();
    if comment.is_empty() || comment.chars().count() > 4000 {
        return Err(ApiError::field("comment", "must be 1 to 4000 characters"));
    }
    let mut tx = state.db.begin().await?;
    callbacks::get(&mut tx.conn(), &id)
        .await?
        .ok_or(ApiError::NotFound { what: "callback" })?;
    let review = Review {
        id: new_id(),
        callback_id: id,
        reviewer_id: caller.id.clone(),
        comment: comment.to_string(),
        created_at: now(),
    };
    callbacks::insert_review(&mut tx.conn(), &review).await?;
    super::audit::record(
        &mut tx.conn(),
        &caller,
        "callback.review",
        "callback",
        &review.callback_id,
        &review,
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(review)))
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
        status: Some("open".into()),
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
