//! Orders: the decision, the requirements it asks for, and in one transaction the order, the
//! stored decision and the callbacks it creates. `Idempotency-Key` makes a retry safe.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::AppState;
use super::callbacks::{CallbackView, callback_view};
use super::extract::{Caller, parse_json};
use super::suitability::{decide_sale, parse_amount};
use crate::callbacks::planner;
use crate::decide::DecisionView;
use crate::domain::money::RawAmount;
use crate::error::{ApiError, FieldProblem};
use crate::store::decisions::{self, StoredDecision};
use crate::store::orders::{self, Order, OrderStatus};
use crate::store::staff::hex;
use crate::store::{callbacks, idempotency, investors, new_id, now, truncate_micros};

/// How far in the future a signing or payment time may lie (clock skew between systems).
const FUTURE_TOLERANCE: i64 = 60;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrderRequest {
    pub investor_id: String,
    pub product_id: String,
    pub amount: RawAmount,
    /// When the contract was signed.
    pub signed_at: DateTime<Utc>,
    /// When the subscription was paid.
    pub paid_at: DateTime<Utc>,
    /// The requirements met before the sale (e.g. "mismatch_warning_signed", "dual_recording").
    #[serde(default)]
    pub acknowledgments: Vec<String>,
    /// Where the dual recording (双录) or signed documents are kept.
    pub recording_ref: Option<String>,
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderResponse {
    pub id: String,
    pub investor_id: String,
    pub product_id: String,
    pub amount: String,
    pub status: OrderStatus,
    pub signed_at: DateTime<Utc>,
    pub paid_at: DateTime<Utc>,
    pub cooling_off_ends_at: DateTime<Utc>,
    pub acknowledgments: Vec<String>,
    pub recording_ref: Option<String>,
    pub decision_id: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub status_changed_at: DateTime<Utc>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedOrder {
    #[serde(flatten)]
    pub order: OrderResponse,
    pub decision: DecisionView,
    pub callbacks: Vec<CallbackView>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OrderDetail {
    #[serde(flatten)]
    pub order: OrderResponse,
    pub callbacks: Vec<CallbackView>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OrderList {
    pub items: Vec<OrderResponse>,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/orders", post(create_order))
        .route("/v1/orders/{id}", get(get_order))
        .route("/v1/investors/{id}/orders", get(list_investor_orders))
}

pub fn order_response(o: Order) -> OrderResponse {
    OrderResponse {
        amount: o.amount.to_string(),
        id: o.id,
        investor_id: o.investor_id,
        product_id: o.product_id,
        status: o.status,
        signed_at: o.signed_at,
        paid_at: o.paid_at,
        cooling_off_ends_at: o.cooling_off_ends_at,
        acknowledgments: o.acknowledgments,
        recording_ref: o.recording_ref,
        decision_id: o.decision_id,
        created_by: o.created_by,
        created_at: o.created_at,
        status_changed_at: o.status_changed_at,
    }
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(v) => {
            let key = v.to_str().map(str::trim).unwrap_or("");
            if key.is_empty() || key.len() > 200 {
                return Err(ApiError::field(
                    "Idempotency-Key",
                    "must be 1 to 200 visible characters",
                ));
            }
            Ok(Some(key.to_string()))
        }
    }
}

fn replay(stored: idempotency::Stored, hash: &str) -> Result<Response, ApiError> {
    if stored.request_hash != hash {
        return Err(ApiError::Unprocessable {
            code: "idempotency_key_reused",
            message: "this Idempotency-Key was used for a different request".into(),
            details: vec![FieldProblem::new(
                "Idempotency-Key",
                "used before with another body",
            )],
            extra: None,
        });
    }
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::CREATED);
    Ok((status, Json(stored.response)).into_response())
}

/// Places an order: 422 `suitability_rejected` or `requirements_missing` (with the decision), or
/// 201 with the order (cooling off), its decision and the callbacks it created.
#[utoipa::path(post, path = "/v1/orders", tag = "orders", request_body = CreateOrderRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key returns the first result")),
    responses((status = 201, body = CreatedOrder), (status = 404, body = crate::error::ErrorBody),
        (status = 422, description = "invalid, suitability_rejected or requirements_missing (with `decision`)", body = crate::error::ErrorBody)))]
