//! Rule-set versions in the store. Files never change once written; only the status moves
//! (draft → active → retired → active again on a rollback).

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::{Conn, StoreError, now};
use crate::domain::state::{JobStatus, RuleSetStatus};
use crate::on_conn;
use crate::rules::RuleFiles;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StoredRuleSet {
    pub version: i64,
    pub status: RuleSetStatus,
    #[sqlx(json)]
    pub files: RuleFiles,
    pub author_id: Option<String>,
    pub note: String,
    pub created_at: DateTime<Utc>,
    pub activated_at: Option<DateTime<Utc>>,
    pub retired_at: Option<DateTime<Utc>>,
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
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .fetch_optional(e)
        .await)?)
}

pub async fn get(c: &mut Conn<'_>, version: i64) -> Result<Option<StoredRuleSet>, StoreError> {
    let sql = concat!("SELECT ", columns!(), " FROM rulesets WHERE version = $1");
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(version)
        .fetch_optional(e)
        .await)?)
}

/// Every version, newest first (files left out).
pub async fn list(c: &mut Conn<'_>) -> Result<Vec<StoredRuleSet>, StoreError> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM rulesets ORDER BY version DESC"
    );
    Ok(on_conn!(c, |e| sqlx::query_as(sql).fetch_all(e).await)?)
}

/// Serialises rule-set writes for the rest of the transaction (PostgreSQL: an advisory lock;
/// SQLite write transactions are exclusive already), so version numbers and the single active
/// version never race.
pub async fn lock(c: &mut Conn<'_>) -> Result<(), StoreError> {
    if let Conn::Postgres(pg) = c {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(0x5355_4954_5253_i64)
            .execute(&mut **pg)
            .await?;
    }
    Ok(())
}

/// Stores a new draft as the next version number; returns it.
pub async fn insert_draft(
    c: &mut Conn<'_>,
    files: &RuleFiles,
    author_id: &str,
    note: &str,
) -> Result<i64, StoreError> {
    let sql = "INSERT INTO rulesets (version, status, files, author_id, note, created_at) \
               SELECT COALESCE(MAX(version), 0) + 1, 'draft', $1, $2, $3, $4 FROM rulesets RETURNING version";
    let (version,): (i64,) = on_conn!(c, |e| sqlx::query_as(sql)
        .bind(Json(files))
        .bind(author_id)
        .bind(note)
        .bind(now())
        .fetch_one(e)
        .await)?;
    Ok(version)
}

/// Retires the active version and activates `version` (draft or retired). Returns the version
/// that was active before.
pub async fn activate(
    c: &mut Conn<'_>,
    version: i64,
    at: DateTime<Utc>,
) -> Result<Option<i64>, StoreError> {
    let before: Option<(i64,)> = on_conn!(c, |e| sqlx::query_as(
        "SELECT version FROM rulesets WHERE status = 'active'"
    )
    .fetch_optional(e)
    .await)?;
    on_conn!(c, |e| sqlx::query(
        "UPDATE rulesets SET status = 'retired', retired_at = $1 WHERE status = 'active'"
    )
    .bind(at)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))?;
    on_conn!(c, |e| {
        sqlx::query(
        "UPDATE rulesets SET status = 'active', activated_at = $2, retired_at = NULL WHERE version = $1"
    )
    .bind(version)
    .bind(at)
    .execute(e)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(before.map(|(v,)| v))
}

/// The active version number only: what every instance polls.
pub async fn active_version(c: &mut Conn<'_>) -> Result<Option<i64>, StoreError> {
    let row: Option<(i64,)> = on_conn!(c, |e| sqlx::query_as(
        "SELECT version FROM rulesets WHERE status = 'active'"
    )
    .fetch_optional(e)
    .await)?;
    Ok(row.map(|(v,)| v))
}

/// Progress of the background re-evaluation after an activation.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Job {
    pub id: String,
    pub version: i64,
    pub status: JobStatus,
    pub total: i64,
    pub processed: i64,
    /// Holdings whose decision changed.
    pub changed: i64,
    /// Special callbacks created.
    pub callbacks: i64,
    pub error: Option<String>,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub async fn insert_job(c: &mut Conn<'_>, j: &Job) -> Result<(), StoreError> {
    let sql = "INSERT INTO ruleset_jobs (id, version, status, total, processed, changed, callbacks, error, started_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    on_conn!(c, |e| sqlx::query(sql)
        .bind(&j.id)
        .bind(j.version)
        .bind(j.status)
        .bind(j.total)
        .bind(j.processed)
        .bind(j.changed)
        .bind(j.callbacks)
        .bind(&j.error)
        .bind(j.started_at)
        .bind(j.updated_at)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn update_job(c: &mut Conn<'_>, j: &Job) -> Result<(), StoreError> {
    let sql = "UPDATE ruleset_jobs SET status = $2, total = $3, processed = $4, changed = $5, callbacks = $6, error = $7, \
               updated_at = $8 WHERE id = $1";
    on_conn!(c, |e| sqlx::query(sql)
        .bind(&j.id)
        .bind(j.status)
        .bind(j.total)
        .bind(j.processed)
        .bind(j.changed)
        .bind(j.callbacks)
        .bind(&j.error)
        .bind(j.updated_at)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn jobs_for(c: &mut Conn<'_>, version: i64) -> Result<Vec<Job>, StoreError> {
    let sql = "SELECT id, version, status, total, processed, changed, callbacks, error, started_at, updated_at \
               FROM ruleset_jobs WHERE version = $1 ORDER BY started_at DESC";
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(version)
        .fetch_all(e)
        .await)?)
}
