//! Investors in the store.

use chrono::{DateTime, NaiveDate, Utc};

use super::{Conn, StoreError};
use crate::domain::Money;
use crate::domain::identity::IdType;
use crate::domain::investor::{CivilCapacity, InvestorKind, InvestorType, Wealth};
use crate::on_conn;
use crate::vault::Vault;

pub use sealing::{reseal_page, seal_legacy};
pub use visible::{Visible, is_visible, list};

/// An investor as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Investor {
    pub id: String,
    pub kind: InvestorKind,
    pub investor_type: InvestorType,
    pub name: String,
    pub id_type: IdType,
    pub id_number: String,
    pub birth_date: Option<NaiveDate>,
    pub civil_capacity: CivilCapacity,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// Postal address (sealed like phone and e-mail).
    pub address: Option<String>,
    pub occupation: Option<String>,
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
    id_type: Option<String>,
    civil_capacity: Option<String>,
    id_number: String,
    birth_date: Option<NaiveDate>,
    phone: Option<String>,
    email: Option<String>,
    address: Option<String>,
    occupation: Option<String>,
    financial_assets: Option<String>,
    avg_income_3y: Option<String>,
    net_assets: Option<String>,
    sales_owner_id: String,
    created_at: DateTime<Utc>,
}

macro_rules! columns {
    () => {
        "id, kind, investor_type, name, id_number, birth_date, phone, email, \
         financial_assets, avg_income_3y, net_assets, sales_owner_id, created_at, id_type, civil_capacity, \
         address, occupation"
    };
}

/// The columns `columns!` names, for SQL built at run time.
const COLUMNS: &str = columns!();

// After `columns!`: macros are in scope only below their definition.
pub mod bulk;
mod sealing;
pub mod versions;
mod visible;

fn money(v: Option<String>) -> Result<Option<Money>, StoreError> {
    v.map(|s| {
        s.parse::<Money>()
            .map_err(|e| StoreError::Corrupt(format!("amount '{s}': {e}")))
    })
    .transpose()
}

/// What a sealed column value is bound to: its column and its investor.
pub fn context(column: &str, id: &str) -> String {
    format!("investors.{column}/{id}")
}

pub(super) fn open(vault: &Vault, id: &str, column: &str, v: String) -> Result<String, StoreError> {
    if !Vault::is_sealed(&v) {
        return Ok(v);
    }
    vault
        .open(&v, &context(column, id))
        .map_err(|e| StoreError::Corrupt(format!("investor {id} {column}: {e}")))
}

impl Row {
    fn into_investor(self, vault: &Vault) -> Result<Investor, StoreError> {
        let mut r = self;
        let id = r.id.clone();
        r.id_number = open(vault, &id, "id_number", r.id_number)?;
        r.phone = r.phone.map(|p| open(vault, &id, "phone", p)).transpose()?;
        r.email = r.email.map(|e| open(vault, &id, "email", e)).transpose()?;
        r.address = r
            .address
            .map(|a| open(vault, &id, "address", a))
            .transpose()?;
        Investor::try_from(r)
    }
}

impl TryFrom<Row> for Investor {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        let kind: InvestorKind = r.kind.parse().map_err(StoreError::Corrupt)?;
        Ok(Investor {
            kind,
            civil_capacity: match r.civil_capacity {
                Some(c) => c.parse().map_err(StoreError::Corrupt)?,
                None => CivilCapacity::Full,
            },
            id_type: match r.id_type {
                Some(t) => t.parse().map_err(StoreError::Corrupt)?,
                None => IdType::default_for(kind),
            },
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
            address: r.address,
            occupation: r.occupation,
            sales_owner_id: r.sales_owner_id,
            created_at: r.created_at,
        })
    }
}

