//! Callbacks for planners: the due list with its check lists, one callback, and claiming.
//! Recording outcomes (with escalation to compliance) and reviews are in `outcome`; the plan and
//! report exports in `exports`.

pub mod exports;
pub mod outcome;

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::extract::{ApiQuery, Caller};
use crate::callbacks::planner;
use crate::domain::mask;
use crate::error::ApiError;
use crate::store::callbacks::{self, Callback, CheckRef, Filter, Review};
use crate::store::investors::Investor;
use crate::store::products::Product;
use crate::store::{Conn, investors, products};
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

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/callbacks", get(list_callbacks))
        .route("/v1/callbacks/plan", get(exports::export_plan))
        .route("/v1/callbacks/report", get(exports::callback_report))
        .route("/v1/callbacks/{id}", get(get_callback))
        .route("/v1/callbacks/{id}/claim", post(claim_callback))
        .route("/v1/callbacks/{id}/outcome", post(outcome::record_outcome))
        .route("/v1/callbacks/{id}/reviews", post(outcome::review_callback))
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
            vault
                .open(
                    &p,
                    &crate::store::investors::context("phone", &l.callback.investor_id),
                )
                .ok()
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
    let sold_it = match &cb.order_id {
        Some(order_id) => crate::store::orders::get(&mut tx.conn(), order_id)
            .await?
            .is_some_and(|o| o.created_by == caller.id),
        None => false,
    };
    if investor.sales_owner_id == caller.id || sold_it {
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
