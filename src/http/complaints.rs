//! Complaints (投诉, seed 001): recorded from any channel, assigned, resolved with a note; a
//! resolution plans a `complaint_followup` callback within 7 working days; the rules see
//! `investor.open_complaints` and `investor.complaints_90d`. The archive groups them by category.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::extract::{ApiJson, ApiQuery, Caller};
use crate::callbacks::planner;
use crate::error::{ApiError, FieldProblem};
use crate::store::callbacks::{self, Callback};
use crate::store::complaints::{self, Complaint};
use crate::store::{investors, new_id, now, orders, staff};

pub const CHANNELS: &[&str] = &[
    "phone",
    "email",
    "letter",
    "visit",
    "online",
    "regulator",
    "other",
];
pub const CATEGORIES: &[&str] = &[
    "mis_selling",
    "suitability",
    "service",
    "fees",
    "disclosure",
    "redemption",
    "callback",
    "other",
];
/// The follow-up is due within this many working days of the resolution (seed 001).
pub const FOLLOWUP_WORKING_DAYS: u32 = 7;
pub const FOLLOWUP: &str = "complaint_followup";

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateComplaintRequest {
    pub investor_id: String,
    /// The order it is about, if any.
    pub order_id: Option<String>,
    /// phone, email, letter, visit, online, regulator, other
    pub channel: String,
    /// mis_selling, suitability, service, fees, disclosure, redemption, callback, other
    pub category: String,
    pub content: String,
    pub received_at: DateTime<Utc>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    pub assignee_id: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveComplaintRequest {
    pub resolution: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ResolvedComplaint {
    #[serde(flatten)]
    pub complaint: Complaint,
    /// The follow-up callback planned by the resolution.
    pub followup_callback_id: String,
    pub followup_due_by: DateTime<Utc>,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ArchiveQuery {
    /// Start (inclusive); default 1 year ago.
    pub from: Option<DateTime<Utc>>,
    /// End (exclusive); default now.
    pub to: Option<DateTime<Utc>>,
    pub category: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ComplaintArchive {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub total: usize,
    pub by_category: BTreeMap<String, usize>,
    pub open: usize,
    pub items: Vec<Complaint>,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/complaints", post(create_complaint))
        .route("/v1/complaints/archive", get(complaint_archive))
        .route("/v1/complaints/{id}", get(get_complaint))
        .route("/v1/complaints/{id}/assign", post(assign_complaint))
        .route("/v1/complaints/{id}/resolve", post(resolve_complaint))
}

/// `days` working days (Monday to Friday) after `t`.
pub fn add_working_days(t: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    let mut out = t;
    let mut left = days;
    while left > 0 {
        out += Duration::days(1);
        let local = out.with_timezone(&crate::config::business_offset());
        if !matches!(local.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    out
}

fn one_of(field: &str, v: &str, allowed: &[&str], problems: &mut Vec<FieldProblem>) {
    if !allowed.contains(&v) {
        problems.push(FieldProblem::new(
            field,
            format!("must be one of: {}", allowed.join(", ")),
        ));
    }
}

/// Records a complaint received from an investor.
#[utoipa::path(post, path = "/v1/complaints", tag = "complaints", request_body = CreateComplaintRequest,
    responses((status = 201, body = Complaint), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_complaint(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(req): ApiJson<CreateComplaintRequest>,
) -> Result<(StatusCode, Json<Complaint>), ApiError> {
    let t = now();
    let mut problems = Vec::new();
    one_of("channel", &req.channel, CHANNELS, &mut problems);
    one_of("category", &req.category, CATEGORIES, &mut problems);
    let content = req.content.trim();
    if content.is_empty() || content.chars().count() > 8000 {
        problems.push(FieldProblem::new("content", "must be 1 to 8000 characters"));
    }
    if req.received_at > t + Duration::seconds(60) {
        problems.push(FieldProblem::new(
            "received_at",
            "must not be in the future",
        ));
    }
    if !problems.is_empty() {
        return Err(ApiError::validation(problems));
    }
    let mut tx = state.db.begin().await?;
    investors::get(&mut tx.conn(), &state.vault, &req.investor_id)
        .await?
        .ok_or(ApiError::NotFound { what: "investor" })?;
    if let Some(order_id) = &req.order_id {
        let order = orders::get(&mut tx.conn(), order_id).await?;
        if order.is_none_or(|o| o.investor_id != req.investor_id) {
            return Err(ApiError::field(
                "order_id",
                "is not an order of this investor",
            ));
        }
    }
    let complaint = Complaint {
        id: new_id(),
        investor_id: req.investor_id,
        order_id: req.order_id,
        channel: req.channel,
        category: req.category,
        content: content.to_string(),
        received_at: crate::store::truncate_micros(req.received_at),
        status: "open".into(),
        assignee_id: None,
        created_by: caller.id.clone(),
        created_at: t,
        resolution: None,
        resolved_by: None,
        resolved_at: None,
    };
    complaints::insert(&mut tx.conn(), &complaint).await?;
    super::audit::record(
        &mut tx.conn(),
        &caller,
        "complaint.create",
        "complaint",
        &complaint.id,
        &complaint,
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(complaint)))
}

#[utoipa::path(get, path = "/v1/complaints/{id}", tag = "complaints", params(("id" = String, Path)),
    responses((status = 200, body = Complaint), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_complaint(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Complaint>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    Ok(Json(
        complaints::get(&mut pooled.conn(), &id)
            .await?
            .ok_or(ApiError::NotFound { what: "complaint" })?,
    ))
}

/// Gives an open complaint to a staff member to handle.
#[utoipa::path(post, path = "/v1/complaints/{id}/assign", tag = "complaints", params(("id" = String, Path)),
    request_body = AssignRequest,
    responses((status = 200, body = Complaint), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn assign_complaint(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<AssignRequest>,
) -> Result<Json<Complaint>, ApiError> {
    let mut tx = state.db.begin().await?;
    complaints::get(&mut tx.conn(), &id)
        .await?
        .ok_or(ApiError::NotFound { what: "complaint" })?;
    if staff::name_of(&mut tx.conn(), &req.assignee_id)
        .await?
        .is_none()
    {
        return Err(ApiError::field("assignee_id", "is not a staff member"));
    }
    if !complaints::assign(&mut tx.conn(), &id, &req.assignee_id).await? {
        return Err(ApiError::Conflict {
            code: "complaint_resolved",
            message: "the complaint is resolved".into(),
        });
    }
    super::audit::record(
        &mut tx.conn(),
        &caller,
        "complaint.assign",
        "complaint",
        &id,
        &serde_json::json!({"assignee": req.assignee_id}),
    )
    .await?;
    let c = complaints::get(&mut tx.conn(), &id)
        .await?
        .ok_or(ApiError::NotFound { what: "complaint" })?;
    tx.commit().await?;
    Ok(Json(c))
}

/// Resolves a complaint with a note and plans its follow-up callback (`complaint_followup`) within
/// 7 working days.
#[utoipa::path(post, path = "/v1/complaints/{id}/resolve", tag = "complaints", params(("id" = String, Path)),
    request_body = ResolveComplaintRequest,
    responses((status = 200, body = ResolvedComplaint), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn resolve_complaint(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ResolveComplaintRequest>,
) -> Result<Json<ResolvedComplaint>, ApiError> {
    let resolution = req.resolution.trim();
    if resolution.is_empty() || resolution.chars().count() > 8000 {
        return Err(ApiError::field(
            "resolution",
            "must be 1 to 8000 characters",
        ));
    }
    let t = now();
    let mut tx = state.db.begin().await?;
    let complaint = complaints::get(&mut tx.conn(), &id)
        .await?
        .ok_or(ApiError::NotFound { what: "complaint" })?;
    if !complaints::resolve(&mut tx.conn(), &id, resolution, &caller.id, t).await? {
        return Err(ApiError::Conflict {
            code: "complaint_resolved",
            message: "the complaint is already resolved".into(),
        });
    }
    let order = match &complaint.order_id {
        Some(order_id) => orders::get(&mut tx.conn(), order_id).await?,
        None => None,
    };
    // No contact during an order's cooling-off, even to follow up a complaint about it.
    let due_from = order.as_ref().map_or(t, |o| t.max(o.cooling_off_ends_at));
    let product_id = order.map(|o| o.product_id);
    let rules = state.rules.get();
    let due_by = add_working_days(due_from, FOLLOWUP_WORKING_DAYS);
    let cb = Callback {
        id: new_id(),
        order_id: complaint.order_id.clone(),
        investor_id: complaint.investor_id.clone(),
        product_id,
        kind: planner::SPECIAL.into(),
        reason: FOLLOWUP.into(),
        due_from,
        due_by,
        checks: planner::group_checks(rules.catalogue(), FOLLOWUP),
        status: "open".into(),
        assignee_id: None,
        attempts: 0,
        decision_id: None,
        created_at: t,
        closed_at: None,
        complaint_id: Some(id.clone()),
    };
    callbacks::insert(&mut tx.conn(), &cb).await?;
    super::audit::record(
        &mut tx.conn(),
        &caller,
        "complaint.resolve",
        "complaint",
        &id,
        &serde_json::json!({"resolution": resolution}),
    )
    .await?;
    super::audit::record(
        &mut tx.conn(),
        &caller,
        "callback.plan",
        "callback",
        &cb.id,
        &serde_json::json!({"complaint_id": id, "reason": FOLLOWUP}),
    )
    .await?;
    let complaint = complaints::get(&mut tx.conn(), &id)
        .await?
        .ok_or(ApiError::NotFound { what: "complaint" })?;
    tx.commit().await?;
    Ok(Json(ResolvedComplaint {
        complaint,
        followup_callback_id: cb.id,
        followup_due_by: due_by,
    }))
}

/// The complaint archive (投诉档案) of a period: counts by category and every complaint.
#[utoipa::path(get, path = "/v1/complaints/archive", tag = "complaints", params(ArchiveQuery),
    responses((status = 200, body = ComplaintArchive), (status = 422, body = crate::error::ErrorBody)))]
pub async fn complaint_archive(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ArchiveQuery>,
) -> Result<Json<ComplaintArchive>, ApiError> {
    let to = q.to.unwrap_or_else(now);
    let from = q.from.unwrap_or_else(|| to - Duration::days(365));
    if from >= to {
        return Err(ApiError::field("from", "must be before `to`"));
    }
    if let Some(c) = &q.category
        && !CATEGORIES.contains(&c.as_str())
    {
        return Err(ApiError::field(
            "category",
            format!("must be one of: {}", CATEGORIES.join(", ")),
        ));
    }
    let mut pooled = state.db.acquire().await?;
    let items =
        complaints::received_between(&mut pooled.conn(), from, to, q.category.as_deref()).await?;
    let mut by_category = BTreeMap::new();
    for c in &items {
        *by_category.entry(c.category.clone()).or_insert(0) += 1;
    }
    let open = items.iter().filter(|c| c.status == "open").count();
    Ok(Json(ComplaintArchive {
        from,
        to,
        total: items.len(),
        by_category,
        open,
        items,
    }))
}