pub(super) fn seal(vault: &Vault, id: &str, column: &str, v: &str) -> Result<String, StoreError> {
    vault
        .seal(v, &context(column, id))
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub async fn get(
    c: &mut Conn<'_>,
    vault: &Vault,
    id: &str,
) -> Result<Option<Investor>, StoreError> {
    let sql = concat!("SELECT ", columns!(), " FROM investors WHERE id = $1");
    let row: Option<Row> = on_conn!(c, |e| sqlx::query_as(sql).bind(id).fetch_optional(e).await)?;
    row.map(|r| r.into_investor(vault)).transpose()
}

/// Makes `owner` the investor's sales owner; false if there is no such investor.
pub async fn set_owner(c: &mut Conn<'_>, id: &str, owner: &str) -> Result<bool, StoreError> {
    let sql = "UPDATE investors SET sales_owner_id = $2 WHERE id = $1";
    let n = on_conn!(c, |e| sqlx::query(sql)
        .bind(id)
        .bind(owner)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Keeps on the investor when their newest proof of assets or income was issued.
pub async fn refresh_proof_date(c: &mut Conn<'_>, id: &str) -> Result<(), StoreError> {
    let sql = "UPDATE investors SET proof_issued_on = (SELECT MAX(q.issued_at) FROM qualification_evidence q \
               WHERE q.investor_id = $1) WHERE id = $1";
    on_conn!(c, |e| sqlx::query(sql)
        .bind(id)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Writes what may change of an investor (contacts, address, occupation, assets, income, net
/// assets, capacity), personal data sealed; false if there is none.
pub async fn update_profile(
    c: &mut Conn<'_>,
    vault: &Vault,
    inv: &Investor,
) -> Result<bool, StoreError> {
    let sealed = |column: &str, v: &Option<String>| {
        v.as_deref()
            .map(|x| seal(vault, &inv.id, column, x))
            .transpose()
    };
    let (phone, email, address) = (
        sealed("phone", &inv.phone)?,
        sealed("email", &inv.email)?,
        sealed("address", &inv.address)?,
    );
    let text = |m: Option<Money>| m.map(|m| m.to_string());
    let sql = "UPDATE investors SET phone = $2, email = $3, address = $4, occupation = $5, \
               financial_assets = $6, avg_income_3y = $7, net_assets = $8, civil_capacity = $9 WHERE id = $1";
    let n = on_conn!(c, |e| sqlx::query(sql)
        .bind(&inv.id)
        .bind(&phone)
        .bind(&email)
        .bind(&address)
        .bind(&inv.occupation)
        .bind(text(inv.wealth.financial_assets))
        .bind(text(inv.wealth.avg_income_3y))
        .bind(text(inv.wealth.net_assets))
        .bind(inv.civil_capacity.as_str())
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Makes the investor of `investor_type` with a classification holding `until` (after a
/// classification is granted); false if there is none.
pub async fn set_classification(
    c: &mut Conn<'_>,
    id: &str,
    investor_type: InvestorType,
    until: Option<DateTime<Utc>>,
) -> Result<bool, StoreError> {
    let sql = "UPDATE investors SET investor_type = $2, classified_until = $3 WHERE id = $1";
    let n = on_conn!(c, |e| sqlx::query(sql)
        .bind(id)
        .bind(investor_type.as_str())
        .bind(until)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Investors with this identity number (found through its keyed hash).
pub async fn by_id_number(
    c: &mut Conn<'_>,
    vault: &Vault,
    id_number: &str,
) -> Result<Vec<Investor>, StoreError> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM investors WHERE id_number_hash = $1 ORDER BY id"
    );
    let rows: Vec<Row> = on_conn!(c, |e| sqlx::query_as(sql)
        .bind(vault.blind(id_number))
        .fetch_all(e)
        .await)?;
    rows.into_iter().map(|r| r.into_investor(vault)).collect()
}

pub async fn count(c: &mut Conn<'_>) -> Result<i64, StoreError> {
    let (n,): (i64,) = on_conn!(c, |e| sqlx::query_as("SELECT COUNT(*) FROM investors")
        .fetch_one(e)
        .await)?;
    Ok(n)
}

pub async fn exists(c: &mut Conn<'_>, id: &str) -> Result<bool, StoreError> {
    let row: Option<(String,)> = on_conn!(c, |e| sqlx::query_as(
        "SELECT id FROM investors WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(e)
    .await)?;
    Ok(row.is_some())
}

/// The investor already identified by this number, if any. On PostgreSQL the transaction first
/// takes a lock on the number's hash, so two onboardings of one person cannot both find none
/// (SQLite's write transaction already holds the database).
pub async fn holder_of(
    c: &mut Conn<'_>,
    vault: &Vault,
    id_number: &str,
) -> Result<Option<String>, StoreError> {
    let hash = vault.blind(id_number);
    super::lock_key(c, &hash).await?;
    let sql = "SELECT id FROM investors WHERE id_number_hash = $1 ORDER BY id LIMIT 1";
    let found: Option<(String,)> = on_conn!(c, |e| sqlx::query_as(sql)
        .bind(&hash)
        .fetch_optional(e)
        .await)?;
    Ok(found.map(|(id,)| id))
}

/// Any one investor's id (to check the data key opens what is stored), or None when there are
/// none.
pub async fn any_id(c: &mut Conn<'_>) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> = on_conn!(c, |e| sqlx::query_as(
        "SELECT id FROM investors ORDER BY id LIMIT 1"
    )
    .fetch_optional(e)
    .await)?;
    Ok(row.map(|(id,)| id))
}
