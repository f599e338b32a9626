//! The sandboxed rhai engine and compiled rule sets.
//!
//! One engine per process with every limit set, no module resolver, no file, network or clock
//! access (`new_raw` plus the pure packages). A rule set is compiled once per version; each
//! evaluation gets a fresh scope holding the facts as constants and the `decision`, and runs the
//! rule files in name order. Any failure names the rule file and position.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rhai::packages::{
    ArithmeticPackage, BasicArrayPackage, BasicFnPackage, BasicIteratorPackage, BasicMapPackage,
    BasicMathPackage, BasicStringPackage, LogicPackage, MoreStringPackage, Package,
};
use rhai::{AST, Dynamic, Engine, EvalAltResult, ImmutableString, Position, Scope};
use serde::Serialize;

use super::catalogue::Catalogue;
use super::decision::{Decision, Outcome};
use super::facts::{self, Facts};

/// Sandbox limits. Generous for real rules, tight enough that a runaway one stops in
/// milliseconds.
pub mod limits {
    pub const MAX_OPERATIONS: u64 = 200_000;
    pub const MAX_CALL_LEVELS: usize = 32;
    pub const MAX_EXPR_DEPTH: usize = 64;
    pub const MAX_FN_EXPR_DEPTH: usize = 32;
    pub const MAX_STRING_SIZE: usize = 4_096;
    pub const MAX_ARRAY_SIZE: usize = 256;
    pub const MAX_MAP_SIZE: usize = 256;
    pub const MAX_VARIABLES: usize = 128;
    pub const MAX_FUNCTIONS: usize = 64;
    pub const MAX_SOURCE_BYTES: usize = 64 * 1024;
    /// Lines `print`/`debug` may log in one evaluation of a whole rule set.
    pub const MAX_LOG_LINES: u32 = 16;
    /// Wall-clock budget of one evaluation of a whole rule set.
    pub const WALL_CLOCK: std::time::Duration = std::time::Duration::from_millis(200);
}

/// The files of a rule set, by path relative to the set's folder (`20-matching.rhai`,
/// `checks.toml`, `tests/matching.toml`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RuleFiles(pub BTreeMap<String, String>);

impl RuleFiles {
    /// Reads `*.rhai`, `checks.toml` and `tests/*.toml` of a rule folder.
    pub fn from_dir(dir: &Path) -> Result<RuleFiles, RuleError> {
        let io = |path: &Path, e: std::io::Error| {
            RuleError::file(path.display().to_string(), format!("cannot read: {e}"))
        };
        let mut files = BTreeMap::new();
        let mut read = |sub: &str, filter: &dyn Fn(&str) -> bool| -> Result<(), RuleError> {
            let folder = if sub.is_empty() {
                dir.to_path_buf()
            } else {
                dir.join(sub)
            };
            if !folder.is_dir() {
                return Ok(());
            }
            for entry in std::fs::read_dir(&folder).map_err(|e| io(&folder, e))? {
                let path = entry.map_err(|e| io(&folder, e))?.path();
                let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                    continue;
                };
                if path.is_file() && filter(name) {
                    let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
                    let key = if sub.is_empty() {
                        name.to_string()
                    } else {
                        format!("{sub}/{name}")
                    };
                    files.insert(key, text);
                }
            }
            Ok(())
        };
        read("", &|n| n.ends_with(".rhai") || n == "checks.toml")?;
        read("tests", &|n| n.ends_with(".toml"))?;
        Ok(RuleFiles(files))
    }

    /// The rule files, in the order they run.
    pub fn rules(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0
            .iter()
            .filter(|(k, _)| !k.contains('/') && k.ends_with(".rhai"))
    }

    pub fn tests(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0
            .iter()
            .filter(|(k, _)| k.starts_with("tests/") && k.ends_with(".toml"))
    }
}

