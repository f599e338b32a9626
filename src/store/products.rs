//! Products in the store.

use chrono::{DateTime, Utc};

use super::{Conn, StoreError};
use crate::domain::{Money, RiskRating};
use crate::on_conn;

#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub id: String,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub risk_rating: RiskRating,
    pub min_subscription: Money,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    code: String,
    name: String,
    kind: String,
    risk_rating: i64,
    min_subscription: String,
    created_by: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

macro_rules! columns {
    () => {
        "id, code, name, kind, risk_rating, min_subscription, created_by, created_at, updated_at"
    };
}

impl TryFrom<Row> for Product {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        Ok(Product {
            risk_rating: RiskRating::from_number(r.risk_rating)
                .ok_or_else(|| StoreError::Corrupt(format!("risk rating {}", r.risk_rating)))?,
            min_subscription: r.min_subscription.parse().map_err(|e| {
                StoreError::Corrupt(format!("min_subscription '{}': {e}", r.min_subscription))
            })?,
            id: r.id,
            code: r.code,
            name: r.name,
            kind: r.kind,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

pub async fn insert(c: &mut Conn<'_>, p: &Product) -> Result<(), StoreError> {
    let sql = concat!(
        "INSERT INTO products (",
        columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    );
    on_conn!(c, |e| sqlx::query(sql)
        .bind(&p.id)
        .bind(&p.code)
        .bind(&p.name)
        .bind(&p.kind)
        .bind(p.risk_rating.number())
        .bind(p.min_subscription.to_string())
        .bind(&p.created_by)
        .bind(p.created_at)
        .bind(p.updated_at)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Writes the mutable fields of `p` (name, kind, rating, minimum, updated_at).
pub async fn update(c: &mut Conn<'_>, p: &Product) -> Result<(), StoreError> {
    let sql = "UPDATE products SET name = $2, kind = $3, risk_rating = $4, min_subscription = $5, updated_at = $6 \
               WHERE id = $1";
    on_conn!(c, |e| sqlx::query(sql)
        .bind(&p.id)
        .bind(&p.name)
        .bind(&p.kind)
        .bind(p.risk_rating.number())
        .bind(p.min_subscription.to_string())
        .bind(p.updated_at)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn get(c: &mut Conn<'_>, id: &str) -> Result<Option<Product>, StoreError> {
    let sql = concat!("SELECT ", columns!(), " FROM products WHERE id = $1");
    let row: Option<Row> = on_conn!(c, |e| sqlx::query_as(sql).bind(id).fetch_optional(e).await)?;
    row.map(Product::try_from).transpose()
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
    let rows: Vec<Row> = on_conn!(c, |e| sqlx::query_as(sql)
        .bind(after.unwrap_or(""))
        .bind(limit)
        .fetch_all(e)
        .await)?;
    rows.into_iter().map(Product::try_from).collect()
}
