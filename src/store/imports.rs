//! What imports look up (a product by its code; whether a row was imported before, so the same
//! file twice adds nothing) and the jobs of imports uploaded through the API.

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::{Conn, StoreError};
use crate::domain::Money;
use crate::domain::state::JobStatus;
use crate::on_conn;

pub async fn product_by_code(c: &mut Conn<'_>, code: &str) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> = on_conn!(c, |e| sqlx::query_as(
        "SELECT id FROM products WHERE code = $1"
    )
    .bind(code)
    .fetch_optional(e)
    .await)?;
    Ok(row.map(|(id,)| id))
}

/// Whether the investor has an order of the product signed at `signed_at` for `amount`.
pub async fn holding_exists(
    c: &mut Conn<'_>,
    investor_id: &str,
    product_id: &str,
    signed_at: DateTime<Utc>,
    amount: Money,
) -> Result<bool, StoreError> {
    let row: Option<(String,)> = on_conn!(c, |e| {
        sqlx::query_as(
        "SELECT id FROM orders WHERE investor_id = $1 AND product_id = $2 AND signed_at = $3 AND amount = $4"
    )
    .bind(investor_id)
    .bind(product_id)
    .bind(signed_at)
    .bind(amount)
    .fetch_optional(e)
    .await
    })?;
    Ok(row.is_some())
}

/// Whether the investor has an assessment on `questionnaire_id` taken at `assessed_at`.
pub async fn assessment_exists(
    c: &mut Conn<'_>,
    investor_id: &str,
    questionnaire_id: &str,
    assessed_at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let row: Option<(String,)> = on_conn!(c, |e| {
        sqlx::query_as(
        "SELECT id FROM assessments WHERE investor_id = $1 AND questionnaire_id = $2 AND assessed_at = $3"
    )
    .bind(investor_id)
    .bind(questionnaire_id)
    .bind(assessed_at)
    .fetch_optional(e)
    .await
    })?;
    Ok(row.is_some())
}

/// A bad row of an import: where (spreadsheet row and the column's header) and what is wrong.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RowProblem {
    /// The spreadsheet row (the header is row 1).
    pub row: u64,
    /// The column as the file names it; empty for the row as a whole.
    pub column: String,
    pub problem: String,
}

/// An import uploaded through the API, as it runs and once done.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ImportJob {
    pub id: String,
    /// investors, holdings or assessments
    pub kind: String,
    /// Checked only: every row ran and was rolled back.
    pub dry_run: bool,
    pub status: JobStatus,
    /// Rows in the file.
    pub total: i64,
    pub processed: i64,
    pub imported: i64,
    /// Rows already in the store (an earlier run of the same file).
    pub skipped: i64,
    pub failed: i64,
    /// Every bad row (at most the first 10,000).
    #[sqlx(json)]
    pub problems: Vec<RowProblem>,
    pub error: Option<String>,
    pub created_by: String,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub async fn insert_job(c: &mut Conn<'_>, j: &ImportJob) -> Result<(), StoreError> {
    let sql = "INSERT INTO import_jobs (id, kind, dry_run, status, total, processed, imported, skipped, failed, \
               problems, error, created_by, started_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";
    on_conn!(c, |e| sqlx::query(sql)
        .bind(&j.id)
        .bind(&j.kind)
        .bind(j.dry_run)
        .bind(j.status)
        .bind(j.total)
        .bind(j.processed)
        .bind(j.imported)
        .bind(j.skipped)
        .bind(j.failed)
        .bind(Json(&j.problems))
        .bind(&j.error)
        .bind(&j.created_by)
        .bind(j.started_at)
        .bind(j.updated_at)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn update_job(c: &mut Conn<'_>, j: &ImportJob) -> Result<(), StoreError> {
    let sql = "UPDATE import_jobs SET status = $2, processed = $3, imported = $4, skipped = $5, failed = $6, \
               problems = $7, error = $8, updated_at = $9 WHERE id = $1";
    on_conn!(c, |e| sqlx::query(sql)
        .bind(&j.id)
        .bind(j.status)
        .bind(j.processed)
        .bind(j.imported)
        .bind(j.skipped)
        .bind(j.failed)
        .bind(Json(&j.problems))
        .bind(&j.error)
        .bind(j.updated_at)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn get_job(c: &mut Conn<'_>, id: &str) -> Result<Option<ImportJob>, StoreError> {
    let sql = "SELECT id, kind, dry_run, status, total, processed, imported, skipped, failed, problems, error, \
               created_by, started_at, updated_at FROM import_jobs WHERE id = $1";
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(id)
        .fetch_optional(e)
        .await)?)
}

/// Jobs marked running whose progress stopped before `stale_before` were cut off (a running
/// job records progress every batch, every few seconds): marked failed. Another instance's live
/// job is never among them.
pub async fn interrupt_stale(
    c: &mut Conn<'_>,
    stale_before: DateTime<Utc>,
    t: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let sql = "UPDATE import_jobs SET status = 'failed', updated_at = $2, \
               error = 'interrupted: the import stopped making progress (the service stopped?); upload the file again (rows already imported are skipped)' \
               WHERE status = 'running' AND updated_at < $1";
    Ok(on_conn!(c, |e| sqlx::query(sql)
        .bind(stale_before)
        .bind(t)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?)
}

/// Marks the current point of a transaction, to undo one row's writes and keep the rest.
pub async fn savepoint(c: &mut Conn<'_>) -> Result<(), StoreError> {
    on_conn!(c, |e| sqlx::query("SAVEPOINT import_row")
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Keeps (`keep`) or undoes the row's writes since [`savepoint`].
pub async fn end_savepoint(c: &mut Conn<'_>, keep: bool) -> Result<(), StoreError> {
    if !keep {
        on_conn!(c, |e| sqlx::query("ROLLBACK TO SAVEPOINT import_row")
            .execute(e)
            .await
            .map(|r| r.rows_affected()))?;
    }
    on_conn!(c, |e| sqlx::query("RELEASE SAVEPOINT import_row")
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}
