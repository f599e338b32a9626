//! New investors written many at a time (onboarding in batches, for imports): the same rows as
//! `insert` and `versions::append` write one at a time, in one statement per table per batch.

use std::collections::HashSet;

use chrono::NaiveDate;
use sqlx::types::Json;

use super::versions::Version;
use super::{Investor, seal};
use crate::domain::Money;
use crate::on_conn;
use crate::store::{Conn, StoreError, placeholders};
use crate::vault::Vault;

/// Rows per statement (19 parameters each).
const CHUNK: usize = 500;

/// Which of these identity numbers an investor holds already (by their lookup hashes).
pub async fn existing_numbers(
    c: &mut Conn<'_>,
    vault: &Vault,
    numbers: &[&str],
) -> Result<HashSet<String>, StoreError> {
    let mut found = HashSet::new();
    if let Conn::Postgres(pg) = c {
        // The lock `holder_of` takes on each number, until the transaction ends: two imports,
        // or an import and an onboarding, of the same person cannot both find them new. In
        // sorted order, so that two batches never wait on each other crosswise.
        let mut hashes: Vec<String> = numbers.iter().map(|n| vault.blind(n)).collect();
        hashes.sort();
        hashes.dedup();
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext(h)) FROM unnest($1::text[]) AS h")
            .bind(&hashes)
            .execute(&mut **pg)
            .await?;
    }
    for chunk in numbers.chunks(CHUNK) {
        let hashes: Vec<String> = chunk.iter().map(|n| vault.blind(n)).collect();
        let list = crate::store::in_list(c, chunk.len());
        let sql = format!("SELECT id_number_hash FROM investors WHERE id_number_hash IN ({list})");
        let rows: Vec<(String,)> = on_conn!(c, |e| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for h in &hashes {
                q = q.bind(h);
            }
            q.fetch_all(e).await
        })?;
        let held: HashSet<String> = rows.into_iter().map(|(h,)| h).collect();
        for (n, h) in chunk.iter().zip(&hashes) {
            if held.contains(h) {
                found.insert(n.to_string());
            }
        }
    }
    Ok(found)
}

/// Stores new investors, personal data sealed as `insert` seals it, each with the issue date
/// of their newest proof.
pub async fn insert_many(
    c: &mut Conn<'_>,
    vault: &Vault,
    rows: &[(&Investor, Option<NaiveDate>)],
) -> Result<(), StoreError> {
    for chunk in rows.chunks(CHUNK) {
        let mut sealed = Vec::with_capacity(chunk.len());
        for (inv, _) in chunk {
            let opt = |column: &str, v: &Option<String>| {
                v.as_deref()
                    .map(|x| seal(vault, &inv.id, column, x))
                    .transpose()
            };
            sealed.push((
                seal(vault, &inv.id, "id_number", &inv.id_number)?,
                opt("phone", &inv.phone)?,
                opt("email", &inv.email)?,
                opt("address", &inv.address)?,
                vault.blind(&inv.id_number),
            ));
        }
        let sql = format!(
            "INSERT INTO investors ({}, id_number_hash, proof_issued_on) VALUES {}",
            super::COLUMNS,
            placeholders(c, chunk.len(), 19)
        );
        let text = |m: Option<Money>| m.map(|m| m.to_string());
        on_conn!(c, |e| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for ((inv, proof), (id_number, phone, email, address, hash)) in
                chunk.iter().zip(&sealed)
            {
                q = q
                    .bind(&inv.id)
                    .bind(inv.kind.as_str())
                    .bind(inv.investor_type.as_str())
                    .bind(&inv.name)
                    .bind(id_number)
                    .bind(inv.birth_date)
                    .bind(phone)
                    .bind(email)
                    .bind(text(inv.wealth.financial_assets))
                    .bind(text(inv.wealth.avg_income_3y))
                    .bind(text(inv.wealth.net_assets))
                    .bind(&inv.sales_owner_id)
                    .bind(inv.created_at)
                    .bind(inv.id_type.as_str())
                    .bind(inv.civil_capacity.as_str())
                    .bind(address)
                    .bind(&inv.occupation)
                    .bind(hash)
                    .bind(*proof);
            }
            q.execute(e).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

/// Stores the first version of each new investor.
pub async fn first_versions(c: &mut Conn<'_>, versions: &[Version]) -> Result<(), StoreError> {
    for chunk in versions.chunks(CHUNK) {
        let sql = format!(
            "INSERT INTO investor_versions (investor_id, version, changes, reason, changed_by, changed_at) VALUES {}",
            placeholders(c, chunk.len(), 6)
        );
        on_conn!(c, |e| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for v in chunk {
                q = q
                    .bind(&v.investor_id)
                    .bind(v.version)
                    .bind(Json(&v.changes))
                    .bind(&v.reason)
                    .bind(&v.changed_by)
                    .bind(v.changed_at);
            }
            q.execute(e).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}
