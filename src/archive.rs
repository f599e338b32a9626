//! The archive export: records are kept 20 years and never deleted through the API; this writes
//! every table to JSON Lines (one object per row, personal data still sealed) with a manifest of
//! row counts and SHA-256 digests, for offline retention and handover.

use std::io::Write;
use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::hex::hex;
use crate::store::{Db, StoreError};

/// Tables never exported: access tokens and console sessions (hashes of credentials),
/// idempotency replays (a cache of responses) and the schema's own bookkeeping.
pub const NOT_EXPORTED: &[&str] = &[
    "tokens",
    "console_sessions",
    "idempotency_keys",
    "meta",
    "_sqlx_migrations",
];

/// The tables exported, parents before children (a test holds that every other table is here).
pub const TABLES: &[&str] = &[
    "staff",
    "staff_roles",
    "investors",
    "investor_versions",
    "qualification_evidence",
    "classifications",
    "questionnaire_versions",
    "assessments",
    "assessment_reviews",
    "invitations",
    "investor_signatures",
    "products",
    "rulesets",
    "ruleset_jobs",
    "import_jobs",
    "decisions",
    "orders",
    "redemptions",
    "complaints",
    "complaint_resolutions",
    "callbacks",
    "callback_outcomes",
    "callback_reviews",
    "callback_issues",
    "callback_issue_closures",
    "escalations",
    "escalation_resolutions",
    "audit_log",
];

#[derive(Debug, Serialize)]
pub struct TableExport {
    pub table: String,
    pub file: String,
    pub rows: u64,
    pub sha256: String,
}

#[derive(Debug, Serialize)]
pub struct Manifest {
    pub exported_at: chrono::DateTime<chrono::Utc>,
    pub backend: String,
    pub tables: Vec<TableExport>,
    pub note: String,
}

async fn columns(db: &Db, table: &str) -> Result<Vec<String>, StoreError> {
    Ok(match db {
        Db::Sqlite(p, _) => {
            let rows: Vec<(i64, String, String, i64, Option<String>, i64)> =
                sqlx::query_as(sqlx::AssertSqlSafe(format!("PRAGMA table_info({table})")))
                    .fetch_all(p)
                    .await?;
            rows.into_iter().map(|r| r.1).collect()
        }
        Db::Postgres(p) => {
            let rows: Vec<(String,)> = sqlx::query_as(
                "SELECT column_name::text FROM information_schema.columns WHERE table_schema = current_schema() \
                 AND table_name = $1 ORDER BY ordinal_position",
            )
            .bind(table)
            .fetch_all(p)
            .await?;
            rows.into_iter().map(|r| r.0).collect()
        }
    })
}

/// Writes `DIR/<table>.jsonl` for every table and `DIR/manifest.json`.
pub async fn export(db: &Db, dir: &Path) -> Result<Manifest, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut tables = Vec::new();
    for table in TABLES {
        let cols = columns(db, table).await.map_err(|e| e.to_string())?;
        // Table and column names come from the schema itself, never from input.
        let pairs: Vec<String> = cols.iter().map(|c| format!("'{c}', {c}")).collect();
        let sql = match db {
            Db::Sqlite(..) => format!(
                "SELECT json_object({}) FROM {table} ORDER BY 1",
                pairs.join(", ")
            ),
            Db::Postgres(_) => format!(
                "SELECT json_build_object({})::text FROM {table} ORDER BY 1",
                pairs.join(", ")
            ),
        };
        let rows: Vec<(String,)> = match db {
            Db::Sqlite(p, _) => sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(p).await,
            Db::Postgres(p) => sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(p).await,
        }
        .map_err(|e| format!("{table}: {e}"))?;
        let file = format!("{table}.jsonl");
        let path = dir.join(&file);
        let mut out =
            std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut hasher = Sha256::new();
        for (line,) in &rows {
            let bytes = format!("{line}\n");
            hasher.update(bytes.as_bytes());
            out.write_all(bytes.as_bytes())
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
        tables.push(TableExport {
            table: table.to_string(),
            file,
            rows: rows.len() as u64,
            sha256: hex(&hasher.finalize()),
        });
    }
    let manifest = Manifest {
        exported_at: crate::store::now(),
        backend: db.backend().to_string(),
        tables,
        note: "Identity numbers, phones and e-mails stay sealed: keep the data key with the archive's custodian. \
               `suitability audit verify` on a restored copy checks the audit chain."
            .into(),
    };
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("manifest.json"), text).map_err(|e| e.to_string())?;
    Ok(manifest)
}
