//! Rule sets that risk staff edit (`workflow::rulesets`): versions, upload with the tests as the
//! gate, impact preview, four-eyes activation with a background re-evaluation, raw evaluation.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::extract::{ApiJson, Caller};
use crate::batch::ImpactReport;
use crate::decide::DecisionView;
use crate::error::ApiError;
use crate::rules::Facts;
use crate::store::rulesets::Job;
use crate::workflow::rulesets::{
    self, ActivatedRuleSet, CreatedRuleSet, RuleSetDetail, RuleSetSummary, parse_version,
};

#[derive(Serialize, utoipa::ToSchema)]
pub struct RuleSetList {
    pub items: Vec<RuleSetSummary>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"files": {
    "10-matching.rhai": "if investor.investor_type == \"ordinary\" && investor.level < product.rating {\n    decision.mismatch(\"above_tolerance\", `投资者 ${investor.level_name} 低于产品 ${product.rating_name}`);\n    decision.require(\"mismatch_warning_signed\");\n    decision.check(\"mismatch_warning_understood\");\n}\n",
    "checks.toml": "[[checks]]\ncode = \"mismatch_warning_understood\"\nquestion = \"请问您是否已收到并理解《风险不匹配警示函》？\"\nsource = \"适当性办法 第二十二条\"\n\n[requirements]\nmismatch_warning_signed = [\"warning_letter\", \"investor_confirmation\"]\n",
    "tests/matching.toml": "[[case]]\nname = \"C3 购买 R4 为不匹配\"\ninvestor = { level = 3 }\nproduct = { rating = 4 }\n[case.expect]\nverdict = \"mismatch\"\nreasons = [\"above_tolerance\"]\nrequirements = [\"mismatch_warning_signed\"]\n"},
    "note": "普通投资者风险等级低于产品风险等级时须签署风险不匹配警示函"}))]
pub struct CreateRuleSetRequest {
    /// The whole set: `NN-name.rhai`, `checks.toml`, `scripts.toml`, `tests/*.toml` (and optional
    /// `*.md`).
    pub files: BTreeMap<String, String>,
    #[serde(default)]
    pub note: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct JobList {
    pub items: Vec<Job>,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/rulesets", get(list_rulesets).post(create_ruleset))
        .route("/v1/rulesets/active", get(get_active_ruleset))
        .route("/v1/rulesets/{version}", get(get_ruleset))
        .route("/v1/rulesets/{version}/impact", post(preview_impact))
        .route("/v1/rulesets/{version}/activate", post(activate_ruleset))
        .route("/v1/rulesets/{version}/evaluate", post(evaluate_facts))
        .route("/v1/rulesets/{version}/jobs", get(list_jobs))
}

/// Every version, newest first.
#[utoipa::path(get, path = "/v1/rulesets", tag = "rulesets", responses((status = 200, body = RuleSetList)))]
pub async fn list_rulesets(State(state): State<AppState>) -> Result<Json<RuleSetList>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    Ok(Json(RuleSetList {
        items: rulesets::list(&mut pooled.conn()).await?,
    }))
}

/// The active version with its files.
#[utoipa::path(get, path = "/v1/rulesets/active", tag = "rulesets", responses((status = 200, body = RuleSetDetail)))]
pub async fn get_active_ruleset(
    State(state): State<AppState>,
) -> Result<Json<RuleSetDetail>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    let active = rulesets::active(&mut pooled.conn()).await?;
    Ok(Json(rulesets::detail(active)))
}

/// One version with its files.
#[utoipa::path(get, path = "/v1/rulesets/{version}", tag = "rulesets", params(("version" = i64, Path)),
    responses((status = 200, body = RuleSetDetail), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_ruleset(
    State(state): State<AppState>,
    Path(version): Path<String>,
) -> Result<Json<RuleSetDetail>, ApiError> {
    let version = parse_version(&version)?;
    let mut pooled = state.db.acquire().await?;
    let found = rulesets::load(&mut pooled.conn(), version).await?;
    Ok(Json(rulesets::detail(found)))
}

/// Uploads a new version: every file compiled and the set's own tests run. 422 `rules_invalid`
/// naming file, line and column, or `rule_tests_failed` listing each failure; else a draft.
#[utoipa::path(post, path = "/v1/rulesets", tag = "rulesets", request_body = CreateRuleSetRequest,
    responses((status = 201, body = CreatedRuleSet), (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_ruleset(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(req): ApiJson<CreateRuleSetRequest>,
) -> Result<(StatusCode, Json<CreatedRuleSet>), ApiError> {
    let created = rulesets::upload(&state.db, &caller, req.files, &req.note).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// The version against the active one on every current holding: how many change verdict,
/// periodic frequency, checks or special callbacks, with examples.
#[utoipa::path(post, path = "/v1/rulesets/{version}/impact", tag = "rulesets", params(("version" = i64, Path)),
    responses((status = 200, body = ImpactReport), (status = 404, body = crate::error::ErrorBody)))]
pub async fn preview_impact(
    State(state): State<AppState>,
    Path(version): Path<String>,
) -> Result<Json<ImpactReport>, ApiError> {
    let version = parse_version(&version)?;
    let report = rulesets::impact(&state.db, &state.rules, &state.config.policy, version).await?;
    Ok(Json(report))
}

/// Activates a version (four eyes: never its author). The previous active version is retired;
/// every instance switches within seconds; holdings are re-evaluated in the background.
#[utoipa::path(post, path = "/v1/rulesets/{version}/activate", tag = "rulesets", params(("version" = i64, Path)),
    responses((status = 200, body = ActivatedRuleSet), (status = 403, description = "same_author", body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn activate_ruleset(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(version): Path<String>,
) -> Result<Json<ActivatedRuleSet>, ApiError> {
    let version = parse_version(&version)?;
    let (activated, job) = rulesets::activate(
        &state.db,
        &state.rules,
        &state.config.policy,
        &caller,
        version,
    )
    .await?;
    tokio::spawn(job.run(state.db.clone()));
    Ok(Json(activated))
}

/// Progress of the re-evaluations started by activating this version.
#[utoipa::path(get, path = "/v1/rulesets/{version}/jobs", tag = "rulesets", params(("version" = i64, Path)),
    responses((status = 200, body = JobList)))]
pub async fn list_jobs(
    State(state): State<AppState>,
    Path(version): Path<String>,
) -> Result<Json<JobList>, ApiError> {
    let version = parse_version(&version)?;
    let mut pooled = state.db.acquire().await?;
    Ok(Json(JobList {
        items: rulesets::jobs(&mut pooled.conn(), version).await?,
    }))
}

/// Raw facts (`investor`, `product`, `order`, as the rules see them; omitted facts take their
/// documented defaults) to a decision under this version. No store involved.
#[utoipa::path(post, path = "/v1/rulesets/{version}/evaluate", tag = "rulesets", params(("version" = i64, Path)),
    request_body = Facts,
    responses((status = 200, body = DecisionView), (status = 422, description = "invalid facts, or rule_failed naming the rule", body = crate::error::ErrorBody)))]
pub async fn evaluate_facts(
    State(state): State<AppState>,
    Path(version): Path<String>,
    ApiJson(facts): ApiJson<Facts>,
) -> Result<Json<DecisionView>, ApiError> {
    let version = parse_version(&version)?;
    Ok(Json(
        rulesets::evaluate(&state.db, &state.rules, version, facts).await?,
    ))
}
