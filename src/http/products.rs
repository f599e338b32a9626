//! Products: risk and admin rate and maintain them; every role reads them.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::extract::{ApiJson, ApiQuery, Caller};
use super::investors::PageQuery;
use crate::domain::money::RawAmount;
use crate::domain::{Money, RiskRating};
use crate::error::{ApiError, FieldProblem};
use crate::store::products::{self, Product};
use crate::store::{new_id, now};

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

#[derive(Serialize, utoipa::ToSchema)]
pub struct ProductResponse {
    pub id: String,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub risk_rating: String,
    pub min_subscription: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ProductPage {
    pub items: Vec<ProductResponse>,
    pub next_after: Option<String>,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/products", get(list_products).post(create_product))
        .route("/v1/products/{id}", get(get_product).patch(update_product))
}

fn response(p: Product) -> ProductResponse {
    ProductResponse {
        risk_rating: p.risk_rating.to_string(),
        min_subscription: p.min_subscription.to_string(),
        id: p.id,
        code: p.code,
        name: p.name,
        kind: p.kind,
        created_at: p.created_at,
        updated_at: p.updated_at,
    }
}

/// Field checks shared by create and update; each pushes its problem and yields None when bad.
struct Fields<'a> {
    problems: Vec<FieldProblem>,
    floor: &'a Money,
}

impl Fields<'_> {
    fn text(&mut self, field: &str, v: &str, max: usize) -> Option<String> {
        let t = v.trim();
        if t.is_empty() || t.chars().count() > max {
            self.problems.push(FieldProblem::new(
                field,
                format!("must be 1 to {max} characters"),
            ));
            return None;
        }
        Some(t.to_string())
    }

    fn kind(&mut self, v: &str) -> Option<String> {
        let ok = !v.is_empty()
            && v.len() <= 40
            && v.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            self.problems.push(FieldProblem::new(
                "kind",
                "must be lower_snake_case, 1 to 40 characters",
            ));
        }
        ok.then(|| v.to_string())
    }

    fn rating(&mut self, v: &str) -> Option<RiskRating> {
        v.parse()
            .map_err(|e| self.problems.push(FieldProblem::new("risk_rating", e)))
            .ok()
    }

    fn minimum(&mut self, v: &RawAmount) -> Option<Money> {
        match v.parse() {
            Err(e) => {
                self.problems.push(FieldProblem::new("min_subscription", e));
                None
            }
            Ok(m) if m < *self.floor => {
                self.problems.push(FieldProblem::new(
                    "min_subscription",
                    format!("must be at least {}", self.floor),
                ));
                None
            }
            Ok(m) => Some(m),
        }
    }
}

/// Creates a product with its risk rating.
#[utoipa::path(post, path = "/v1/products", tag = "products", request_body = CreateProductRequest,
    responses((status = 201, body = ProductResponse), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_product(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(req): ApiJson<CreateProductRequest>,
) -> Result<(StatusCode, Json<ProductResponse>), ApiError> {
    let mut f = Fields {
        problems: Vec::new(),
        floor: &state.config.policy.min_subscription_floor,
    };
    let code = f.text("code", &req.code, 64);
    let name = f.text("name", &req.name, 200);
    let kind = f.kind(&req.kind);
    let rating = f.rating(&req.risk_rating);
    let minimum = f.minimum(&req.min_subscription);
    let (Some(code), Some(name), Some(kind), Some(risk_rating), Some(min_subscription), true) =
        (code, name, kind, rating, minimum, f.problems.is_empty())
    else {
        return Err(ApiError::validation(f.problems));
    };
    let t = now();
    let product = Product {
        id: new_id(),
        code,
        name,
        kind,
        risk_rating,
        min_subscription,
        created_by: caller.id.clone(),
        created_at: t,
        updated_at: t,
    };
    let mut tx = state.db.begin().await?;
    if let Err(e) = products::insert(&mut tx.conn(), &product).await {
        return Err(match e.unique_violation() {
            Some(_) => ApiError::Conflict {
                code: "duplicate_code",
                message: format!("product code '{}' exists", product.code),
            },
            None => e.into(),
        });
    }
    super::audit::record(
        &mut tx.conn(),
        &caller,
        "product.create",
        "product",
        &product.id,
        &response(product.clone()),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(response(product))))
}

/// Changes a product's name, kind, rating or minimum.
#[utoipa::path(patch, path = "/v1/products/{id}", tag = "products", params(("id" = String, Path)),
    request_body = UpdateProductRequest,
    responses((status = 200, body = ProductResponse), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn update_product(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<UpdateProductRequest>,
) -> Result<Json<ProductResponse>, ApiError> {
    let mut f = Fields {
        problems: Vec::new(),
        floor: &state.config.policy.min_subscription_floor,
    };
    let name = req.name.as_deref().map(|v| f.text("name", v, 200));
    let kind = req.kind.as_deref().map(|v| f.kind(v));
    let rating = req.risk_rating.as_deref().map(|v| f.rating(v));
    let minimum = req.min_subscription.as_ref().map(|v| f.minimum(v));
    if !f.problems.is_empty() {
        return Err(ApiError::validation(f.problems));
    }
    let mut tx = state.db.begin().await?;
    let mut product = products::get(&mut tx.conn(), &id)
        .await?
        .ok_or(ApiError::NotFound { what: "product" })?;
    let old_rating = product.risk_rating;
    if let Some(Some(v)) = name {
        product.name = v;
    }
    if let Some(Some(v)) = kind {
        product.kind = v;
    }
    if let Some(Some(v)) = rating {
        product.risk_rating = v;
    }
    if let Some(Some(v)) = minimum {
        product.min_subscription = v;
    }
    product.updated_at = now();
    products::update(&mut tx.conn(), &product).await?;
    if product.risk_rating > old_rating {
        let n = super::replan::after_rerating(&state, &mut tx.conn(), &product.id, &caller).await?;
        tracing::info!(product = %product.id, from = %old_rating, to = %product.risk_rating, callbacks = n, "product re-rated");
    }
    super::audit::record(
        &mut tx.conn(),
        &caller,
        "product.update",
        "product",
        &product.id,
        &response(product.clone()),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(response(product)))
}

#[utoipa::path(get, path = "/v1/products/{id}", tag = "products", params(("id" = String, Path)),
    responses((status = 200, body = ProductResponse), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_product(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ProductResponse>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    let p = products::get(&mut pooled.conn(), &id)
        .await?
        .ok_or(ApiError::NotFound { what: "product" })?;
    Ok(Json(response(p)))
}

#[utoipa::path(get, path = "/v1/products", tag = "products", params(PageQuery),
    responses((status = 200, body = ProductPage)))]
pub async fn list_products(
    State(state): State<AppState>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<ProductPage>, ApiError> {
    let limit = page.limit()?;
    let mut pooled = state.db.acquire().await?;
    let found = products::list(&mut pooled.conn(), page.after.as_deref(), limit + 1).await?;
    let more = found.len() as i64 > limit;
    let items: Vec<ProductResponse> = found
        .into_iter()
        .take(limit as usize)
        .map(response)
        .collect();
    let next_after = if more {
        items.last().map(|i| i.id.clone())
    } else {
        None
    };
    Ok(Json(ProductPage { items, next_after }))
}
