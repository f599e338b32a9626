//! Classifications (专业投资者认定) and qualification evidence (资产证明, 收入证明) in the store:
//! append-only (the database refuses updates and deletes).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;

use super::{Conn, StoreError};
use crate::domain::classification::Figures;
use crate::on_conn;

/// A document a classification or a qualification rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// e.g. "asset_proof", "income_proof", "net_assets_proof", "experience_proof", "license",
    /// "written_request", "application_form".
    pub kind: String,
    /// Where the document is kept.
    #[serde(rename = "ref")]
    pub reference: String,
    /// YYYY-MM-DD
    #[schema(value_type = String, example = "2026-11-30")]
    pub issued_at: NaiveDate,
}

/// One classification decision, granted or refused.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Classification {
    pub id: String,
    pub investor_id: String,
    /// "professional" or "ordinary": what the investor is (or, refused, would have been).
    pub investor_type: String,
    pub basis: String,
    /// "granted" or "refused".
    pub outcome: String,
    #[sqlx(json)]
    pub figures: Figures,
    #[sqlx(json)]
    pub evidence: Vec<Document>,
    /// Why an application was refused.
    pub reason: Option<String>,
    /// When a professional classification lapses (null for ordinary, and for refusals).
    pub valid_until: Option<DateTime<Utc>>,
    pub decided_by: String,
    pub decided_at: DateTime<Utc>,
}

pub async fn insert(c: &mut Conn<'_>, k: &Classification) -> Result<(), StoreError> {
    let sql = "INSERT INTO classifications (id, investor_id, investor_type, basis, outcome, figures, \
               evidence, reason, valid_until, decided_by, decided_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
    on_conn!(c, |e| sqlx::query(sql)
        .bind(&k.id)
        .bind(&k.investor_id)
        .bind(&k.investor_type)
        .bind(&k.basis)
        .bind(&k.outcome)
        .bind(Json(&k.figures))
        .bind(Json(&k.evidence))
        .bind(&k.reason)
        .bind(k.valid_until)
        .bind(&k.decided_by)
        .bind(k.decided_at)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Every classification of the investor, newest first.
pub async fn for_investor(
    c: &mut Conn<'_>,
    investor_id: &str,
) -> Result<Vec<Classification>, StoreError> {
    let sql = "SELECT id, investor_id, investor_type, basis, outcome, figures, evidence, reason, \
               valid_until, decided_by, decided_at FROM classifications WHERE investor_id = $1 \
               ORDER BY decided_at DESC, id DESC";
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(investor_id)
        .fetch_all(e)
        .await)?)
}

/// One piece of qualification evidence as stored.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct QualificationEvidence {
    pub id: String,
    pub investor_id: String,
    /// "asset_proof", "income_proof" or "net_assets_proof".
    pub kind: String,
    #[serde(rename = "ref")]
    #[sqlx(rename = "ref")]
    pub reference: String,
    #[schema(value_type = String)]
    pub issued_at: NaiveDate,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

pub async fn insert_evidence(
    c: &mut Conn<'_>,
    q: &QualificationEvidence,
) -> Result<(), StoreError> {
    let sql = "INSERT INTO qualification_evidence (id, investor_id, kind, ref, issued_at, \
               recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
    on_conn!(c, |e| sqlx::query(sql)
        .bind(&q.id)
        .bind(&q.investor_id)
        .bind(&q.kind)
        .bind(&q.reference)
        .bind(q.issued_at)
        .bind(&q.recorded_by)
        .bind(q.recorded_at)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Stores several proofs at once (new investors' proofs, in an import's batch).
pub async fn insert_evidence_many(
    c: &mut Conn<'_>,
    items: &[QualificationEvidence],
) -> Result<(), StoreError> {
    for chunk in items.chunks(1000) {
        let sql = format!(
            "INSERT INTO qualification_evidence (id, investor_id, kind, ref, issued_at, \
             recorded_by, recorded_at) VALUES {}",
            super::placeholders(c, chunk.len(), 7)
        );
        on_conn!(c, |e| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for x in chunk {
                q = q
                    .bind(&x.id)
                    .bind(&x.investor_id)
                    .bind(&x.kind)
                    .bind(&x.reference)
                    .bind(x.issued_at)
                    .bind(&x.recorded_by)
                    .bind(x.recorded_at);
            }
            q.execute(e).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

/// The investor's qualification evidence, newest issue first.
pub async fn evidence_for(
    c: &mut Conn<'_>,
    investor_id: &str,
) -> Result<Vec<QualificationEvidence>, StoreError> {
    let sql = "SELECT id, investor_id, kind, ref, issued_at, recorded_by, recorded_at \
               FROM qualification_evidence WHERE investor_id = $1 ORDER BY issued_at DESC, id DESC";
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(investor_id)
        .fetch_all(e)
        .await)?)
}
