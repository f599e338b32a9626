//! Investors in the store.

use chrono::{DateTime, NaiveDate, Utc};

use super::{Conn, StoreError};
use crate::domain::Money;
use crate::domain::investor::{InvestorKind, InvestorType, Wealth};
use crate::on_conn;

/// An investor as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Investor {
    pub id: String,
    pub kind: InvestorKind,
    pub investor_type: InvestorType,
    pub name: String,
    pub id_number: String,
    pub birth_date: Option<NaiveDate>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub wealth: Wealth,
    pub sales_owner_id: String,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    kind: String,
    investor_type: String,
    name: String,
    id_number: String,
    birth_date: Option<NaiveDate>,
    phone: Option<String>,
    email: Option<String>,
    financial_assets: Option<String>,
    avg_income_3y: Option<String>,
    net_assets: Option<String>,
    sales_owner_id: String,
    created_at: DateTime<Utc>,
}

macro_rules! columns {
    () => {
        "id, kind, investor_type, name, id_number, birth_date, phone, email, \
         financial_assets, avg_income_3y, net_assets, sales_owner_id, created_at"
    };
}

fn money(v: Option<String>) -> Result<Option<Money>, StoreError> {
    v.map(|s| {
        s.parse::<Money>()
            .map_err(|e| StoreError::Corrupt(format!("amount '{s}': {e}")))
    })
    .transpose()
}

impl TryFrom<Row> for Investor {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        Ok(Investor {
            kind: r.kind.parse().map_err(StoreError::Corrupt)?,
            investor_type: r.investor_type.parse().map_err(StoreError::Corrupt)?,
            wealth: Wealth {
                financial_assets: money(r.financial_assets)?,
                avg_income_3y: money(r.avg_income_3y)?,
                net_assets: money(r.net_assets)?,
            },
            id: r.id,
            name: r.name,
            id_number: r.id_number,
            birth_date: r.birth_date,
            phone: r.phone,
            email: r.email,
            sales_owner_id: r.sales_owner_id,
            created_at: r.created_at,
        })
    }
}

pub async fn insert(c: &mut Conn<'_>, inv: &Investor) -> Result<(), StoreError> {
    let sql = concat!(
        "INSERT INTO investors (",
        columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    );
    let text = |m: Option<Money>| m.map(|m| m.to_string());
    on_conn!(c, |e| sqlx::query(sql)
        .bind(&inv.id)
        .bind(inv.kind.as_str())
        .bind(inv.investor_type.as_str())
        .bind(&inv.name)
        .bind(&inv.id_number)
        .bind(inv.birth_date)
        .bind(&inv.phone)
        .bind(&inv.email)
        .bind(text(inv.wealth.financial_assets))
        .bind(text(inv.wealth.avg_income_3y))
        .bind(text(inv.wealth.net_assets))
        .bind(&inv.sales_owner_id)
        .bind(inv.created_at)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn get(c: &mut Conn<'_>, id: &str) -> Result<Option<Investor>, StoreError> {
    let sql = concat!("SELECT ", columns!(), " FROM investors WHERE id = $1");
    let row: Option<Row> = on_conn!(c, |e| sqlx::query_as(sql).bind(id).fetch_optional(e).await)?;
    row.map(Investor::try_from).transpose()
}

/// A page of investors in creation order, starting after the id `after`.
pub async fn list(
    c: &mut Conn<'_>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Investor>, StoreError> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM investors WHERE id > $1 ORDER BY id LIMIT $2"
    );
    let rows: Vec<Row> = on_conn!(c, |e| sqlx::query_as(sql)
        .bind(after.unwrap_or(""))
        .bind(limit)
        .fetch_all(e)
        .await)?;
    rows.into_iter().map(Investor::try_from).collect()
}
