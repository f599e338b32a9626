//! Investor versions: each change of an investor (who, when, which fields from what to what,
//! personal data masked), append-only. Version 1 is the onboarding.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::types::Json;

use crate::on_conn;
use crate::store::{Conn, StoreError};

/// One field's change.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct FieldChange {
    pub field: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Version {
    pub investor_id: String,
    pub version: i64,
    #[sqlx(json)]
    pub changes: Vec<FieldChange>,
    pub reason: Option<String>,
    pub changed_by: String,
    pub changed_at: DateTime<Utc>,
}

/// Stores the next version of the investor (the caller holds the investor's lock); returns it.
pub async fn append(
    c: &mut Conn<'_>,
    investor_id: &str,
    changes: Vec<FieldChange>,
    reason: Option<String>,
    changed_by: &str,
    changed_at: DateTime<Utc>,
) -> Result<Version, StoreError> {
    let (last,): (Option<i64>,) = on_conn!(c, |e| sqlx::query_as(
        "SELECT MAX(version) FROM investor_versions WHERE investor_id = $1"
    )
    .bind(investor_id)
    .fetch_one(e)
    .await)?;
    let v = Version {
        investor_id: investor_id.to_string(),
        version: last.unwrap_or(0) + 1,
        changes,
        reason,
        changed_by: changed_by.to_string(),
        changed_at,
    };
    let sql = "INSERT INTO investor_versions (investor_id, version, changes, reason, changed_by, changed_at) \
               VALUES ($1, $2, $3, $4, $5, $6)";
    on_conn!(c, |e| sqlx::query(sql)
        .bind(&v.investor_id)
        .bind(v.version)
        .bind(Json(&v.changes))
        .bind(&v.reason)
        .bind(&v.changed_by)
        .bind(v.changed_at)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(v)
}

/// Every version of the investor, oldest first.
pub async fn all(c: &mut Conn<'_>, investor_id: &str) -> Result<Vec<Version>, StoreError> {
    let sql = "SELECT investor_id, version, changes, reason, changed_by, changed_at \
               FROM investor_versions WHERE investor_id = $1 ORDER BY version";
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(investor_id)
        .fetch_all(e)
        .await)?)
}
