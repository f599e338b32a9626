//! Rule tests: `tests/*.toml` beside the rules. Each `[[case]]` gives facts (anything left out
//! takes the defaults of `Facts`) and the expected outcome; only the expectations written are
//! checked. A rule that has no effect in any case is reported too: every rule needs a test.
//!
//! ```toml
//! [[case]]
//! name = "C3 buying R4 is a mismatch"
//! investor = { level = 3 }
//! product = { rating = 4 }
//! [case.expect]
//! verdict = "mismatch"
//! reasons = ["above_tolerance"]                        # the exact set of reason codes
//! requirements = ["mismatch_warning_signed", "dual_recording"]  # the exact set
//! checks_include = ["mismatch_warning_understood"]     # or `checks` for the exact set
//! periodic = "quarterly"                                # or "none"
//! special_callbacks = ["mismatch"]                      # reasons; or { reason, due_in_days, checks }
//! ```
//! A case may instead expect the evaluation to fail: `error = "text the error contains"`.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::Facts;
use super::decision::Outcome;
use super::engine::{CompiledRuleSet, RuleError};
use super::facts::{InvestorFacts, OrderFacts, ProductFacts};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    #[serde(default)]
    case: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    #[serde(default)]
    investor: Option<toml::Table>,
    #[serde(default)]
    product: Option<toml::Table>,
    #[serde(default)]
    order: Option<toml::Table>,
    expect: Expect,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    verdict: Option<String>,
    reasons: Option<Vec<String>>,
    requirements: Option<Vec<String>>,
    checks: Option<Vec<String>>,
    checks_include: Option<Vec<String>>,
    checks_exclude: Option<Vec<String>>,
    periodic: Option<String>,
    special_callbacks: Option<Vec<SpecialExpect>>,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum SpecialExpect {
    Reason(String),
    Full {
        reason: String,
        due_in_days: Option<i64>,
        checks: Option<Vec<String>>,
    },
}

/// One failed case, or a problem with a test file.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TestFailure {
    pub file: String,
    pub case: String,
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TestReport {
    pub passed: usize,
    pub failed: usize,
    pub failures: Vec<TestFailure>,
    /// How each rule file runs: compiled to native code, or in the interpreter and why.
    pub modes: Vec<RunMode>,
}

/// How one rule file runs.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RunMode {
    pub file: String,
    /// "compiled" | "interpreted"
    pub mode: &'static str,
    /// For an interpreted file: the first construct outside the compiled subset, and where.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub because: Option<String>,
}

fn modes(rules: &CompiledRuleSet) -> Vec<RunMode> {
    use super::compile::FileReport;
    rules
        .compile_report()
        .into_iter()
        .map(|(file, r)| match r {
            FileReport::Compiled => RunMode {
                file,
                mode: "compiled",
                because: None,
            },
            FileReport::Interpreted(why) => RunMode {
                file,
                mode: "interpreted",
                because: Some(why.to_string()),
            },
        })
        .collect()
}

impl TestReport {
    fn fail(&mut self, file: &str, case: &str, problems: Vec<String>) {
        self.failed += 1;
        self.failures.push(TestFailure {
            file: file.to_string(),
            case: case.to_string(),
            problems,
        });
    }
}

fn facts_of(case: &Case) -> Result<Facts, String> {
    fn part<T: serde::de::DeserializeOwned + Default>(
        t: &Option<toml::Table>,
        what: &str,
    ) -> Result<T, String> {
        match t {
            None => Ok(T::default()),
            Some(t) => t
                .clone()
                .try_into()
                .map_err(|e: toml::de::Error| format!("{what}: {}", e.message())),
        }
    }
    let mut facts = Facts {
        investor: part::<InvestorFacts>(&case.investor, "investor")?,
        product: part::<ProductFacts>(&case.product, "product")?,
        order: part::<OrderFacts>(&case.order, "order")?,
    };
    // A case that sets only `level` or `rating` gets the matching names.
    let sets = |t: &Option<toml::Table>, k: &str| t.as_ref().is_some_and(|t| t.contains_key(k));
    if !sets(&case.investor, "level_name") || !sets(&case.product, "rating_name") {
        let (level_name, rating_name) = (
            facts.investor.level_name.clone(),
            facts.product.rating_name.clone(),
        );
        facts.normalise_names();
        if sets(&case.investor, "level_name") {
            facts.investor.level_name = level_name;
        }
        if sets(&case.product, "rating_name") {
            facts.product.rating_name = rating_name;
        }
    }
    if !sets(&case.investor, "assessment_valid") && facts.investor.level == 0 {
        facts.investor.assessment_valid = false;
        if !sets(&case.investor, "assessment_age_days") {
            facts.investor.assessment_age_days = -1;
        }
    }
    Ok(facts)
}