pub async fn create_order(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let hash = hex(&Sha256::digest(&body));
    if let Some(key) = &key {
        let mut pooled = state.db.acquire().await?;
        if let Some(stored) = idempotency::get(&mut pooled.conn(), &caller.id, key).await? {
            return replay(stored, &hash);
        }
    }
    let req: CreateOrderRequest = parse_json(&body)?;
    let amount = parse_amount(&req.amount)?;
    let t = now();
    let mut problems = Vec::new();
    for (field, at) in [("signed_at", req.signed_at), ("paid_at", req.paid_at)] {
        if at > t + Duration::seconds(FUTURE_TOLERANCE) {
            problems.push(FieldProblem::new(field, "must not be in the future"));
        }
    }
    let mut acks: Vec<String> = Vec::new();
    for (i, a) in req.acknowledgments.iter().enumerate() {
        let ok = !a.is_empty()
            && a.len() <= 64
            && a.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            problems.push(FieldProblem::new(
                format!("acknowledgments[{i}]"),
                "must be a requirement code",
            ));
        } else if !acks.contains(a) {
            acks.push(a.clone());
        }
    }
    if req
        .recording_ref
        .as_ref()
        .is_some_and(|r| r.trim().is_empty() || r.len() > 500)
    {
        problems.push(FieldProblem::new(
            "recording_ref",
            "must be 1 to 500 characters",
        ));
    }
    if !problems.is_empty() {
        return Err(ApiError::validation(problems));
    }

    let mut tx = state.db.begin().await?;
    let view = decide_sale(
        &state,
        &mut tx.conn(),
        &req.investor_id,
        &req.product_id,
        amount,
    )
    .await?;
    let decision_json =
        serde_json::to_value(&view).map_err(|e| ApiError::Internal(e.to_string()))?;
    if view.outcome.verdict == crate::rules::Verdict::Reject {
        let codes: Vec<&str> = view
            .outcome
            .reasons
            .iter()
            .map(|r| r.code.as_str())
            .collect();
        return Err(ApiError::Unprocessable {
            code: "suitability_rejected",
            message: format!("the rules reject this sale: {}", codes.join(", ")),
            details: Vec::new(),
            extra: Some(serde_json::json!({ "decision": decision_json })),
        });
    }
    let missing: Vec<&str> = view
        .outcome
        .requirements
        .iter()
        .map(|r| r.as_str())
        .filter(|r| !acks.iter().any(|a| a == r))
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::Unprocessable {
            code: "requirements_missing",
            message: format!("requirements not acknowledged: {}", missing.join(", ")),
            details: missing
                .iter()
                .map(|m| FieldProblem::new("acknowledgments", format!("missing '{m}'")))
                .collect(),
            extra: Some(serde_json::json!({ "decision": decision_json, "missing": missing })),
        });
    }

    let decision = StoredDecision {
        id: new_id(),
        investor_id: req.investor_id.clone(),
        product_id: req.product_id.clone(),
        purpose: "order".into(),
        ruleset_version: view.outcome.ruleset_version,
        facts: view.facts.clone(),
        outcome: view.outcome.clone(),
        created_by: Some(caller.id.clone()),
        created_at: t,
    };
    decisions::insert(&mut tx.conn(), &decision).await?;
    let signed_at = truncate_micros(req.signed_at);
    let paid_at = truncate_micros(req.paid_at);
    let policy = &state.config.policy.callbacks;
    let order = Order {
        id: new_id(),
        investor_id: req.investor_id.clone(),
        product_id: req.product_id.clone(),
        amount,
        status: OrderStatus::CoolingOff,
        signed_at,
        paid_at,
        cooling_off_ends_at: signed_at.max(paid_at)
            + Duration::hours(i64::from(policy.cooling_off_hours)),
        acknowledgments: acks,
        recording_ref: req.recording_ref.clone(),
        decision_id: decision.id.clone(),
        created_by: caller.id.clone(),
        created_at: t,
        status_changed_at: t,
    };
    orders::insert(&mut tx.conn(), &order).await?;
    let rules = state.rules.get();
    let planned = planner::for_new_order(
        &order,
        &view.outcome,
        rules.catalogue(),
        &decision.id,
        policy,
        t,
    );
    for cb in &planned {
        callbacks::insert(&mut tx.conn(), cb).await?;
    }
    let investor = investors::get(&mut tx.conn(), &state.vault, &order.investor_id)
        .await?
        .ok_or(ApiError::NotFound { what: "investor" })?;
    let product = crate::store::products::get(&mut tx.conn(), &order.product_id)
        .await?
        .ok_or(ApiError::NotFound { what: "product" })?;
    let created = CreatedOrder {
        order: order_response(order),
        decision: view,
        callbacks: planned
            .into_iter()
            .map(|cb| callback_view(cb, &investor, Some(&product), None))
            .collect(),
    };
    let response = serde_json::to_value(&created).map_err(|e| ApiError::Internal(e.to_string()))?;
    if let Some(key) = &key {
        let stored = idempotency::Stored {
            request_hash: hash.clone(),
            status: 201,
            response: response.clone(),
        };
        if let Err(e) = idempotency::put(&mut tx.conn(), &caller.id, key, &stored).await {
            // A concurrent retry with the same key won: drop this attempt and answer with its result.
            if e.unique_violation().is_some() {
                drop(tx);
                let mut pooled = state.db.acquire().await?;
                if let Some(stored) = idempotency::get(&mut pooled.conn(), &caller.id, key).await? {
                    return replay(stored, &hash);
                }
            }
            return Err(e.into());
        }
    }
    super::audit::record(
        &mut tx.conn(),
        &caller,
        "order.create",
        "order",
        &created.order.id,
        &response,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(order = %created.order.id, verdict = created.decision.outcome.verdict.as_str(), "order placed");
    Ok((StatusCode::CREATED, Json(response)).into_response())
}

