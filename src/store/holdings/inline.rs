//! A sale's facts as of now, read on the request's own thread on SQLite (`store::inline_read`)
//! and through the pool otherwise: the read every check makes.

use chrono::{DateTime, Utc};
use rusqlite::Row;
use sqlx::types::Json;

use super::{FactRow, InvestorSources, ProductSources, SALE_NOW};
use crate::store::inline_read::{Arg, Columns, InlineReads};
use crate::store::{Db, StoreError};

/// `sale_facts` as of `now` (the caller's present, so that the facts and the decision share one
/// instant), always with the as-of-now query: on SQLite without a hand-off to sqlx's thread
/// (unless SQLite is busy), elsewhere on a pooled connection.
pub async fn sale_facts_now(
    db: &Db,
    (investor_id, product_id): (&str, &str),
    complaints_since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<FactRow>, StoreError> {
    if let Db::Sqlite(_, reads) = db {
        match sale_facts_inline(reads, (investor_id, product_id), complaints_since, now) {
            Ok(row) => return Ok(row),
            Err(Some(e)) => return Err(e),
            Err(None) => {}
        }
    }
    let mut pooled = db.acquire().await?;
    let ids = (investor_id, product_id);
    super::sale_facts_by(&mut pooled.conn(), SALE_NOW, ids, complaints_since, now).await
}

/// The read on the request's thread. `Err(None)`: not read here, read through the pool.
pub fn sale_facts_inline(
    reads: &InlineReads,
    (investor_id, product_id): (&str, &str),
    complaints_since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<FactRow>, Option<StoreError>> {
    let args = [
        Arg::Text(investor_id),
        Arg::Text(product_id),
        Arg::Time(complaints_since),
        Arg::Time(now),
        Arg::Date(super::business_date(now)),
    ];
    reads.first_row(SALE_NOW, &args, fact_row)
}

/// The row as `FactRow`'s `sqlx::FromRow` reads it, column by column in the query's order
/// (a struct literal's fields are evaluated in the order written).
fn fact_row(r: &Row<'_>) -> rusqlite::Result<FactRow> {
    let mut c = Columns::new(r);
    Ok(FactRow {
        investor: InvestorSources {
            investor_id: c.text("investor_id")?,
            sales_owner_id: c.text("sales_owner_id")?,
            kind: c.text("kind")?,
            investor_type: c.text("investor_type")?,
            classified_until: c.opt_time("classified_until")?,
            birth_date: c.opt_date("birth_date")?,
            civil_capacity: c.opt_text("civil_capacity")?,
            financial_assets: c.opt_text("financial_assets")?,
            avg_income_3y: c.opt_text("avg_income_3y")?,
            net_assets: c.opt_text("net_assets")?,
            assessment_id: c.opt_text("assessment_id")?,
            level: c.opt_int("level")?,
            flags: c.opt_json("flags")?.map(Json),
            assessed_at: c.opt_time("assessed_at")?,
            valid_until: c.opt_time("valid_until")?,
            open_complaints: c.int("open_complaints")?,
            complaints_90d: c.int("complaints_90d")?,
            evidence_issued_on: c.opt_date("evidence_issued_on")?,
        },
        product: ProductSources {
            product_id: c.text("product_id")?,
            product_code: c.text("product_code")?,
            product_kind: c.text("product_kind")?,
            risk_rating: c.int("risk_rating")?,
            min_subscription: c.text("min_subscription")?,
            liquidated_at: c.opt_time("liquidated_at")?,
        },
        holds_product: c.int("holds_product")? != 0,
    })
}
