//! Facts about the database itself (`meta`): the data key's fingerprint, and the like.

use super::{Conn, StoreError};
use crate::on_conn;

/// The fingerprint of the data key the personal data is sealed with.
pub const KEY_FINGERPRINT: &str = "key_fingerprint";

pub async fn get(c: &mut Conn<'_>, name: &str) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> = on_conn!(c, |e| sqlx::query_as(
        "SELECT value FROM meta WHERE name = $1"
    )
    .bind(name)
    .fetch_optional(e)
    .await)?;
    Ok(row.map(|(v,)| v))
}

pub async fn set(c: &mut Conn<'_>, name: &str, value: &str) -> Result<(), StoreError> {
    on_conn!(c, |e| {
        sqlx::query(
        "INSERT INTO meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value"
    )
    .bind(name)
    .bind(value)
    .execute(e)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn delete(c: &mut Conn<'_>, name: &str) -> Result<(), StoreError> {
    on_conn!(c, |e| sqlx::query("DELETE FROM meta WHERE name = $1")
        .bind(name)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}