fn set(v: impl IntoIterator<Item = impl Into<String>>) -> BTreeSet<String> {
    v.into_iter().map(Into::into).collect()
}

fn compare(expect: &Expect, got: &Outcome) -> Vec<String> {
    let mut problems = Vec::new();
    let mut exact = |what: &str, want: &Option<Vec<String>>, have: BTreeSet<String>| {
        if let Some(want) = want {
            let want = set(want.clone());
            if want != have {
                problems.push(format!("{what}: expected {want:?}, got {have:?}"));
            }
        }
    };
    exact(
        "reasons",
        &expect.reasons,
        set(got.reasons.iter().map(|r| r.code.to_string())),
    );
    exact(
        "requirements",
        &expect.requirements,
        set(got.requirements.iter().map(|r| r.to_string())),
    );
    let checks = set(got.checks.iter().map(|c| c.code.to_string()));
    exact("checks", &expect.checks, checks.clone());
    if let Some(want) = &expect.checks_include {
        let missing: Vec<&String> = want.iter().filter(|c| !checks.contains(*c)).collect();
        if !missing.is_empty() {
            problems.push(format!(
                "checks: expected to include {missing:?}, got {checks:?}"
            ));
        }
    }
    if let Some(unwanted) = &expect.checks_exclude {
        let present: Vec<&String> = unwanted.iter().filter(|c| checks.contains(*c)).collect();
        if !present.is_empty() {
            problems.push(format!("checks: expected not to include {present:?}"));
        }
    }
    if let Some(v) = &expect.verdict
        && v != got.verdict.as_str()
    {
        problems.push(format!(
            "verdict: expected {v}, got {}",
            got.verdict.as_str()
        ));
    }
    if let Some(p) = &expect.periodic {
        let have = got.periodic.map(|f| f.as_str()).unwrap_or("none");
        if p != have {
            problems.push(format!("periodic: expected {p}, got {have}"));
        }
    }
    if let Some(want) = &expect.special_callbacks {
        let have: BTreeSet<String> = got
            .special_callbacks
            .iter()
            .map(|s| s.reason.to_string())
            .collect();
        let reasons: BTreeSet<String> = want
            .iter()
            .map(|w| match w {
                SpecialExpect::Reason(r) => r.clone(),
                SpecialExpect::Full { reason, .. } => reason.clone(),
            })
            .collect();
        if reasons != have {
            problems.push(format!(
                "special_callbacks: expected {reasons:?}, got {have:?}"
            ));
        }
        for w in want {
            if let SpecialExpect::Full {
                reason,
                due_in_days,
                checks,
            } = w
                && let Some(s) = got
                    .special_callbacks
                    .iter()
                    .find(|s| s.reason.as_str() == reason)
            {
                if let Some(d) = due_in_days
                    && *d != s.due_in_days
                {
                    problems.push(format!(
                        "special_callbacks.{reason}: due in {} days, expected {d}",
                        s.due_in_days
                    ));
                }
                if let Some(c) = checks
                    && set(c.clone()) != set(s.checks.iter().map(|c| c.to_string()))
                {
                    problems.push(format!(
                        "special_callbacks.{reason}: checks {:?}, expected {c:?}",
                        s.checks
                    ));
                }
            }
        }
    }
    problems
}

/// What checking one rule set (compiling it and running its tests) may cost. Every case may
/// take up to the sandbox's 100 ms, so without a budget an upload of cases that expect
/// `error = "stopped"` holds a core for as long as its author likes.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub cases: usize,
    pub time: Duration,
}

/// The budget of an upload and of `suitability rules test` alike, so an author sees locally
/// what the service will say.
pub const BUDGET: Budget = Budget {
    cases: 2_000,
    time: Duration::from_secs(10),
};

/// Why a rule set was not checked.
#[derive(Debug)]
pub enum NotChecked {
    /// It does not compile.
    Invalid(Vec<RuleError>),
    /// Checking it would cost more than the budget: the limit, in words.
    TooCostly(String),
}

