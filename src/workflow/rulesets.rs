//! Rule sets that risk staff edit: immutable versions, the set's own tests as the gate on upload,
//! an impact preview over every holding, four-eyes activation (never by the author) with a hot
//! swap and a background re-evaluation, rollback by re-activating a retired version, and raw
//! evaluation for rule authors.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::reevaluation::Reevaluation;
use super::{Result, WorkflowError, audit};
use crate::batch::{self, ImpactReport};
use crate::config::Policy;
use crate::decide::DecisionView;
use crate::domain::FieldProblem;
use crate::domain::state::{JobStatus, RuleSetStatus};
use crate::rules::active::ActiveRules;
use crate::rules::pool::{Pool, QUEUE_DEADLINE};
use crate::rules::testing;
use crate::rules::testing::{NotChecked, TestReport};
use crate::rules::{CompiledRuleSet, Facts, RuleFiles};
use crate::store::rulesets::{self, Job, StoredRuleSet};
use crate::store::staff::Staff;
use crate::store::{Conn, Db, holdings, new_id, now};

/// Limits on an uploaded rule set.
pub const MAX_FILES: usize = 200;
pub const MAX_TOTAL_BYTES: usize = 2 * 1024 * 1024;
pub const MAX_NOTE: usize = 2000;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RuleSetSummary {
    pub version: i64,
    pub status: RuleSetStatus,
    pub author_id: Option<String>,
    pub note: String,
    pub created_at: DateTime<Utc>,
    pub activated_at: Option<DateTime<Utc>>,
    pub retired_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RuleSetDetail {
    #[serde(flatten)]
    pub summary: RuleSetSummary,
    /// Path → content, in the layout of `rules/`.
    pub files: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TestCounts {
    pub passed: usize,
    pub failed: usize,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedRuleSet {
    pub version: i64,
    pub status: RuleSetStatus,
    pub tests: TestCounts,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ActivatedRuleSet {
    pub version: i64,
    pub status: RuleSetStatus,
    /// The version that was active before (now retired).
    pub previous: Option<i64>,
    /// The background re-evaluation of every holding; poll `GET /v1/rulesets/{version}/jobs`.
    pub job: Job,
}

pub fn summary(r: &StoredRuleSet) -> RuleSetSummary {
    RuleSetSummary {
        version: r.version,
        status: r.status,
        author_id: r.author_id.clone(),
        note: r.note.clone(),
        created_at: r.created_at,
        activated_at: r.activated_at,
        retired_at: r.retired_at,
    }
}

pub fn detail(r: StoredRuleSet) -> RuleSetDetail {
    RuleSetDetail {
        summary: summary(&r),
        files: r.files.0,
    }
}

/// A version number from a path: anything else is a version that does not exist.
pub fn parse_version(v: &str) -> Result<i64> {
    v.parse::<i64>()
        .map_err(|_| WorkflowError::NotFound("rule set"))
}

/// Every version, newest first.
pub async fn list(c: &mut Conn<'_>) -> Result<Vec<RuleSetSummary>> {
    Ok(rulesets::list(c).await?.iter().map(summary).collect())
}

/// The re-evaluations started by activating a version, newest first.
pub async fn jobs(c: &mut Conn<'_>, version: i64) -> Result<Vec<Job>> {
    Ok(rulesets::jobs_for(c, version).await?)
}

pub async fn load(c: &mut Conn<'_>, version: i64) -> Result<StoredRuleSet> {
    rulesets::get(c, version)
        .await?
        .ok_or(WorkflowError::NotFound("rule set"))
}

pub async fn active(c: &mut Conn<'_>) -> Result<StoredRuleSet> {
    rulesets::active(c)
        .await?
        .ok_or(WorkflowError::NotFound("active rule set"))
}

/// The compiled set of a stored version (compiled once per process).
pub fn compiled(rules: &ActiveRules, stored: &StoredRuleSet) -> Result<Arc<CompiledRuleSet>> {
    rules
        .compiled(stored.version, || stored.files.clone())
        .map_err(|errors| {
            WorkflowError::Internal(format!(
                "stored rule set {} does not compile: {errors:?}",
                stored.version
            ))
        })
}

fn check_layout(files: &BTreeMap<String, String>) -> Result<()> {
    let mut problems = Vec::new();
    if files.len() > MAX_FILES {
        return Err(WorkflowError::RulesTooCostly {
            limit: format!("{} files: at most {MAX_FILES}", files.len()),
        });
    }
    let size: usize = files.values().map(String::len).sum();
    if size > MAX_TOTAL_BYTES {
        return Err(WorkflowError::RulesTooCostly {
            limit: format!("{size} bytes: at most {MAX_TOTAL_BYTES} in all"),
        });
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
                (path.ends_with(".rhai")
                    || path == "checks.toml"
                    || path == "scripts.toml"
                    || path.ends_with(".md"))
                    && name_ok(path)
            }
            Some(("tests", rest)) => rest.ends_with(".toml") && name_ok(rest),
            _ => false,
        };
        if !ok {
            problems.push(FieldProblem::new(
                format!("files.{path}"),
                "not part of a rule set (NN-name.rhai, checks.toml, scripts.toml, tests/*.toml, *.md)",
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(WorkflowError::Invalid(problems))
    }
}

/// The upload's gate without storing anything: the layout checked, every file compiled and the
/// set's own tests run. `rules_invalid` names file, line and column; `rule_tests_failed` lists each
/// failing case with what was expected and what came out.
pub async fn check(files: &BTreeMap<String, String>) -> Result<TestReport> {
    check_layout(files)?;
    let candidate = RuleFiles(files.clone());
    // One set is checked at a time, in an evaluation slot, within the testing budget.
    static CHECKING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _turn = tokio::time::timeout(QUEUE_DEADLINE, CHECKING.lock())
        .await
        .map_err(|_| WorkflowError::Busy)?;
    let report = Pool::global()
        .run(move || testing::compile_and_run(candidate))
        .await?
        .map_err(|e| match e {
            NotChecked::Invalid(errors) => WorkflowError::RulesInvalid(errors),
            NotChecked::TooCostly(limit) => WorkflowError::RulesTooCostly { limit },
        })?;
    if report.failed > 0 {
        return Err(WorkflowError::RuleTestsFailed(Box::new(report)));
    }
    Ok(report)
}

/// Checks, compiles and tests an uploaded set (CPU work, off the async threads), then stores it
/// as the next draft version.
pub async fn upload(
    db: &Db,
    actor: &Staff,
    files: BTreeMap<String, String>,
    note: &str,
) -> Result<CreatedRuleSet> {
    let note = note.trim();
    if note.chars().count() > MAX_NOTE {
        return Err(WorkflowError::field(
            "note",
            format!("must be at most {MAX_NOTE} characters"),
        ));
    }
    let report = check(&files).await?;
    let files = RuleFiles(files);
    let mut tx = db.begin().await?;
    rulesets::lock(&mut tx.conn()).await?;
    let version = rulesets::insert_draft(&mut tx.conn(), &files, &actor.id, note).await?;
    let change = serde_json::json!({"files": &files, "note": note});
    audit::record(
        &mut tx.conn(),
        actor,
        "ruleset.create",
        "ruleset",
        &version.to_string(),
        &change,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(version, author = %actor.name, "rule set draft uploaded");
    Ok(CreatedRuleSet {
        version,
        status: RuleSetStatus::Draft,
        tests: TestCounts {
            passed: report.passed,
            failed: 0,
        },
    })
}

/// The version against the active one on every current holding.
pub async fn impact(
    db: &Db,
    rules: &ActiveRules,
    policy: &Policy,
    version: i64,
) -> Result<ImpactReport> {
    let stored = {
        let mut pooled = db.acquire().await?;
        load(&mut pooled.conn(), version).await?
    };
    let draft = compiled(rules, &stored)?;
    // One preview at a time: each may hold every core for as long as the book takes.
    static PREVIEWING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _turn = tokio::time::timeout(QUEUE_DEADLINE, PREVIEWING.lock())
        .await
        .map_err(|_| WorkflowError::Busy)?;
    let report = batch::impact(db, draft, rules.get(), policy, |done, total| {
        tracing::info!(version, done, total, "impact preview");
    })
    .await?;
    Ok(report)
}

/// Activates a version (four eyes: never by its author), retiring the active one, and swaps it
/// in for this instance (the others follow by polling). Returns the activation and the
/// re-evaluation of every holding, for the caller to run in the background.
pub async fn activate(
    db: &Db,
    rules: &ActiveRules,
    policy: &Policy,
    actor: &Staff,
    version: i64,
) -> Result<(ActivatedRuleSet, Reevaluation)> {
    let stored = {
        let mut pooled = db.acquire().await?;
        load(&mut pooled.conn(), version).await?
    };
    if stored.author_id.as_deref() == Some(actor.id.as_str()) {
        return Err(WorkflowError::forbidden(
            "same_author",
            "a rule set is activated by a different staff member than its author (four eyes)",
        ));
    }
    let already =
        || WorkflowError::conflict("already_active", format!("version {version} is active"));
    if stored.status == RuleSetStatus::Active {
        return Err(already());
    }
    let set = compiled(rules, &stored)?;
    let t = now();
    let mut job = Job {
        id: new_id(),
        version,
        status: JobStatus::Running,
        total: 0,
        processed: 0,
        changed: 0,
        callbacks: 0,
        error: None,
        started_at: t,
        updated_at: t,
    };
    let mut tx = db.begin().await?;
    rulesets::lock(&mut tx.conn()).await?;
    // Checked again under the lock: two activations of one version must not both start a job.
    if load(&mut tx.conn(), version).await?.status == RuleSetStatus::Active {
        return Err(already());
    }
    let previous = rulesets::activate(&mut tx.conn(), version, t).await?;
    // Counted here, so the job row is whole from the start and nothing can fail after commit.
    job.total = holdings::count(&mut tx.conn()).await?;
    rulesets::insert_job(&mut tx.conn(), &job).await?;
    let change = serde_json::json!({"previous": previous});
    audit::record(
        &mut tx.conn(),
        actor,
        "ruleset.activate",
        "ruleset",
        &version.to_string(),
        &change,
    )
    .await?;
    if let Some(previous) = previous {
        let change = serde_json::json!({"replaced_by": version});
        audit::record(
            &mut tx.conn(),
            actor,
            "ruleset.retire",
            "ruleset",
            &previous.to_string(),
            &change,
        )
        .await?;
    }
    tx.commit().await?;
    rules.set(set.clone());
    tracing::info!(version, ?previous, by = %actor.name, "rule set activated");
    let reevaluation = Reevaluation::new(db, set, policy.clone(), job.clone());
    Ok((
        ActivatedRuleSet {
            version,
            status: RuleSetStatus::Active,
            previous,
            job,
        },
        reevaluation,
    ))
}

/// Raw facts to a decision under a version. No store involved beyond loading the version.
pub async fn evaluate(
    db: &Db,
    rules: &ActiveRules,
    version: i64,
    mut facts: Facts,
) -> Result<DecisionView> {
    let stored = {
        let mut pooled = db.acquire().await?;
        load(&mut pooled.conn(), version).await?
    };
    let set = compiled(rules, &stored)?;
    facts.normalise_names();
    let (facts, outcome) = Pool::global().evaluate(set, facts).await?;
    let outcome = outcome.map_err(WorkflowError::RuleFailedOnFacts)?;
    Ok(DecisionView::new(None, None, facts, outcome))
}
