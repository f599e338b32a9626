//! Assessments: scoring a questionnaire for an investor and keeping the record.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Months, Utc};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::access::MAY_BACKDATE_ASSESSMENTS;
use super::extract::{ApiJson, Caller};
use crate::error::ApiError;
use crate::questionnaire::score::{AnswerPoints, Choice, score};
use crate::store::assessments::{self, Assessment, answers_as_lists};
use crate::store::{investors, new_id, now, truncate_micros};

/// How far in the future a supplied `assessed_at` may lie (clock skew between systems).
const FUTURE_TOLERANCE_SECS: i64 = 60;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAssessmentRequest {
    pub questionnaire_id: String,
    /// Question id to option id (single choice) or option ids (multiple choice).
    #[schema(value_type = Object, example = json!({"q1": "a", "q9": ["b", "c"]}))]
    pub answers: BTreeMap<String, Choice>,
    /// When the questionnaire was taken, for importing paper records (risk and admin only).
    pub assessed_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AssessmentResponse {
    pub id: String,
    pub investor_id: String,
    pub questionnaire_id: String,
    pub questionnaire_version: i64,
    pub questionnaire_hash: String,
    pub level: String,
    pub score: i64,
    pub flags: Vec<String>,
    pub assessed_at: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub valid: bool,
    pub answers: BTreeMap<String, Vec<String>>,
    pub breakdown: Vec<AnswerPoints>,
    pub recorded_by: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AssessmentList {
    pub items: Vec<AssessmentResponse>,
}

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/v1/investors/{id}/assessments",
        post(create_assessment).get(list_assessments),
    )
}

fn response(a: Assessment) -> AssessmentResponse {
    AssessmentResponse {
        valid: a.is_valid_at(Utc::now()),
        level: a.level.to_string(),
        id: a.id,
        investor_id: a.investor_id,
        questionnaire_id: a.questionnaire_id,
        questionnaire_version: a.questionnaire_version,
        questionnaire_hash: a.questionnaire_hash,
        score: a.score,
        flags: a.flags,
        assessed_at: a.assessed_at,
        valid_until: a.valid_until,
        answers: a.answers,
        breakdown: a.breakdown,
        recorded_by: a.recorded_by,
    }
}

/// Scores the answers on the questionnaire's current version and stores the assessment.
#[utoipa::path(post, path = "/v1/investors/{id}/assessments", tag = "assessments",
    params(("id" = String, Path)), request_body = CreateAssessmentRequest,
    responses((status = 201, body = AssessmentResponse), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_assessment(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(investor_id): Path<String>,
    ApiJson(req): ApiJson<CreateAssessmentRequest>,
) -> Result<(StatusCode, Json<AssessmentResponse>), ApiError> {
    let recorded_at = now();
    let assessed_at = match req.assessed_at {
        None => recorded_at,
        Some(_) if !caller.has_any(MAY_BACKDATE_ASSESSMENTS) => {
            return Err(ApiError::forbidden(
                "only risk or admin staff may set assessed_at (importing paper records)",
            ));
        }
        Some(t) if t > recorded_at + chrono::Duration::seconds(FUTURE_TOLERANCE_SECS) => {
            return Err(ApiError::field("assessed_at", "must not be in the future"));
        }
        Some(t) => truncate_micros(t),
    };
    let mut tx = state.db.begin().await?;
    let investor = investors::get(&mut tx.conn(), &state.vault, &investor_id)
        .await?
        .ok_or(ApiError::NotFound { what: "investor" })?;
    let questionnaire = state
        .questionnaires
        .latest(&req.questionnaire_id)
        .ok_or_else(|| {
            ApiError::field(
                "questionnaire_id",
                format!("unknown questionnaire '{}'", req.questionnaire_id),
            )
        })?;
    if questionnaire.applies_to != investor.kind {
        return Err(ApiError::field(
            "questionnaire_id",
            format!(
                "applies to {} investors; this investor is an {}",
                questionnaire.applies_to, investor.kind
            ),
        ));
    }
    let scored = score(&questionnaire, &req.answers).map_err(ApiError::validation)?;
    let months = Months::new(state.config.policy.assessment_validity_months);
    let valid_until = assessed_at
        .checked_add_months(months)
        .ok_or_else(|| ApiError::field("assessed_at", "is out of range"))?;
    let assessment = Assessment {
        id: new_id(),
        investor_id: investor.id.clone(),
        questionnaire_id: questionnaire.id.clone(),
        questionnaire_version: questionnaire.version,
        questionnaire_hash: questionnaire.content_hash.clone(),
        answers: answers_as_lists(&req.answers),
        breakdown: scored.breakdown,
        score: scored.score,
        level: scored.level,
        flags: scored.flags,
        assessed_at,
        valid_until,
        recorded_by: caller.id.clone(),
        created_at: recorded_at,
    };
    let previous = assessments::latest_for(&mut tx.conn(), &investor.id).await?;
    assessments::insert(&mut tx.conn(), &assessment).await?;
    // A lower level on what is now the latest assessment re-plans the investor's holdings.
    if let Some(p) = previous
        && p.level > assessment.level
        && assessment.assessed_at >= p.assessed_at
    {
        let n = super::replan::after_level_lowered(&state, &mut tx.conn(), &investor.id, &caller)
            .await?;
        tracing::info!(investor = %investor.id, from = %p.level, to = %assessment.level, holdings = n, "level lowered");
    }
    super::audit::record(&mut tx.conn(), &caller, "assessment.create", "assessment", &assessment.id, &serde_json::json!({
        "investor_id": assessment.investor_id, "questionnaire_id": assessment.questionnaire_id,
        "questionnaire_version": assessment.questionnaire_version, "questionnaire_hash": assessment.questionnaire_hash,
        "answers": assessment.answers, "score": assessment.score, "level": assessment.level.name(),
        "flags": assessment.flags, "assessed_at": assessment.assessed_at})).await?;
    tx.commit().await?;
    tracing::info!(investor = %investor.id, level = %assessment.level, score = assessment.score, "assessment recorded");
    Ok((StatusCode::CREATED, Json(response(assessment))))
}

/// Every assessment of the investor, newest first.
#[utoipa::path(get, path = "/v1/investors/{id}/assessments", tag = "assessments",
    params(("id" = String, Path)),
    responses((status = 200, body = AssessmentList), (status = 404, body = crate::error::ErrorBody)))]
pub async fn list_assessments(
    State(state): State<AppState>,
    Path(investor_id): Path<String>,
) -> Result<Json<AssessmentList>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    let mut c = pooled.conn();
    investors::get(&mut c, &state.vault, &investor_id)
        .await?
        .ok_or(ApiError::NotFound { what: "investor" })?;
    let items = assessments::all_for(&mut c, &investor_id)
        .await?
        .into_iter()
        .map(response)
        .collect();
    Ok(Json(AssessmentList { items }))
}
