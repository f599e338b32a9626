//! Rule-set versions in the store. Files never change once written; only the status moves
//! (draft → active → retired → active again on a rollback).

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::{Conn, StoreError, now};
use crate::on_conn;
use crate::rules::RuleFiles;

#[derive(Debug, Clone, PartialEq)]
pub struct StoredRuleSet {
    pub version: i64,
    pub status: String,
    pub files: RuleFiles,
    pub author_id: Option<String>,
    pub note: String,
    pub created_at: DateTime<Utc>,
    pub activated_at: Option<DateTime<Utc>>,
    pub retired_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct Row {
    version: i64,
    status: String,
    files: Json<RuleFiles>,
    author_id: Option<String>,
    note: String,
    created_at: DateTime<Utc>,
    activated_at: Option<DateTime<Utc>>,
    retired_at: Option<DateTime<Utc>>,
}

impl From<Row> for StoredRuleSet {
    fn from(r: Row) -> Self {
        StoredRuleSet {
            version: r.version,
            status: r.status,
            files: r.files.0,
            author_id: r.author_id,
            note: r.note,
            created_at: r.created_at,
            activated_at: r.activated_at,
            retired_at: r.retired_at,
        }
    }
}

macro_rules! columns {
    () => {
        "version, status, files, author_id, note, created_at, activated_at, retired_at"
    };
}

/// Seeds version 1 as the active set from the shipped folder, unless any version exists.
/// Safe when several instances start at once: the first insert wins.
pub async fn seed_first(c: &mut Conn<'_>, files: &RuleFiles) -> Result<bool, StoreError> {
    let t = now();
    let sql = "INSERT INTO rulesets (version, status, files, author_id, note, created_at, activated_at) \
               SELECT 1, 'active', $1, NULL, 'seeded from the shipped rules/ folder', $2, $2 \
               WHERE NOT EXISTS (SELECT 1 FROM rulesets) ON CONFLICT DO NOTHING";
    let n = on_conn!(c, |e| sqlx::query(sql)
        .bind(Json(files))
        .bind(t)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

pub async fn active(c: &mut Conn<'_>) -> Result<Option<StoredRuleSet>, StoreError> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM rulesets WHERE status = 'active'"
    );
    let row: Option<Row> = on_conn!(c, |e| sqlx::query_as(sql).fetch_optional(e).await)?;
    Ok(row.map(StoredRuleSet::from))
}

pub async fn get(c: &mut Conn<'_>, version: i64) -> Result<Option<StoredRuleSet>, StoreError> {
    let sql = concat!("SELECT ", columns!(), " FROM rulesets WHERE version = $1");
    let row: Option<Row> = on_conn!(c, |e| sqlx::query_as(sql)
        .bind(version)
        .fetch_optional(e)
        .await)?;
    Ok(row.map(StoredRuleSet::from))
}