/// A problem with a rule set, naming the file and, where known, the line and column.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RuleError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl RuleError {
    pub fn file(file: impl Into<String>, message: impl Into<String>) -> Self {
        RuleError {
            file: file.into(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    fn at(file: &str, pos: Position, message: String) -> Self {
        RuleError {
            file: file.to_string(),
            line: pos.line(),
            column: pos.position(),
            message,
        }
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for RuleError {}

thread_local! {
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
    /// Lines a rule may still log in this evaluation.
    static LOG_BUDGET: Cell<u32> = const { Cell::new(0) };
}

/// The process-wide sandboxed engine.
pub fn engine() -> Arc<Engine> {
    static ENGINE: OnceLock<Arc<Engine>> = OnceLock::new();
    ENGINE.get_or_init(|| Arc::new(build_engine())).clone()
}

fn build_engine() -> Engine {
    use limits::*;
    let mut engine = Engine::new_raw();
    // Pure language packages only: no time (rules must replay identically), no I/O of any kind.
    for lib in [
        // Not `CorePackage`: its language-core part has `sleep`, which blocks the thread where no
        // operation limit or clock check can stop it, and `exit`.
        ArithmeticPackage::new().as_shared_module(),
        BasicStringPackage::new().as_shared_module(),
        BasicIteratorPackage::new().as_shared_module(),
        BasicFnPackage::new().as_shared_module(),
        LogicPackage::new().as_shared_module(),
        BasicMathPackage::new().as_shared_module(),
        BasicArrayPackage::new().as_shared_module(),
        BasicMapPackage::new().as_shared_module(),
        MoreStringPackage::new().as_shared_module(),
    ] {
        engine.register_global_module(lib);
    }
    engine.disable_symbol("eval");
    engine.disable_symbol("sleep");
    engine
        .set_max_operations(MAX_OPERATIONS)
        .set_max_call_levels(MAX_CALL_LEVELS)
        .set_max_expr_depths(MAX_EXPR_DEPTH, MAX_FN_EXPR_DEPTH)
        .set_max_string_size(MAX_STRING_SIZE)
        .set_max_array_size(MAX_ARRAY_SIZE)
        .set_max_map_size(MAX_MAP_SIZE)
        .set_max_variables(MAX_VARIABLES)
        .set_max_functions(MAX_FUNCTIONS);
    engine.on_progress(|ops| {
        // Checking the clock every 1024 operations keeps the guard off the hot path.
        if ops % 1024 == 0 {
            let late = DEADLINE.with(|d| d.get().is_some_and(|t| Instant::now() > t));
            if late {
                return Some(Dynamic::from("wall-clock limit exceeded"));
            }
        }
        None
    });
    // A rule's print and debug lines go to the log, a few per evaluation: a loop cannot flood it.
    engine.on_print(|text| {
        if take_log_budget() {
            tracing::info!(target: "rules", "{text}");
        }
    });
    engine.on_debug(|text, source, pos| {
        if take_log_budget() {
            tracing::debug!(target: "rules", ?source, %pos, "{text}");
        }
    });
    facts::register(&mut engine);
    super::decision::register(&mut engine);
    engine
}

/// Outcomes memoised by facts, for batch work (re-evaluating every holding, impact previews)
/// where many holdings share the same facts. Bounded: cleared when full.
const CACHE_CAPACITY: usize = 65_536;

/// A rule-set version, compiled and ready to evaluate.
pub struct CompiledRuleSet {
    pub version: i64,
    engine: Arc<Engine>,
    names: Vec<ImmutableString>,
    asts: Vec<AST>,
    catalogue: Arc<Catalogue>,
    pub files: RuleFiles,
    cache: std::sync::RwLock<std::collections::HashMap<Facts, Arc<Outcome>>>,
}

impl fmt::Debug for CompiledRuleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompiledRuleSet")
            .field("version", &self.version)
            .field("rules", &self.names)
            .finish()
    }
}

fn take_log_budget() -> bool {
    LOG_BUDGET.with(|b| {
        let left = b.get();
        b.set(left.saturating_sub(1));
        left > 0
    })
}

struct DeadlineGuard;

impl DeadlineGuard {
    fn start(budget: Duration) -> Self {
        DEADLINE.with(|d| d.set(Some(Instant::now() + budget)));
        LOG_BUDGET.with(|b| b.set(limits::MAX_LOG_LINES));
        DeadlineGuard
    }
}

impl Drop for DeadlineGuard {
    fn drop(&mut self) {
        DEADLINE.with(|d| d.set(None));
    }
}

fn runtime_message(e: &EvalAltResult) -> String {
    match e {
        EvalAltResult::ErrorTerminated(..) => {
            format!(
                "stopped: took longer than {} ms",
                limits::WALL_CLOCK.as_millis()
            )
        }
        EvalAltResult::ErrorTooManyOperations(..) => {
            format!(
                "stopped: more than {} operations (an endless loop?)",
                limits::MAX_OPERATIONS
            )
        }
        EvalAltResult::ErrorStackOverflow(..) => {
            format!(
                "stopped: calls nested deeper than {} (endless recursion?)",
                limits::MAX_CALL_LEVELS
            )
        }
        other => {
            let text = other.to_string();
            // rhai appends the position, which RuleError carries separately.
            match text.rfind(" (line ") {
                Some(i) => text[..i].to_string(),
                None => text,
            }
        }
    }
}

impl CompiledRuleSet {
    /// Compiles every rule file and parses the catalogue; all problems are reported at once.
    pub fn compile(version: i64, files: RuleFiles) -> Result<CompiledRuleSet, Vec<RuleError>> {
        let engine = engine();
        let mut errors = Vec::new();
        let catalogue = match files.0.get("checks.toml") {
            None => {
                errors.push(RuleError::file(
                    "checks.toml",
                    "missing: every rule set needs its check catalogue",
                ));
                Catalogue::default()
            }
            Some(text) => Catalogue::parse(text).unwrap_or_else(|(line, message)| {
                errors.push(RuleError {
                    file: "checks.toml".into(),
                    line,
                    column: None,
                    message,
                });
                Catalogue::default()
            }),
        };
        let mut names = Vec::new();
        let mut asts = Vec::new();
        for (file, source) in files.rules() {
            if source.len() > limits::MAX_SOURCE_BYTES {
                errors.push(RuleError::file(
                    file,
                    format!("larger than {} bytes", limits::MAX_SOURCE_BYTES),
                ));
                continue;
            }
            match engine.compile(source) {
                Ok(ast) => {
                    names.push(ImmutableString::from(file.trim_end_matches(".rhai")));
                    asts.push(ast);
                }
                Err(e) => errors.push(RuleError::at(file, e.1, e.0.to_string())),
            }
        }
        if names.is_empty() && errors.is_empty() {
            errors.push(RuleError::file("(rule set)", "no rule files (*.rhai)"));
        }
        if names.len() > usize::from(u16::MAX) {
            errors.push(RuleError::file("(rule set)", "too many rule files"));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(CompiledRuleSet {
            version,
            engine,
            names,
            asts,
            catalogue: Arc::new(catalogue),
            files,
            cache: Default::default(),
        })
    }

    /// Compiles a rule folder as `version`.
    pub fn from_dir(version: i64, dir: &Path) -> Result<CompiledRuleSet, Vec<RuleError>> {
        let files = RuleFiles::from_dir(dir).map_err(|e| vec![e])?;
        Self::compile(version, files)
    }

    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    pub fn rule_names(&self) -> &[ImmutableString] {
        &self.names
    }

    /// Runs every rule on `facts` and returns the raw decision.
    pub fn decide(&self, facts: &Facts) -> Result<Decision, RuleError> {
        let _deadline = DeadlineGuard::start(limits::WALL_CLOCK);
        let mut scope = Scope::with_capacity(8);
        scope.push_constant("investor", facts.investor.clone());
        scope.push_constant("product", facts.product.clone());
        scope.push_constant("order", facts.order.clone());
        scope.push_constant("decision", Decision::new(self.catalogue.clone()));
        let base = scope.len();
        for (i, (name, ast)) in self.names.iter().zip(&self.asts).enumerate() {
            super::decision::set_current_rule(i as u16);
            if let Err(e) = self.engine.run_ast_with_scope(&mut scope, ast) {
                let file = format!("{name}.rhai");
                let err = RuleError::at(&file, e.position(), runtime_message(&e));
                tracing::warn!(rule = %file, error = %err, "rule failed");
                return Err(err);
            }
            // Variables a rule declares do not leak into the next rule.
            scope.rewind(base);
        }
        scope
            .remove::<Decision>("decision")
            .ok_or_else(|| RuleError::file("(rule set)", "`decision` was replaced"))
    }

    /// Runs every rule on `facts` and returns the outcome.
    pub fn evaluate(&self, facts: &Facts) -> Result<Outcome, RuleError> {
        Ok(self.decide(facts)?.finish(&self.names, self.version))
    }

    /// Like `evaluate`, answering repeated facts from a memo. Rules cannot see anything but the
    /// facts (no clock, no I/O), so the same facts always give the same outcome.
    pub fn evaluate_cached(&self, facts: &Facts) -> Result<Arc<Outcome>, RuleError> {
        if let Ok(map) = self.cache.read()
            && let Some(hit) = map.get(facts)
        {
            return Ok(hit.clone());
        }
        let outcome = Arc::new(self.evaluate(facts)?);
        if let Ok(mut map) = self.cache.write() {
            if map.len() >= CACHE_CAPACITY {
                map.clear();
            }
            map.insert(facts.clone(), outcome.clone());
        }
        Ok(outcome)
    }
}
