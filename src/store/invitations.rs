//! Invitations (the investor's own link) and the signatures given through them. An invitation is
//! found by the hash of its code; its state changes are conditional updates, so two browsers
//! racing on one link cannot both pass a step.

use chrono::{DateTime, Utc};

use super::{Conn, StoreError};
use crate::on_conn;

#[derive(Debug, Clone, PartialEq, serde::Serialize, sqlx::FromRow)]
pub struct Invitation {
    pub id: String,
    #[serde(skip)]
    pub code_hash: String,
    pub investor_id: String,
    pub product_id: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub failed_attempts: i64,
    pub locked_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub visitor_hash: Option<String>,
    pub assessment_id: Option<String>,
    pub completed_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, code_hash, investor_id, product_id, created_by, created_at, expires_at, \
     failed_attempts, locked_at, visitor_hash, assessment_id, completed_at";

pub async fn insert(c: &mut Conn<'_>, i: &Invitation) -> Result<(), StoreError> {
    let sql = "INSERT INTO invitations (id, code_hash, investor_id, product_id, created_by, created_at, expires_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7)";
    on_conn!(c, |e| sqlx::query(sql)
        .bind(&i.id)
        .bind(&i.code_hash)
        .bind(&i.investor_id)
        .bind(&i.product_id)
        .bind(&i.created_by)
        .bind(i.created_at)
        .bind(i.expires_at)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn by_code(c: &mut Conn<'_>, code_hash: &str) -> Result<Option<Invitation>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM invitations WHERE code_hash = $1");
    Ok(on_conn!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(code_hash)
    .fetch_optional(e)
    .await)?)
}

/// Counts a wrong identity check; the `limit`-th locks the link. Returns the attempts so far.
pub async fn fail(
    c: &mut Conn<'_>,
    id: &str,
    limit: i64,
    at: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let sql = "UPDATE invitations SET failed_attempts = failed_attempts + 1, \
               locked_at = CASE WHEN failed_attempts + 1 >= $2 THEN $3 ELSE locked_at END \
               WHERE id = $1 AND locked_at IS NULL RETURNING failed_attempts";
    let row: Option<(i64,)> = on_conn!(c, |e| sqlx::query_as(sql)
        .bind(id)
        .bind(limit)
        .bind(at)
        .fetch_optional(e)
        .await)?;
    Ok(row.map_or(limit, |(n,)| n))
}

/// Takes the invitation's row for the identity check, so that checks of one link run one after
/// another (on PostgreSQL as on SQLite) and the lock cannot be raced; then reads it.
pub async fn lock_for_check(c: &mut Conn<'_>, id: &str) -> Result<Option<Invitation>, StoreError> {
    let sql = "UPDATE invitations SET failed_attempts = failed_attempts WHERE id = $1";
    on_conn!(c, |e| sqlx::query(sql)
        .bind(id)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    let sql = format!("SELECT {COLUMNS} FROM invitations WHERE id = $1");
    Ok(on_conn!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(id)
    .fetch_optional(e)
    .await)?)
}

/// Admits the visitor whose secret hashes to `visitor_hash` (the identity check passed; a
/// browser that lost its cookie passes it again and replaces the earlier one); false if the link
/// was locked or completed meanwhile.
pub async fn admit(c: &mut Conn<'_>, id: &str, visitor_hash: &str) -> Result<bool, StoreError> {
    let sql = "UPDATE invitations SET visitor_hash = $2 WHERE id = $1 AND locked_at IS NULL \
               AND completed_at IS NULL";
    let n = on_conn!(c, |e| sqlx::query(sql)
        .bind(id)
        .bind(visitor_hash)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Records the assessment the investor submitted through the link (once).
pub async fn set_assessment(
    c: &mut Conn<'_>,
    id: &str,
    assessment_id: &str,
) -> Result<bool, StoreError> {
    let sql = "UPDATE invitations SET assessment_id = $2 WHERE id = $1 AND assessment_id IS NULL \
               AND completed_at IS NULL";
    let n = on_conn!(c, |e| sqlx::query(sql)
        .bind(id)
        .bind(assessment_id)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Completes the invitation: the link is used up.
pub async fn complete(c: &mut Conn<'_>, id: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
    let sql = "UPDATE invitations SET completed_at = $2 WHERE id = $1 AND completed_at IS NULL";
    let n = on_conn!(c, |e| sqlx::query(sql)
        .bind(id)
        .bind(at)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// A document the investor signed through their link.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Signature {
    pub id: String,
    pub invitation_id: String,
    pub investor_id: String,
    pub product_id: Option<String>,
    /// risk_disclosure (风险揭示书) or mismatch_warning (风险不匹配警示函).
    pub document: String,
    /// SHA-256 of the document's text as shown.
    pub text_hash: String,
    pub typed_name: String,
    pub signed_at: DateTime<Utc>,
    pub ip: String,
    pub user_agent: String,
}

pub async fn insert_signature(c: &mut Conn<'_>, s: &Signature) -> Result<(), StoreError> {
    let sql = "INSERT INTO investor_signatures (id, invitation_id, investor_id, product_id, document, text_hash, \
               typed_name, signed_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    on_conn!(c, |e| sqlx::query(sql)
        .bind(&s.id)
        .bind(&s.invitation_id)
        .bind(&s.investor_id)
        .bind(&s.product_id)
        .bind(&s.document)
        .bind(&s.text_hash)
        .bind(&s.typed_name)
        .bind(s.signed_at)
        .bind(&s.ip)
        .bind(&s.user_agent)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn signatures_of(
    c: &mut Conn<'_>,
    investor_id: &str,
) -> Result<Vec<Signature>, StoreError> {
    let sql = "SELECT id, invitation_id, investor_id, product_id, document, text_hash, typed_name, signed_at, ip, \
               user_agent FROM investor_signatures WHERE investor_id = $1 ORDER BY signed_at, id";
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(investor_id)
        .fetch_all(e)
        .await)?)
}

/// The signatures given through a link whose questionnaire produced `assessment_id`: documents
/// the investor signed on the level that assessment gave.
pub async fn signed_on(
    c: &mut Conn<'_>,
    investor_id: &str,
    assessment_id: &str,
) -> Result<Vec<Signature>, StoreError> {
    let sql = "SELECT s.id, s.invitation_id, s.investor_id, s.product_id, s.document, s.text_hash, s.typed_name, \
               s.signed_at, s.ip, s.user_agent FROM investor_signatures s \
               JOIN invitations i ON i.id = s.invitation_id \
               WHERE s.investor_id = $1 AND i.assessment_id = $2 ORDER BY s.signed_at, s.id";
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(investor_id)
        .bind(assessment_id)
        .fetch_all(e)
        .await)?)
}
