//! Products in the store.

use chrono::{DateTime, Utc};

use super::{Conn, StoreError};
use crate::domain::{Money, RiskRating};
use crate::on_conn;

/// A product as stored and as the API returns it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Product {
    pub id: String,
    pub code: String,
    pub name: String,
    pub kind: String,
    #[schema(value_type = String, example = "R3")]
    pub risk_rating: RiskRating,
    #[schema(value_type = String, example = "1000000")]
    pub min_subscription: Money,
    #[serde(skip_serializing)]
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the product was wound up (清算): no more sales, no holdings left.
    pub liquidated_at: Option<DateTime<Utc>>,
}

macro_rules! columns {
    () => {
        "id, code, name, kind, risk_rating, min_subscription, created_by, created_at, updated_at, liquidated_at"
    };
}

pub async fn insert(c: &mut Conn<'_>, p: &Product) -> Result<(), StoreError> {
    let sql = concat!(
        "INSERT INTO products (",
        columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    );
    on_conn!(c, |e| sqlx::query(sql)
        .bind(&p.id)
        .bind(&p.code)
        .bind(&p.name)
        .bind(&p.kind)
        .bind(p.risk_rating)
        .bind(p.min_subscription)
        .bind(&p.created_by)
        .bind(p.created_at)
        .bind(p.updated_at)
        .bind(p.liquidated_at)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Marks the product wound up at `at`; false if it was already (or does not exist).
pub async fn set_liquidated(
    c: &mut Conn<'_>,
    id: &str,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let sql = "UPDATE products SET liquidated_at = $2, updated_at = $2 WHERE id = $1 AND liquidated_at IS NULL";
    let n = on_conn!(c, |e| sqlx::query(sql)
        .bind(id)
        .bind(at)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Writes the mutable fields of `p` (name, kind, rating, minimum, updated_at).
pub async fn update(c: &mut Conn<'_>, p: &Product) -> Result<(), StoreError> {
    let sql = "UPDATE products SET name = $2, kind = $3, risk_rating = $4, min_subscription = $5, updated_at = $6 \
               WHERE id = $1";
    on_conn!(c, |e| sqlx::query(sql)
        .bind(&p.id)
        .bind(&p.name)
        .bind(&p.kind)
        .bind(p.risk_rating)
        .bind(p.min_subscription)
        .bind(p.updated_at)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn get(c: &mut Conn<'_>, id: &str) -> Result<Option<Product>, StoreError> {
    let sql = concat!("SELECT ", columns!(), " FROM products WHERE id = $1");
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(id)
        .fetch_optional(e)
        .await)?)
}

pub async fn list(
    c: &mut Conn<'_>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Product>, StoreError> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM products WHERE id > $1 ORDER BY id LIMIT $2"
    );
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(after.unwrap_or(""))
        .bind(limit)
        .fetch_all(e)
        .await)?)
}
