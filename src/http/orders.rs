//! Orders: parse, call `workflow::sale`, serialise. `Idempotency-Key` makes a retry safe: the
//! first response is stored in the order's own transaction and replayed for the same body.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::AppState;
use super::extract::{ApiJson, Caller, JsonBody, parse_json};
use crate::domain::money::RawAmount;
use crate::error::ApiError;
use crate::hex::hex;
use crate::store::orders::Order;
use crate::workflow::holding_end::{self, Redeem, Redeemed};
use crate::workflow::holdings::{self, HoldingList, Rescission};
use crate::workflow::place_once;
use crate::workflow::sale::{self, NewOrder, OrderDetail, PlacedOrder};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"investor_id": "01938a1e-7c00-7000-8000-000000000001",
    "product_id": "01938a1e-7c00-7000-8000-000000000002", "amount": "1000000",
    "signed_at": "2026-12-01T02:00:00Z", "paid_at": "2026-12-01T06:30:00Z",
    "acknowledgments": ["mismatch_warning_signed", "dual_recording"],
    "recording_ref": "双录 SL-2026-1201-0007",
    "evidence": {"mismatch_warning_signed": [
        {"kind": "warning_letter", "ref": "风险不匹配警示函 JS-2026-1201-0007"},
        {"kind": "investor_confirmation", "ref": "投资者确认书 QR-2026-1201-0007"}]}}))]
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
    /// Where the dual recording (双录) or signed documents are kept; counts as the `recording`
    /// of `dual_recording`.
    pub recording_ref: Option<String>,
    /// The evidence behind each acknowledged requirement (see `GET /v1/requirements`):
    /// `{"mismatch_warning_signed": [{"kind": "warning_letter", "ref": "…"}, …]}`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub evidence: crate::store::orders::Evidence,
}

impl CreateOrderRequest {
    /// The workflow's order, its amount parsed (the API and the console's order form alike).
    pub fn into_new_order(self) -> Result<NewOrder, crate::workflow::WorkflowError> {
        Ok(NewOrder {
            amount: sale::parse_amount(&self.amount)?,
            investor_id: self.investor_id,
            product_id: self.product_id,
            signed_at: self.signed_at,
            paid_at: self.paid_at,
            acknowledgments: self.acknowledgments,
            recording_ref: self.recording_ref,
            evidence: self.evidence,
        })
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OrderList {
    pub items: Vec<Order>,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/orders", post(create_order))
        .route("/v1/orders/{id}", get(get_order))
        .route("/v1/investors/{id}/orders", get(list_investor_orders))
        .route("/v1/orders/{id}/rescind", post(rescind_order))
        .route("/v1/investors/{id}/holdings", get(list_holdings))
        .route("/v1/holdings/{id}/redeem", post(redeem_holding))
}

/// Redeems part (`amount`) or all (`"all": true`) of a confirmed holding (its id is the order's);
/// a holding with nothing left ends (`redeemed`) and its open callbacks are cancelled.
/// 409 `not_confirmed` while cooling off (rescind instead), `order_settled` once ended.
#[utoipa::path(post, path = "/v1/holdings/{id}/redeem", tag = "orders", params(("id" = String, Path)),
    request_body = Redeem,
    responses((status = 200, body = Redeemed), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn redeem_holding(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<Redeem>,
) -> Result<Json<Redeemed>, ApiError> {
    let mut tx = state.db.begin().await?;
    let done = holding_end::redeem(&mut tx.conn(), &caller, &id, req).await?;
    tx.commit().await?;
    Ok(Json(done))
}

/// Rescinds an order at the investor's request, before a successful confirmation: refund due,
/// callbacks cancelled. 409 `order_settled` once confirmed or rescinded.
#[utoipa::path(post, path = "/v1/orders/{id}/rescind", tag = "orders", params(("id" = String, Path)),
    request_body = Rescission,
    responses((status = 200, body = Order), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn rescind_order(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<Rescission>,
) -> Result<Json<Order>, ApiError> {
    let mut tx = state.db.begin().await?;
    let order = holdings::rescind(&mut tx.conn(), &caller, &id, req).await?;
    tx.commit().await?;
    Ok(Json(order))
}

/// The investor's holdings: orders cooling off or confirmed.
#[utoipa::path(get, path = "/v1/investors/{id}/holdings", tag = "orders", params(("id" = String, Path)),
    responses((status = 200, body = HoldingList), (status = 404, body = crate::error::ErrorBody)))]
pub async fn list_holdings(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<HoldingList>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    Ok(Json(
        holdings::of_investor(&mut pooled.conn(), &caller, &id).await?,
    ))
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let raw = v.to_str().unwrap_or("");
    Ok(Some(place_once::key(raw, "Idempotency-Key")?))
}

/// Places an order: 422 `suitability_rejected` or `requirements_missing` (with the decision), or
/// 201 with the order (cooling off), its decision and the callbacks it created.
#[utoipa::path(post, path = "/v1/orders", tag = "orders", request_body = CreateOrderRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key returns the first result")),
    responses((status = 201, body = PlacedOrder), (status = 404, body = crate::error::ErrorBody),
        (status = 422, description = "invalid, suitability_rejected or requirements_missing (with `decision`)", body = crate::error::ErrorBody)))]
pub async fn create_order(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let hash = hex(&Sha256::digest(&body));
    let req: CreateOrderRequest = parse_json(&body)?;
    let new = req.into_new_order()?;
    let (status, response) =
        place_once::place(&state.db, &state.ctx(), &caller, key.as_deref(), &hash, new).await?;
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED);
    Ok((status, Json(response)).into_response())
}

/// One order with its status and callbacks.
#[utoipa::path(get, path = "/v1/orders/{id}", tag = "orders", params(("id" = String, Path)),
    responses((status = 200, body = OrderDetail), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_order(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<OrderDetail>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    Ok(Json(
        sale::order_detail(&mut pooled.conn(), &state.ctx(), &caller, &id).await?,
    ))
}

/// The investor's orders, oldest first.
#[utoipa::path(get, path = "/v1/investors/{id}/orders", tag = "orders", params(("id" = String, Path)),
    responses((status = 200, body = OrderList), (status = 404, body = crate::error::ErrorBody)))]
pub async fn list_investor_orders(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<OrderList>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    let items = sale::investor_orders(&mut pooled.conn(), &state.ctx(), &caller, &id).await?;
    Ok(Json(OrderList { items }))
}