/// One order with its status and callbacks.
#[utoipa::path(get, path = "/v1/orders/{id}", tag = "orders", params(("id" = String, Path)),
    responses((status = 200, body = OrderDetail), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_order(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<OrderDetail>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    let mut c = pooled.conn();
    let order = orders::get(&mut c, &id)
        .await?
        .ok_or(ApiError::NotFound { what: "order" })?;
    let investor = investors::get(&mut c, &state.vault, &order.investor_id)
        .await?
        .ok_or(ApiError::NotFound { what: "investor" })?;
    let product = crate::store::products::get(&mut c, &order.product_id)
        .await?
        .ok_or(ApiError::NotFound { what: "product" })?;
    let cbs = callbacks::for_order(&mut c, &id).await?;
    Ok(Json(OrderDetail {
        order: order_response(order),
        callbacks: cbs
            .into_iter()
            .map(|cb| callback_view(cb, &investor, Some(&product), None))
            .collect(),
    }))
}

/// The investor's orders, oldest first.
#[utoipa::path(get, path = "/v1/investors/{id}/orders", tag = "orders", params(("id" = String, Path)),
    responses((status = 200, body = OrderList), (status = 404, body = crate::error::ErrorBody)))]
pub async fn list_investor_orders(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<OrderList>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    let mut c = pooled.conn();
    investors::get(&mut c, &state.vault, &id)
        .await?
        .ok_or(ApiError::NotFound { what: "investor" })?;
    let items = orders::for_investor(&mut c, &id)
        .await?
        .into_iter()
        .map(order_response)
        .collect();
    Ok(Json(OrderList { items }))
}
