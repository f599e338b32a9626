//! Recording what happened on a callback, escalating to compliance, and supervisor reviews.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json as DbJson;

use super::super::AppState;
use super::super::extract::{ApiJson, Caller};
use super::super::suitability::reevaluate_holding;
use super::{CallbackView, METHODS, load_view};
use crate::callbacks::planner;
use crate::error::{ApiError, FieldProblem};
use crate::store::callbacks::{self, Callback, Review};
use crate::store::escalations::{self, Escalation};
use crate::store::orders::{self, OrderStatus};
use crate::store::{Conn, new_id, now};

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
                // An impossible confirmation voids the order, with a refund (regulation §3).
                if let Some(order) = &order
                    && cb.kind == planner::CONFIRMATION
                    && orders::settle(&mut tx.conn(), &order.id, OrderStatus::Rescinded, t).await?
                {
                    order_status = Some(OrderStatus::Rescinded);
                    callbacks::cancel_open_for_order(&mut tx.conn(), &order.id, t).await?;
                }
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
    // A periodic callback that is answered either way, or given up as unreachable, schedules the next one at the frequency the
    // active rules give this holding now.
    if let Some(order) = &order
        && cb.kind == planner::PERIODIC
        && (result != "not_reached" || escalation.is_some())
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
    super::super::audit::record(
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
        super::super::audit::record(
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
        super::super::audit::record(
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
    super::super::audit::record(
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
