//! Row digests across a schema change. A row's digest covers every column (`row_digest`), so a
//! migration that adds a column changes the digest of every existing row, and `audit verify
//! --rows` would flag each as changed behind the service's back. The columns each table's seals
//! cover are kept in `meta`; when a start (or `suitability audit reseal`) finds more, every row
//! whose digest over the recorded columns still matches its latest audit entry is re-sealed by a
//! `row.reseal` entry with its digest over all columns, the added columns' values in its change.
//! A row that no longer matched stays flagged: a schema change does not launder an edit made
//! behind the service's back. The added columns were never sealed before: their values are taken
//! as the migration left them, and the entry records them.
//!
//! Tampering with the recorded columns can only keep rows from being re-sealed (they stay
//! flagged, in plain sight); it cannot make an edited row verify, since any digest is compared
//! with a keyed entry.

use super::audit::{self, Actor, PG_LOCK};
use super::audit_batch::{self, Pending};
use super::{Conn, StoreError, meta, row_digest};

/// What one table's re-sealing did.
#[derive(Debug, Clone, PartialEq)]
pub struct Resealed {
    pub table: &'static str,
    /// Columns added since the seals were made.
    pub added: Vec<String>,
    /// Rows given a `row.reseal` entry.
    pub rows: usize,
    /// Rows that differ from their latest entry over the earlier columns too (or every row when
    /// an earlier column is gone): flagged, as they were before the change.
    pub left: usize,
}

fn key(table: &str) -> String {
    format!("row_columns:{table}")
}

/// Re-seals the rows of every table whose columns grew since its seals were made (call it in
/// one transaction, after the audit key is registered). A table seen for the first time records
/// its columns. Rows already sealed over every column (written since the change) need nothing.
pub async fn after_migrations(c: &mut Conn<'_>) -> Result<Vec<Resealed>, StoreError> {
    if let Conn::Postgres(pg) = c {
        // Two instances starting together: one re-seals, the other then finds nothing to do.
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(PG_LOCK)
            .execute(&mut **pg)
            .await?;
    }
    let mut out = Vec::new();
    for &(entity, table, _) in row_digest::TABLES {
        let now_cols = row_digest::columns(c, table).await?;
        let joined = now_cols.join(",");
        let Some(recorded) = meta::get(c, &key(table)).await? else {
            meta::set(c, &key(table), &joined).await?;
            continue;
        };
        if recorded == joined {
            continue;
        }
        let before: Vec<String> = recorded.split(',').map(String::from).collect();
        let added: Vec<String> = now_cols
            .iter()
            .filter(|c| !before.contains(c))
            .cloned()
            .collect();
        let mut report = Resealed {
            table,
            added: added.clone(),
            rows: 0,
            left: 0,
        };
        let latest = audit::latest_row_digests(c, entity).await?;
        if before.iter().all(|b| now_cols.contains(b)) {
            let mut pending = Vec::new();
            for row in row_digest::across_change(c, entity, &before, &now_cols, &added).await? {
                match latest.get(&row.id) {
                    Some((_, sealed)) if *sealed == row.now => {}
                    Some((_, sealed)) if *sealed == row.before => pending.push(Pending {
                        action: "row.reseal",
                        entity,
                        entity_id: row.id,
                        change: serde_json::json!({ "columns_added": added, "values": row.added }),
                        row_digest: Some(row.now),
                    }),
                    _ => report.left += 1,
                }
            }
            report.rows = pending.len();
            audit_batch::append_many(c, &Actor::system(), pending).await?;
        } else {
            // An earlier column is gone: what the seals covered cannot be read again.
            for (id, now) in row_digest::all(c, entity).await? {
                if latest.get(&id).is_none_or(|(_, sealed)| *sealed != now) {
                    report.left += 1;
                }
            }
        }
        meta::set(c, &key(table), &joined).await?;
        out.push(report);
    }
    Ok(out)
}
