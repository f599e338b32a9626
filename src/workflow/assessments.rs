//! Assessments: scoring a questionnaire for an investor and keeping the record (append-only).
//! A lower level on what is now the latest assessment re-plans the investor's holdings.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Ctx, Result, WorkflowError, audit, events, scope};
use crate::config::add_business_months;
use crate::domain::RiskLevel;
use crate::domain::Role;
use crate::domain::investor::CivilCapacity;
use crate::questionnaire::score::LOWEST_CATEGORY;
use crate::questionnaire::score::{AnswerPoints, Choice, score};
use crate::store::assessments::{self, Assessment, answers_as_lists};
use crate::store::staff::Staff;
use crate::store::{Conn, investors, new_id, now, truncate_micros};

/// How far in the future a supplied `assessed_at` may lie (clock skew between systems).
pub const FUTURE_TOLERANCE_SECS: i64 = 60;
/// The flag of an assessment whose answers contradict what is known of the investor; each
/// contradiction follows as `contradiction:<question>:<what>` (e.g. `contradiction:q17:age=11`).
pub const CONTRADICTS_FACTS: &str = "answers_contradict_facts";

/// Answers that what is known contradicts: an age option that does not cover the investor's age
/// on the day of the assessment (from the birth date), and an investable-assets option below the
/// financial assets the investor declared (investable assets include them).
fn contradictions(
    q: &crate::questionnaire::Questionnaire,
    answers: &BTreeMap<String, Vec<String>>,
    investor: &crate::store::investors::Investor,
    at: DateTime<Utc>,
) -> Vec<String> {
    let age = investor.birth_date.map(|born| {
        crate::domain::investor::age_on(
            born,
            at.with_timezone(&crate::config::business_offset())
                .date_naive(),
        )
    });
    let assets = investor.wealth.financial_assets;
    let mut found = Vec::new();
    for question in &q.questions {
        for chosen in answers.get(&question.id).into_iter().flatten() {
            let Some(option) = question.options.iter().find(|o| &o.id == chosen) else {
                continue;
            };
            if let (Some([lo, hi]), Some(age)) = (option.age_range, age)
                && !(lo..=hi).contains(&age)
            {
                found.push(format!("contradiction:{}:age={age}", question.id));
            }
            if let (Some(below), Some(assets)) = (option.assets_below, assets)
                && assets >= crate::domain::Money::from_yuan(below)
            {
                found.push(format!(
                    "contradiction:{}:financial_assets={assets}",
                    question.id
                ));
            }
        }
    }
    found
}

/// The flag of an assessment that raises the level within the retake window of the last one.
pub const LEVEL_RAISED_ON_RETAKE: &str = "level_raised_on_retake";

/// The flag of an assessment of an investor without full civil capacity.
pub const LIMITED_CAPACITY: &str = "limited_civil_capacity";

/// Roles that may back-date an assessment (`assessed_at`, importing paper records).
pub const MAY_BACKDATE_ASSESSMENTS: &[Role] = &[Role::Risk, Role::Admin];

/// Answers as submitted (also the body of `POST /v1/investors/{id}/assessments`).
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"questionnaire_id": "individual", "answers": {
    "q1": "c", "q2": "d", "q3": "a", "q4": "c", "q5": "d", "q6": "b", "q7": "b",
    "q8": "a", "q9": ["b", "c"], "q10": "b", "q11": "b", "q12": ["a", "b"], "q13": "c",
    "q14": "b", "q15": "b", "q16": "d", "q17": "e", "q18": "a", "q19": "c", "q20": "c"}}))]
pub struct Submission {
    pub questionnaire_id: String,
    /// Question id to option id (single choice) or option ids (multiple choice).
    #[schema(value_type = Object, example = json!({"q1": "a", "q9": ["b", "c"]}))]
    pub answers: BTreeMap<String, Choice>,
    /// When the questionnaire was taken, for importing paper records (risk and admin only).
    pub assessed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
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
    /// "staff", or "investor" for answers given through the investor's own link.
    pub submitted_by: String,
}

pub fn response(a: Assessment) -> AssessmentResponse {
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
        submitted_by: a.submitted_by,
    }
}

/// Scores the answers on the questionnaire's current version and stores the assessment.
pub async fn assess(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    investor_id: &str,
    sub: Submission,
) -> Result<AssessmentResponse> {
    assess_submitted(c, ctx, actor, investor_id, sub, SUBMITTED_BY_STAFF).await
}

/// Who gave the answers: staff (with the investor, or from a paper record) or the investor
/// through their own link.
pub const SUBMITTED_BY_STAFF: &str = "staff";
pub const SUBMITTED_BY_INVESTOR: &str = "investor";

