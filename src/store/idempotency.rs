//! Idempotency keys: the first response to a (staff member, key) pair, replayed on retries.

use sqlx::types::Json;

use super::{Conn, StoreError, now};
use crate::on_conn;

pub struct Stored {
    pub request_hash: String,
    pub status: u16,
    pub response: serde_json::Value,
}

pub async fn get(
    c: &mut Conn<'_>,
    staff_id: &str,
    key: &str,
) -> Result<Option<Stored>, StoreError> {
    let sql = "SELECT request_hash, status, response FROM idempotency_keys WHERE staff_id = $1 AND key = $2";
    let row: Option<(String, i64, Json<serde_json::Value>)> = on_conn!(c, |e| sqlx::query_as(sql)
        .bind(staff_id)
        .bind(key)
        .fetch_optional(e)
        .await)?;
    Ok(row.map(|(request_hash, status, response)| Stored {
        request_hash,
        status: u16::try_from(status).unwrap_or(500),
        response: response.0,
    }))
}

pub async fn put(
    c: &mut Conn<'_>,
    staff_id: &str,
    key: &str,
    stored: &Stored,
) -> Result<(), StoreError> {
    let sql = "INSERT INTO idempotency_keys (staff_id, key, request_hash, status, response, created_at) \
               VALUES ($1, $2, $3, $4, $5, $6)";
    on_conn!(c, |e| sqlx::query(sql)
        .bind(staff_id)
        .bind(key)
        .bind(&stored.request_hash)
        .bind(i64::from(stored.status))
        .bind(Json(&stored.response))
        .bind(now())
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}
