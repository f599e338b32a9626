//! Rule sets that risk staff edit: immutable versions, tests as the gate on upload, an impact
//! preview over every holding, four-eyes activation with hot swap and background re-evaluation,
//! rollback by re-activating a retired version, and raw evaluation for rule authors.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::extract::{ApiJson, Caller};
use crate::decide::DecisionView;
use crate::error::{ApiError, FieldProblem};
use crate::rules::testing::{self, TestReport};
use crate::rules::{CompiledRuleSet, Facts, RuleError, RuleFiles};
use crate::store::rulesets::{self, Job, StoredRuleSet};
use crate::store::{new_id, now};

/// Limits on an uploaded rule set.
const MAX_FILES: usize = 200;
const MAX_TOTAL_BYTES: usize = 2 * 1024 * 1024;

#[derive(Serialize, utoipa::ToSchema)]
pub struct RuleSetSummary {
    pub version: i64,
    /// "draft", "active" or "retired".
    pub status: String,
    pub author_id: Option<String>,
    pub note: String,
    pub created_at: DateTime<Utc>,
    pub activated_at: Option<DateTime<Utc>>,
    pub retired_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RuleSetDetail {
    #[serde(flatten)]
    pub summary: RuleSetSummary,
    /// Path → content, in the layout of `rules/`.
    pub files: BTreeMap<String, String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RuleSetList {
    pub items: Vec<RuleSetSummary>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRuleSetRequest {
    /// The whole set: `NN-name.rhai`, `checks.toml`, `tests/*.toml` (and optional `*.md`).
    pub files: BTreeMap<String, String>,
    #[serde(default)]
    pub note: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TestCounts {
    pub passed: usize,
    pub failed: usize,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedRuleSet {
    pub version: i64,
    pub status: String,
    pub tests: TestCounts,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ActivatedRuleSet {
    pub version: i64,
    pub status: String,
    /// The version that was active before (now retired).
    pub previous: Option<i64>,
    /// The background re-evaluation of every holding; poll `GET /v1/rulesets/{version}/jobs`.
    pub job: Job,
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

fn summary(r: &StoredRuleSet) -> RuleSetSummary {
    RuleSetSummary {
        version: r.version,
        status: r.status.clone(),
        author_id: r.author_id.clone(),
        note: r.note.clone(),
        created_at: r.created_at,
        activated_at: r.activated_at,
        retired_at: r.retired_at,
    }
}

fn detail(r: StoredRuleSet) -> RuleSetDetail {
    RuleSetDetail {
        summary: summary(&r),
        files: r.files.0,
    }
}

fn parse_version(v: &str) -> Result<i64, ApiError> {
    v.parse::<i64>()
        .map_err(|_| ApiError::NotFound { what: "rule set" })
}

async fn load(state: &AppState, version: i64) -> Result<StoredRuleSet, ApiError> {
    let mut pooled = state.db.acquire().await?;
    rulesets::get(&mut pooled.conn(), version)
        .await?
        .ok_or(ApiError::NotFound { what: "rule set" })
}

/// The compiled set of a stored version (compiled once per process).
pub fn compiled(
    state: &AppState,
    stored: &StoredRuleSet,
) -> Result<Arc<CompiledRuleSet>, ApiError> {
    state
        .rules
        .compiled(stored.version, || stored.files.clone())
        .map_err(|errors| {
            ApiError::Internal(format!(
                "stored rule set {} does not compile: {errors:?}",
                stored.version
            ))
        })
}

/// Every version, newest first.
#[utoipa::path(get, path = "/v1/rulesets", tag = "rulesets", responses((status = 200, body = RuleSetList)))]
pub async fn list_rulesets(State(state): State<AppState>) -> Result<Json<RuleSetList>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    let items = rulesets::list(&mut pooled.conn())
        .await?
        .iter()
        .map(summary)
        .collect();
    Ok(Json(RuleSetList { items }))
}

/// The active version with its files.
#[utoipa::path(get, path = "/v1/rulesets/active", tag = "rulesets", responses((status = 200, body = RuleSetDetail)))]
pub async fn get_active_ruleset(
    State(state): State<AppState>,
) -> Result<Json<RuleSetDetail>, ApiError> {
    let mut pooled = state.db.acquire().await?;
    let r = rulesets::active(&mut pooled.conn())
        .await?
        .ok_or(ApiError::NotFound {
            what: "active rule set",
        })?;
    Ok(Json(detail(r)))
}

/// One version with its files.
#[utoipa::path(get, path = "/v1/rulesets/{version}", tag = "rulesets", params(("version" = i64, Path)),
    responses((status = 200, body = RuleSetDetail), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_ruleset(
    State(state): State<AppState>,
    Path(version): Path<String>,
) -> Result<Json<RuleSetDetail>, ApiError> {
    Ok(Json(detail(load(&state, parse_version(&version)?).await?)))
}

fn check_layout(files: &BTreeMap<String, String>) -> Result<(), ApiError> {
    let mut problems = Vec::new();
    if files.len() > MAX_FILES {
        problems.push(FieldProblem::new(
            "files",
            format!("at most {MAX_FILES} files"),
        ));
    }
    if files.values().map(String::len).sum::<usize>() > MAX_TOTAL_BYTES {
        problems.push(FieldProblem::new(
            "files",
            format!("at most {MAX_TOTAL_BYTES} bytes in all"),
        ));
    }
    for path in files.keys() {
        let name_ok = |n: &str| {
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                && !n.starts_with('.')
        };
        let ok = match path.split_once('/') {
            None => {
                (path.ends_with(".rhai") || path == "checks.toml" || path.ends_with(".md"))
                    && name_ok(path)
            }
            Some(("tests", rest)) => rest.ends_with(".toml") && name_ok(rest),
            _ => false,
        };
        if !ok {
            problems.push(FieldProblem::new(
                format!("files.{path}"),
                "not part of a rule set (NN-name.rhai, checks.toml, tests/*.toml, *.md)",
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(problems))
    }
}

fn compile_problems(errors: &[RuleError]) -> ApiError {
    ApiError::Unprocessable {
        code: "rules_invalid",
        message: format!(
            "{} problem(s): {}",
            errors.len(),
            errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        ),
        details: errors
            .iter()
            .map(|e| {
                let at = match (e.line, e.column) {
                    (Some(l), Some(c)) => format!("line {l}, column {c}: "),
                    (Some(l), None) => format!("line {l}: "),
                    _ => String::new(),
                };
                FieldProblem::new(format!("files.{}", e.file), format!("{at}{}", e.message))
            })
            .collect(),
        extra: Some(serde_json::json!({ "errors": errors })),
    }
}

fn failing_tests(report: &TestReport) -> ApiError {
    ApiError::Unprocessable {
        code: "rule_tests_failed",
        message: format!("{} passed, {} failed", report.passed, report.failed),
        details: report
            .failures
            .iter()
            .map(|f| {
                FieldProblem::new(
                    format!("files.{}", f.file),
                    format!("{}: {}", f.case, f.problems.join("; ")),
                )
            })
            .collect(),
        extra: Some(serde_json::json!({ "tests": report })),
    }
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
    check_layout(&req.files)?;
    if req.note.chars().count() > 2000 {
        return Err(ApiError::field("note", "must be at most 2000 characters"));
    }
    let files = RuleFiles(req.files);
    let candidate = files.clone();
    // Compiling and running the tests is CPU work (bounded by the sandbox's limits).
    let report = tokio::task::spawn_blocking(move || testing::compile_and_run(candidate))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|errors| compile_problems(&errors))?;
    if report.failed > 0 {
        return Err(failing_tests(&report));
    }
    let mut tx = state.db.begin().await?;
    rulesets::lock(&mut tx.conn()).await?;
    let version =
        rulesets::insert_draft(&mut tx.conn(), &files, &caller.id, req.note.trim()).await?;
    super::audit::record(
        &mut tx.conn(),
        &caller,
        "ruleset.create",
        "ruleset",
        &version.to_string(),
        &serde_json::json!({"files": &files, "note": req.note.trim()}),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(version, author = %caller.name, "rule set draft uploaded");
    Ok((
        StatusCode::CREATED,
        Json(CreatedRuleSet {
            version,
            status: "draft".into(),
            tests: TestCounts {
                passed: report.passed,
                failed: 0,
            },
        }),
    ))
}

/// The version against the active one on every current holding: how many change verdict,
/// periodic frequency, checks or special callbacks, with examples.
#[utoipa::path(post, path = "/v1/rulesets/{version}/impact", tag = "rulesets", params(("version" = i64, Path)),
    responses((status = 200, body = crate::batch::ImpactReport), (status = 404, body = crate::error::ErrorBody)))]
pub async fn preview_impact(
    State(state): State<AppState>,
    Path(version): Path<String>,
) -> Result<Json<crate::batch::ImpactReport>, ApiError> {
    let stored = load(&state, parse_version(&version)?).await?;
    let draft = compiled(&state, &stored)?;
    let active = state.rules.get();
    let report = crate::batch::impact(
        &state.db,
        draft,
        active,
        &state.config.policy,
        |done, total| {
            tracing::info!(version = stored.version, done, total, "impact preview");
        },
    )
    .await?;
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
    let stored = load(&state, parse_version(&version)?).await?;
    if stored.author_id.as_deref() == Some(caller.id.as_str()) {
        return Err(ApiError::Forbidden {
            code: "same_author",
            message:
                "a rule set is activated by a different staff member than its author (four eyes)"
                    .into(),
        });
    }
    if stored.status == "active" {
        return Err(ApiError::Conflict {
            code: "already_active",
            message: format!("version {} is active", stored.version),
        });
    }
    let set = compiled(&state, &stored)?;
    let t = now();
    let mut job = Job {
        id: new_id(),
        version: stored.version,
        status: "running".into(),
        total: 0,
        processed: 0,
        changed: 0,
        callbacks: 0,
        error: None,
        started_at: t,
        updated_at: t,
    };
    let mut tx = state.db.begin().await?;
    rulesets::lock(&mut tx.conn()).await?;
    // Checked again under the lock: two activations of one version must not both start a job.
    let current = rulesets::get(&mut tx.conn(), stored.version)
        .await?
        .ok_or(ApiError::NotFound { what: "rule set" })?;
    if current.status == "active" {
        return Err(ApiError::Conflict {
            code: "already_active",
            message: format!("version {} is active", stored.version),
        });
    }
    let previous = rulesets::activate(&mut tx.conn(), stored.version, t).await?;
    rulesets::insert_job(&mut tx.conn(), &job).await?;
    super::audit::record(
        &mut tx.conn(),
        &caller,
        "ruleset.activate",
        "ruleset",
        &stored.version.to_string(),
        &serde_json::json!({"previous": previous}),
    )
    .await?;
    tx.commit().await?;
    state.rules.set(set.clone());
    tracing::info!(version = stored.version, ?previous, by = %caller.name, "rule set activated");
    let (db, policy, mut running) = (state.db.clone(), state.config.policy.clone(), job.clone());
    tokio::spawn(async move {
        let result =
            crate::batch::reevaluate_after_activation(&db, set, &policy, &mut running).await;
        running.status = if result.is_ok() {
            "done".into()
        } else {
            "failed".into()
        };
        running.error = result.err().map(|e| e.to_string());
        running.updated_at = now();
        if let Ok(mut pooled) = db.acquire().await
            && let Err(e) = rulesets::update_job(&mut pooled.conn(), &running).await
        {
            tracing::error!(error = %e, "cannot record the re-evaluation job");
        }
    });
    job.status = "running".into();
    Ok(Json(ActivatedRuleSet {
        version: stored.version,
        status: "active".into(),
        previous,
        job,
    }))
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
        items: rulesets::jobs_for(&mut pooled.conn(), version).await?,
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
    ApiJson(mut facts): ApiJson<Facts>,
) -> Result<Json<DecisionView>, ApiError> {
    let stored = load(&state, parse_version(&version)?).await?;
    let set = compiled(&state, &stored)?;
    facts.normalise_names();
    let f = facts.clone();
    let outcome = tokio::task::spawn_blocking(move || set.evaluate(&f))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Unprocessable {
            code: "rule_failed",
            message: format!("rule {e}"),
            details: vec![FieldProblem::new(e.file.clone(), e.to_string())],
            extra: None,
        })?;
    Ok(Json(DecisionView::new(None, None, facts, outcome)))
}
