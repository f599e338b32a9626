//! Assessments in the store: append-only (the database refuses updates and deletes).

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::{Conn, StoreError};
use crate::domain::RiskLevel;
use crate::on_conn;
use crate::questionnaire::score::{AnswerPoints, Choice};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Assessment {
    pub id: String,
    pub investor_id: String,
    pub questionnaire_id: String,
    pub questionnaire_version: i64,
    pub questionnaire_hash: String,
    /// The answers exactly as submitted (option ids per question).
    #[sqlx(json)]
    pub answers: std::collections::BTreeMap<String, Vec<String>>,
    #[sqlx(json)]
    pub breakdown: Vec<AnswerPoints>,
    pub score: i64,
    pub level: RiskLevel,
    #[sqlx(json)]
    pub flags: Vec<String>,
    pub assessed_at: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub recorded_by: String,
    pub created_at: DateTime<Utc>,
    /// "staff", or "investor" for answers the investor gave through their own link.
    pub submitted_by: String,
}

impl Assessment {
    pub fn is_valid_at(&self, t: DateTime<Utc>) -> bool {
        t < self.valid_until
    }

    pub fn lowest_category(&self) -> bool {
        self.flags
            .iter()
            .any(|f| f == crate::questionnaire::score::LOWEST_CATEGORY)
    }
}

/// Normalises submitted answers to lists of option ids for storage.
pub fn answers_as_lists(
    answers: &std::collections::BTreeMap<String, Choice>,
) -> std::collections::BTreeMap<String, Vec<String>> {
    answers
        .iter()
        .map(|(k, v)| {
            let list = match v {
                Choice::One(s) => vec![s.clone()],
                Choice::Many(v) => v.clone(),
            };
            (k.clone(), list)
        })
        .collect()
}

macro_rules! columns {
    () => {
        "id, investor_id, questionnaire_id, questionnaire_version, questionnaire_hash, \
         answers, breakdown, score, level, flags, assessed_at, valid_until, recorded_by, created_at, \
         submitted_by"
    };
}

pub async fn insert(c: &mut Conn<'_>, a: &Assessment) -> Result<(), StoreError> {
    let sql = concat!(
        "INSERT INTO assessments (",
        columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    );
    on_conn!(c, |e| sqlx::query(sql)
        .bind(&a.id)
        .bind(&a.investor_id)
        .bind(&a.questionnaire_id)
        .bind(a.questionnaire_version)
        .bind(&a.questionnaire_hash)
        .bind(Json(&a.answers))
        .bind(Json(&a.breakdown))
        .bind(a.score)
        .bind(a.level.number())
        .bind(Json(&a.flags))
        .bind(a.assessed_at)
        .bind(a.valid_until)
        .bind(&a.recorded_by)
        .bind(a.created_at)
        .bind(&a.submitted_by)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// The investor's latest assessment by `assessed_at` (a back-dated paper record does not
/// displace a newer one), valid or not; one a risk reviewer rejected is never used.
pub async fn latest_for(
    c: &mut Conn<'_>,
    investor_id: &str,
) -> Result<Option<Assessment>, StoreError> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM assessments a WHERE investor_id = $1 AND NOT EXISTS (SELECT 1 FROM assessment_reviews r \
           WHERE r.assessment_id = a.id AND r.verdict = 'rejected') ORDER BY assessed_at DESC, id DESC LIMIT 1"
    );
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(investor_id)
        .fetch_optional(e)
        .await)?)
}

/// Every assessment of the investor, newest first.
pub async fn all_for(c: &mut Conn<'_>, investor_id: &str) -> Result<Vec<Assessment>, StoreError> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM assessments WHERE investor_id = $1 ORDER BY assessed_at DESC, id DESC"
    );
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(investor_id)
        .fetch_all(e)
        .await)?)
}

/// How many assessments of the investor were recorded since `since` (by when they were entered,
/// so back-dated imports count too).
pub async fn recorded_since(
    c: &mut Conn<'_>,
    investor_id: &str,
    since: chrono::DateTime<chrono::Utc>,
) -> Result<i64, StoreError> {
    let (n,): (i64,) = crate::on_conn!(c, |e| sqlx::query_as(
        "SELECT COUNT(*) FROM assessments WHERE investor_id = $1 AND created_at >= $2"
    )
    .bind(investor_id)
    .bind(since)
    .fetch_one(e)
    .await)?;
    Ok(n)
}

/// A risk reviewer's verdict on an assessment.
#[derive(Debug, Clone, PartialEq, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(as = AssessmentReview)]
pub struct Review {
    pub assessment_id: String,
    /// "accepted" or "rejected".
    pub verdict: String,
    pub note: String,
    pub reviewed_by: String,
    pub reviewed_at: DateTime<Utc>,
}

/// Stores a review; false if the assessment has one already.
pub async fn insert_review(c: &mut Conn<'_>, r: &Review) -> Result<bool, StoreError> {
    let sql = "INSERT INTO assessment_reviews (assessment_id, verdict, note, reviewed_by, reviewed_at) \
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT (assessment_id) DO NOTHING";
    let n = on_conn!(c, |e| sqlx::query(sql)
        .bind(&r.assessment_id)
        .bind(&r.verdict)
        .bind(&r.note)
        .bind(&r.reviewed_by)
        .bind(r.reviewed_at)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn review_of(
    c: &mut Conn<'_>,
    assessment_id: &str,
) -> Result<Option<Review>, StoreError> {
    let sql = "SELECT assessment_id, verdict, note, reviewed_by, reviewed_at FROM assessment_reviews \
               WHERE assessment_id = $1";
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(assessment_id)
        .fetch_optional(e)
        .await)?)
}

pub async fn get(c: &mut Conn<'_>, id: &str) -> Result<Option<Assessment>, StoreError> {
    let sql = concat!("SELECT ", columns!(), " FROM assessments WHERE id = $1");
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(id)
        .fetch_optional(e)
        .await)?)
}
