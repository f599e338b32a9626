//! Products: risk and admin rate and maintain them (`workflow::products`); every role reads them.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::AppState;
use super::extract::{ApiJson, ApiQuery, Caller};
use super::investors::PageQuery;
use crate::domain::money::RawAmount;
use crate::error::ApiError;
use crate::store::products::Product;
use crate::workflow::investors::page_limit;
use crate::workflow::products::{self, NewProduct, ProductChange, ProductPage};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProductRequest {
    pub code: String,
    pub name: String,
    /// lower_snake_case, e.g. "private_securities", "private_equity", "venture_capital".
    pub kind: String,
    /// "R1".."R5"
    pub risk_rating: String,
    pub min_subscription: RawAmount,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProductRequest {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub risk_rating: Option<String>,
    pub min_subscription: Option<RawAmount>,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/products", get(list_products).post(create_product))
        .route("/v1/products/{id}", get(get_product).patch(update_product))
}

/// Creates a product with its risk rating.
#[utoipa::path(post, path = "/v1/products", tag = "products", request_body = CreateProductRequest,
    responses((status = 201, body = Product), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_product(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(req): ApiJson<CreateProductRequest>,
) -> Result<(StatusCode, Json<Product>), ApiError> {
    let new = NewProduct {
        code: req.code,
        name: req.name,
        kind: req.kind,
        risk_rating: req.risk_rating,
        min_subscription: req.min_subscription,
    };
    let mut tx = state.db.begin().await?;
    let product = products::create(&mut tx.conn(), &state.ctx(), &caller, new).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(product)))
}

/// Changes a product's name, kind, rating or minimum; a higher rating re-plans its holdings.
#[utoipa::path(patch, path = "/v1/products/{id}", tag = "products", params(("id" = String, Path)),
    request_body = UpdateProductRequest,
    responses((status = 200, body = Product), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn update_product(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<UpdateProductRequest>,
) -> Result<Json<Product>, ApiError> {
    let change = ProductChange {
        name: req.name,
        kind: req.kind,
        risk_rating: req.risk_rating,
        min_subscription: req.min_subscription,
    };
    let mut tx = state.db.begin().await?;
    let product = products::update(&mut tx.conn(), &state.ctx(), &caller, &id, change).await?;
    tx.commit().await?;
    Ok(Json(product))
}

#[utoipa::path(get, path = "/v1/products/{id}", tag = "products", params(("id" = String, Path)),
    responses((status = 200, body = Product), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_product(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Product>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    Ok(Json(products::get(&mut pooled.conn(), &id).await?))
}

#[utoipa::path(get, path = "/v1/products", tag = "products", params(PageQuery),
    responses((status = 200, body = ProductPage)))]
pub async fn list_products(
    State(state): State<AppState>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<ProductPage>, ApiError> {
    let limit = page_limit(page.limit)?;
    let mut pooled = state.db.acquire().await?;
    Ok(Json(
        products::list(&mut pooled.conn(), page.after.as_deref(), limit).await?,
    ))
}