/// As [`assess`], recording who gave the answers (`submitted_by`); `actor` is the staff member
/// the assessment is recorded under (for the investor's link, the one who sent it).
pub async fn assess_submitted(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    investor_id: &str,
    sub: Submission,
    submitted_by: &str,
) -> Result<AssessmentResponse> {
    let recorded_at = now();
    let assessed_at = match sub.assessed_at {
        None => recorded_at,
        Some(_) if !actor.has_any(MAY_BACKDATE_ASSESSMENTS) => {
            return Err(WorkflowError::forbidden(
                "forbidden",
                "only risk or admin staff may set assessed_at (importing paper records)",
            ));
        }
        Some(t) if t > recorded_at + chrono::Duration::seconds(FUTURE_TOLERANCE_SECS) => {
            return Err(WorkflowError::field(
                "assessed_at",
                "must not be in the future",
            ));
        }
        Some(t) => truncate_micros(t),
    };
    scope::investor(c, actor, investor_id).await?;
    let investor = investors::get(c, ctx.vault, investor_id)
        .await?
        .ok_or(WorkflowError::NotFound("investor"))?;
    let questionnaire = ctx
        .questionnaires
        .latest(&sub.questionnaire_id)
        .ok_or_else(|| {
            WorkflowError::field(
                "questionnaire_id",
                format!("unknown questionnaire '{}'", sub.questionnaire_id),
            )
        })?;
    if questionnaire.applies_to != investor.kind {
        return Err(WorkflowError::field(
            "questionnaire_id",
            format!(
                "applies to {} investors; this investor is an {}",
                questionnaire.applies_to, investor.kind
            ),
        ));
    }
    // Coaching shows as retakes: a few answers changed until the level is high enough.
    let window = chrono::Duration::days(i64::from(ctx.policy.retake_window_days));
    // Counted under a lock on the investor: two submissions at once cannot both pass the limit.
    crate::store::lock_key(c, &format!("assessments/{investor_id}")).await?;
    let recent = assessments::recorded_since(c, investor_id, recorded_at - window).await?;
    // (Imports of paper records by risk staff, with their own `assessed_at`, are not retakes.)
    if sub.assessed_at.is_none() && recent >= ctx.policy.max_assessments_per_window as i64 {
        return Err(WorkflowError::conflict(
            "too_many_retakes",
            format!(
                "{recent} assessments of this investor in the last {} days: at most {}; risk staff may record a further one",
                ctx.policy.retake_window_days, ctx.policy.max_assessments_per_window
            ),
        ));
    }
    let mut scored = score(&questionnaire, &sub.answers).map_err(WorkflowError::Invalid)?;
    // Without full civil capacity the investor is of the lowest category whatever they answered.
    if investor.civil_capacity != CivilCapacity::Full {
        scored.level = RiskLevel::ALL[0];
        for flag in [LOWEST_CATEGORY, LIMITED_CAPACITY] {
            if !scored.flags.iter().any(|f| f == flag) {
                scored.flags.push(flag.to_string());
            }
        }
    }
    let valid_until = add_business_months(assessed_at, ctx.policy.assessment_validity_months)
        .ok_or_else(|| WorkflowError::field("assessed_at", "is out of range"))?;
    let assessment = Assessment {
        id: new_id(),
        investor_id: investor.id.clone(),
        questionnaire_id: questionnaire.id.clone(),
        questionnaire_version: questionnaire.version,
        questionnaire_hash: questionnaire.content_hash.clone(),
        answers: answers_as_lists(&sub.answers),
        breakdown: scored.breakdown,
        score: scored.score,
        level: scored.level,
        flags: scored.flags,
        assessed_at,
        valid_until,
        recorded_by: actor.id.clone(),
        created_at: recorded_at,
        submitted_by: submitted_by.to_string(),
    };
    let previous = assessments::latest_for(c, &investor.id).await?;
    let mut assessment = assessment;
    let contradictions =
        contradictions(&questionnaire, &assessment.answers, &investor, assessed_at);
    if !contradictions.is_empty() {
        assessment.flags.push(CONTRADICTS_FACTS.to_string());
        assessment.flags.extend(contradictions);
    }
    if let Some(p) = &previous
        && assessment.level > p.level
        && assessment.assessed_at - p.assessed_at < window
    {
        assessment.flags.push(LEVEL_RAISED_ON_RETAKE.to_string());
    }
    assessments::insert(c, &assessment).await?;
    if let Some(p) = previous
        && p.level != assessment.level
        && assessment.assessed_at >= p.assessed_at
    {
        let lowered = p.level > assessment.level;
        let n = events::after_level_changed(c, ctx, actor, &investor.id, lowered).await?;
        tracing::info!(investor = %investor.id, from = %p.level, to = %assessment.level, holdings = n, "level changed");
    }
    audit::record(c, actor, "assessment.create", "assessment", &assessment.id, &serde_json::json!({
        "investor_id": assessment.investor_id, "questionnaire_id": assessment.questionnaire_id,
        "questionnaire_version": assessment.questionnaire_version, "questionnaire_hash": assessment.questionnaire_hash,
        "answers": assessment.answers, "score": assessment.score, "level": assessment.level.name(),
        "flags": assessment.flags, "assessed_at": assessment.assessed_at})).await?;
    tracing::info!(investor = %investor.id, level = %assessment.level, score = assessment.score, "assessment recorded");
    Ok(response(assessment))
}

/// Every assessment of the investor, newest first.
pub async fn list(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    investor_id: &str,
) -> Result<Vec<AssessmentResponse>> {
    scope::investor(c, actor, investor_id).await?;
    investors::get(c, ctx.vault, investor_id)
        .await?
        .ok_or(WorkflowError::NotFound("investor"))?;
    Ok(assessments::all_for(c, investor_id)
        .await?
        .into_iter()
        .map(response)
        .collect())
}
