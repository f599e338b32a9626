//! Stored decisions: the facts, the rule-set version and the outcome, for replay and evidence.

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::{Conn, StoreError};
use crate::domain::state::DecisionPurpose;
use crate::on_conn;
use crate::rules::Facts;
use crate::rules::decision::Outcome;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StoredDecision {
    pub id: String,
    pub investor_id: String,
    pub product_id: String,
    pub purpose: DecisionPurpose,
    pub ruleset_version: i64,
    #[sqlx(json)]
    pub facts: Facts,
    #[sqlx(json)]
    pub outcome: Outcome,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The assessment the decision rests on (None without one, and for decisions from before).
    pub assessment_id: Option<String>,
}

macro_rules! columns {
    () => {
        "id, investor_id, product_id, purpose, ruleset_version, facts, outcome, created_by, created_at, assessment_id"
    };
}

pub async fn insert(c: &mut Conn<'_>, d: &StoredDecision) -> Result<(), StoreError> {
    let sql = concat!(
        "INSERT INTO decisions (",
        columns!(),
        ", verdict) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    );
    on_conn!(c, |e| sqlx::query(sql)
        .bind(&d.id)
        .bind(&d.investor_id)
        .bind(&d.product_id)
        .bind(d.purpose)
        .bind(d.ruleset_version)
        .bind(Json(&d.facts))
        .bind(Json(&d.outcome))
        .bind(&d.created_by)
        .bind(d.created_at)
        .bind(&d.assessment_id)
        .bind(d.outcome.verdict.as_str())
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn get(c: &mut Conn<'_>, id: &str) -> Result<Option<StoredDecision>, StoreError> {
    let sql = concat!("SELECT ", columns!(), " FROM decisions WHERE id = $1");
    Ok(on_conn!(c, |e| sqlx::query_as(sql)
        .bind(id)
        .fetch_optional(e)
        .await)?)
}
