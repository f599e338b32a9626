//! Products: risk and admin rate and maintain them (`workflow::products`); every role reads them.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};

use super::AppState;
use super::extract::{ApiJson, ApiQuery, Caller};
use super::investors::PageQuery;
use crate::error::ApiError;
use crate::store::products::Product;
use crate::workflow::holding_end::{self, Liquidated};
use crate::workflow::investors::page_limit;
use crate::workflow::products::{self, ProductPage};
use crate::workflow::rerating::{self, RerateImpact};

/// The bodies are the workflow's own inputs.
pub use crate::workflow::products::{
    NewProduct as CreateProductRequest, ProductChange as UpdateProductRequest,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/products", get(list_products).post(create_product))
        .route("/v1/products/{id}", get(get_product).patch(update_product))
        .route("/v1/products/{id}/liquidate", post(liquidate_product))
        .route("/v1/products/{id}/impact", post(preview_product_change))
}

/// Winds up a product (清算): it is sold no more, every holding of it ends and their open
/// callbacks are cancelled. 409 `product_liquidated` the second time.
#[utoipa::path(post, path = "/v1/products/{id}/liquidate", tag = "products", params(("id" = String, Path)),
    responses((status = 200, body = Liquidated), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn liquidate_product(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<Liquidated>, ApiError> {
    let mut tx = state.db.begin().await?;
    let done = holding_end::liquidate(&mut tx.conn(), &caller, &id).await?;
    tx.commit().await?;
    Ok(Json(done))
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
    let mut tx = state.db.begin().await?;
    let product = products::create(&mut tx.conn(), &state.ctx(), &caller, req).await?;
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
    let mut tx = state.db.begin().await?;
    let product = products::update(&mut tx.conn(), &state.ctx(), &caller, &id, req).await?;
    tx.commit().await?;
    Ok(Json(product))
}

/// What the change would do to the product's holdings (verdicts, frequencies, special
/// callbacks), made by the real update in a transaction that is rolled back: nothing changes.
#[utoipa::path(post, path = "/v1/products/{id}/impact", tag = "products", params(("id" = String, Path)),
    request_body = UpdateProductRequest,
    responses((status = 200, body = RerateImpact), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn preview_product_change(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<UpdateProductRequest>,
) -> Result<Json<RerateImpact>, ApiError> {
    Ok(Json(
        rerating::preview(&state.db, &state.ctx(), &caller, &id, req).await?,
    ))
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
