//! Row digests across a schema change. A row's digest covers every column (`row_digest`), so a
//! migration that adds a column changes the digest of every existing row, and `audit verify
//! --rows` would flag each as changed behind the service's back. The columns each table's seals
//! cover are kept in `meta`; when a start finds more, every row whose digest over the recorded
//! columns still matches its latest audit entry is re-sealed by a `row.reseal` entry with its
//! digest over all columns. A row that no longer matched stays flagged: a schema change does not
//! launder an edit made behind the service's back.

use super::audit::{self, Actor};
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
    /// Rows that already differed from their latest entry, left as they are.
    pub left: usize,
}

fn key(table: &str) -> String {
    format!("row_columns:{table}")
}

/// Re-seals the rows of every table whose columns grew since its seals were made (call it in
/// one transaction at start, after the audit key is registered). A table seen for the first
/// time records its columns. A dropped or reordered column cannot be re-derived: its rows are
/// left as they are and the new columns recorded, so the report says so once.
pub async fn after_migrations(c: &mut Conn<'_>) -> Result<Vec<Resealed>, StoreError> {
    row_digest::forget_columns();
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
        // The earlier columns must still be the first ones, in order: then a digest over them is
        // the digest the rows were sealed with.
        let prefix = now_cols.len() >= before.len() && now_cols[..before.len()] == before[..];
        let mut report = Resealed {
            table,
            added: added.clone(),
            rows: 0,
            left: 0,
        };
        if prefix {
            let latest = audit::latest_row_digests(c, entity).await?;
            let mut pending = Vec::new();
            for (id, old) in row_digest::all_over(c, entity, Some(&before)).await? {
                match latest.get(&id) {
                    Some((_, sealed)) if *sealed == old => pending.push(Pending {
                        action: "row.reseal",
                        entity,
                        entity_id: id,
                        change: serde_json::json!({ "columns_added": added }),
                    }),
                    _ => report.left += 1,
                }
            }
            report.rows = pending.len();
            audit_batch::append_many(c, &Actor::system(), pending).await?;
        } else {
            report.left = row_digest::all(c, entity).await?.len();
        }
        meta::set(c, &key(table), &joined).await?;
        out.push(report);
    }
    Ok(out)
}
