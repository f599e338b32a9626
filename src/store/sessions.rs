//! Console sessions: found by the hash of their cookie secret (the secret itself is never
//! stored), each tied to the hash of the staff token it was opened with.

use chrono::{DateTime, Utc};

use super::{Conn, StoreError};
use crate::on_conn;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    pub id_hash: String,
    pub staff_id: String,
    pub token_hash: String,
    pub csrf: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

pub async fn insert(c: &mut Conn<'_>, s: &Session) -> Result<(), StoreError> {
    let sql = "INSERT INTO console_sessions (id_hash, staff_id, token_hash, csrf, created_at, last_seen_at) \
               VALUES ($1, $2, $3, $4, $5, $6)";
    on_conn!(c, |e| sqlx::query(sql)
        .bind(&s.id_hash)
        .bind(&s.staff_id)
        .bind(&s.token_hash)
        .bind(&s.csrf)
        .bind(s.created_at)
        .bind(s.last_seen_at)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// The session, if it was seen after `idle_since` (an older one is idle and over).
pub async fn get(
    c: &mut Conn<'_>,
    id_hash: &str,
    idle_since: DateTime<Utc>,
) -> Result<Option<Session>, StoreError> {
    let sql = "SELECT id_hash, staff_id, token_hash, csrf, created_at, last_seen_at FROM console_sessions \
               WHERE id_hash = $1 AND last_seen_at > $2";
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(id_hash)
        .bind(idle_since)
        .fetch_optional(e)
        .await)?)
}

pub async fn touch(c: &mut Conn<'_>, id_hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
    let sql = "UPDATE console_sessions SET last_seen_at = $2 WHERE id_hash = $1";
    on_conn!(c, |e| sqlx::query(sql)
        .bind(id_hash)
        .bind(at)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Ends a session (sign-out), and with it every session idle since `idle_since`.
pub async fn end(
    c: &mut Conn<'_>,
    id_hash: &str,
    idle_since: DateTime<Utc>,
) -> Result<(), StoreError> {
    let sql = "DELETE FROM console_sessions WHERE id_hash = $1 OR last_seen_at <= $2";
    on_conn!(c, |e| sqlx::query(sql)
        .bind(id_hash)
        .bind(idle_since)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}