/// Runs every test file of the set against `rules`.
pub fn run(rules: &CompiledRuleSet) -> TestReport {
    let no_limit = Budget {
        cases: usize::MAX,
        time: Duration::MAX,
    };
    run_within(rules, no_limit, Instant::now()).unwrap_or_else(|limit| {
        let mut report = TestReport::default();
        report.fail("(rule set)", "(budget)", vec![limit]);
        report
    })
}

/// Runs every test file of the set against `rules`, stopping with the limit it would pass when
/// the set has more cases than the budget or the time since `started` runs out.
pub fn run_within(
    rules: &CompiledRuleSet,
    budget: Budget,
    started: Instant,
) -> Result<TestReport, String> {
    let mut report = TestReport {
        modes: modes(rules),
        ..TestReport::default()
    };
    let mut rules_with_effects: BTreeSet<String> = BTreeSet::new();
    let mut any_file = false;
    let mut parsed_files = Vec::new();
    for (file, text) in rules.files.tests() {
        any_file = true;
        match toml::from_str::<TestFile>(text) {
            Ok(p) => parsed_files.push((file, p)),
            Err(e) => {
                let line = e
                    .span()
                    .map(|s| crate::rules::source::line_at(text, s.start));
                let at = line.map(|l| format!(" (line {l})")).unwrap_or_default();
                report.fail(file, "(file)", vec![format!("{}{at}", e.message())]);
            }
        }
    }
    let cases: usize = parsed_files.iter().map(|(_, p)| p.case.len()).sum();
    if cases > budget.cases {
        return Err(format!(
            "{cases} test cases: at most {} per rule set",
            budget.cases
        ));
    }
    for (file, parsed) in parsed_files {
        for case in parsed.case {
            if started.elapsed() > budget.time {
                return Err(too_long(budget));
            }
            let facts = match facts_of(&case) {
                Ok(f) => f,
                Err(e) => {
                    report.fail(file, &case.name, vec![e]);
                    continue;
                }
            };
            if let Some(d) = super::identity::difference(rules, &facts) {
                report.fail(file, &case.name, vec![d]);
                continue;
            }
            let problems = match (rules.evaluate(&facts), &case.expect.error) {
                (Ok(outcome), None) => {
                    for t in &outcome.trace {
                        if !t.effects.is_empty() {
                            rules_with_effects.insert(t.rule.to_string());
                        }
                    }
                    compare(&case.expect, &outcome)
                }
                (Ok(outcome), Some(want)) => {
                    vec![format!(
                        "expected an error containing '{want}', got verdict {}",
                        outcome.verdict.as_str()
                    )]
                }
                (Err(e), Some(want)) if e.to_string().contains(want.as_str()) => Vec::new(),
                (Err(e), _) => vec![format!("evaluation failed: {e}")],
            };
            if problems.is_empty() {
                report.passed += 1;
            } else {
                report.fail(file, &case.name, problems);
            }
        }
    }
    // A rule set whose compiled form differs from the interpreter is refused, never run.
    let over_budget = || started.elapsed() > budget.time;
    match super::identity::difference_on_mix(rules, over_budget) {
        Ok(None) => {}
        Ok(Some(d)) => report.fail("(rule set)", "(compiled = interpreted)", vec![d]),
        Err(super::identity::OverBudget) => return Err(too_long(budget)),
    }
    if !any_file {
        report.fail(
            "tests/",
            "(rule set)",
            vec!["no test files: every rule set needs tests".into()],
        );
    }
    for name in rules.rule_names() {
        if !rules_with_effects.contains(name.as_str()) {
            report.fail(
                &format!("{name}.rhai"),
                "(coverage)",
                vec!["no test case makes this rule do anything".into()],
            );
        }
    }
    Ok(report)
}

fn too_long(budget: Budget) -> String {
    format!(
        "compiling and testing took longer than {} s",
        budget.time.as_secs()
    )
}

/// Compile errors, an exceeded budget or a test report, as `suitability rules test` and
/// rule-set uploads print them.
pub fn compile_and_run(files: super::RuleFiles) -> Result<TestReport, NotChecked> {
    let started = Instant::now();
    let rules = CompiledRuleSet::compile(0, files).map_err(NotChecked::Invalid)?;
    run_within(&rules, BUDGET, started).map_err(NotChecked::TooCostly)
}
