//! Products: risk staff rate and maintain them. Raising a product's rating re-plans its holdings
//! (`events::after_rerating`) in the same transaction.

use serde::Serialize;

use super::{Ctx, Result, WorkflowError, audit, events};
use crate::domain::money::RawAmount;
use crate::domain::{FieldProblem, Money, RiskRating};
use crate::store::products::{self, Product};
use crate::store::staff::Staff;
use crate::store::{Conn, new_id, now};

/// Limits on product fields.
pub const MAX_CODE: usize = 64;
pub const MAX_NAME: usize = 200;
pub const MAX_KIND: usize = 40;

/// A product as risk staff submit it (also the body of `POST /v1/products`).
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "SJA123", "name": "稳健增长1号私募证券投资基金",
    "kind": "private_securities", "risk_rating": "R3", "min_subscription": "1000000"}))]
pub struct NewProduct {
    pub code: String,
    pub name: String,
    /// lower_snake_case, e.g. "private_securities", "private_equity", "venture_capital".
    #[schema(pattern = "^[a-z0-9_]{1,40}$", example = "private_securities")]
    pub kind: String,
    /// "R1".."R5"
    #[schema(pattern = "^R[1-5]$", example = "R3")]
    pub risk_rating: String,
    pub min_subscription: RawAmount,
}

/// The fields to change; None leaves one as it is (also the body of `PATCH /v1/products/{id}`).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"risk_rating": "R4"}))]
pub struct ProductChange {
    pub name: Option<String>,
    #[schema(pattern = "^[a-z0-9_]{1,40}$")]
    pub kind: Option<String>,
    #[schema(pattern = "^R[1-5]$")]
    pub risk_rating: Option<String>,
    pub min_subscription: Option<RawAmount>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProductPage {
    pub items: Vec<Product>,
    pub next_after: Option<String>,
}

/// Field checks shared by create and update; each pushes its problem and yields None when bad.
struct Fields<'a> {
    problems: Vec<FieldProblem>,
    floor: &'a Money,
}

impl Fields<'_> {
    fn text(&mut self, field: &str, v: &str, max: usize) -> Option<String> {
        let t = match crate::domain::text::free_text(v, max) {
            Ok(t) => t,
            Err(problem) => {
                self.problems.push(FieldProblem::new(field, problem));
                return None;
            }
        };
        Some(t.to_string())
    }

    fn kind(&mut self, v: &str) -> Option<String> {
        let ok = !v.is_empty()
            && v.len() <= MAX_KIND
            && v.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            self.problems.push(FieldProblem::new(
                "kind",
                format!("must be lower_snake_case, 1 to {MAX_KIND} characters"),
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

/// Creates a product with its risk rating; a conflict if the code exists.
pub async fn create(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    new: NewProduct,
) -> Result<Product> {
    let mut f = Fields {
        problems: Vec::new(),
        floor: &ctx.policy.min_subscription_floor,
    };
    let code = f.text("code", &new.code, MAX_CODE);
    let name = f.text("name", &new.name, MAX_NAME);
    let kind = f.kind(&new.kind);
    let rating = f.rating(&new.risk_rating);
    let minimum = f.minimum(&new.min_subscription);
    let (Some(code), Some(name), Some(kind), Some(risk_rating), Some(min_subscription), true) =
        (code, name, kind, rating, minimum, f.problems.is_empty())
    else {
        return Err(WorkflowError::Invalid(f.problems));
    };
    let t = now();
    let product = Product {
        id: new_id(),
        code,
        name,
        kind,
        risk_rating,
        min_subscription,
        created_by: actor.id.clone(),
        created_at: t,
        updated_at: t,
        liquidated_at: None,
    };
    if let Err(e) = products::insert(c, &product).await {
        return Err(match e.unique_violation() {
            Some(_) => WorkflowError::conflict(
                "duplicate_code",
                format!("product code '{}' exists", product.code),
            ),
            None => e.into(),
        });
    }
    audit::record(c, actor, "product.create", "product", &product.id, &product).await?;
    Ok(product)
}

/// Changes a product's name, kind, rating or minimum; a higher rating re-plans its holdings.
pub async fn update(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    id: &str,
    change: ProductChange,
) -> Result<Product> {
    let mut f = Fields {
        problems: Vec::new(),
        floor: &ctx.policy.min_subscription_floor,
    };
    let name = change.name.as_deref().map(|v| f.text("name", v, MAX_NAME));
    let kind = change.kind.as_deref().map(|v| f.kind(v));
    let rating = change.risk_rating.as_deref().map(|v| f.rating(v));
    let minimum = change.min_subscription.as_ref().map(|v| f.minimum(v));
    if !f.problems.is_empty() {
        return Err(WorkflowError::Invalid(f.problems));
    }
    let mut product = get(c, id).await?;
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
    products::update(c, &product).await?;
    if product.risk_rating != old_rating {
        let up = product.risk_rating > old_rating;
        let n = events::after_rerating(c, ctx, actor, &product.id, up).await?;
        tracing::info!(product = %product.id, from = %old_rating, to = %product.risk_rating, callbacks = n, "product re-rated");
    }
    audit::record(c, actor, "product.update", "product", &product.id, &product).await?;
    Ok(product)
}

pub async fn get(c: &mut Conn<'_>, id: &str) -> Result<Product> {
    products::get(c, id)
        .await?
        .ok_or(WorkflowError::NotFound("product"))
}

/// Products in creation order, a page at a time.
pub async fn list(c: &mut Conn<'_>, after: Option<&str>, limit: i64) -> Result<ProductPage> {
    let found = products::list(c, after, limit + 1).await?;
    let more = found.len() as i64 > limit;
    let items: Vec<Product> = found.into_iter().take(limit as usize).collect();
    let next_after = if more {
        items.last().map(|i| i.id.clone())
    } else {
        None
    };
    Ok(ProductPage { items, next_after })
}
