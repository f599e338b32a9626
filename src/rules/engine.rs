//! Compiled rule sets.
//!
//! One engine per process with every limit set, no module resolver, no file, network or clock
//! access (see `sandbox`). A rule set is compiled once per version; each evaluation gets a fresh
//! scope holding the facts as constants and the `decision`, and runs the rule files in name
//! order. Any failure names the rule file and position.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use rhai::{AST, Engine, ImmutableString, Scope};

use super::catalogue::Catalogue;
use super::compile::{self, FileMode, FileReport, types::Local};
use super::decision::{Decision, Outcome, set_current_rule};
use super::facts::Facts;
pub use super::files::{RuleError, RuleFiles};
use super::sandbox::{DeadlineGuard, engine, limits, runtime_message};
use super::scripts::Scripts;
use super::source;

/// Outcomes (and failures) memoised by facts, for batch work (re-evaluating every holding,
/// impact previews) where many holdings share the same facts. Bounded by entries and by the
/// text the outcomes hold (a draft's rules choose it): cleared when either is full.
const CACHE_CAPACITY: usize = 65_536;
const CACHE_TEXT_BYTES: usize = 64 << 20;

type Memo = std::collections::HashMap<Facts, Result<Arc<Outcome>, RuleError>>;

/// A rule-set version, compiled and ready to evaluate.
pub struct CompiledRuleSet {
    pub version: i64,
    engine: Arc<Engine>,
    names: Vec<ImmutableString>,
    asts: Vec<AST>,
    /// Per file: its compiled program, or why it is interpreted.
    modes: Vec<FileMode>,
    catalogue: Arc<Catalogue>,
    scripts: Arc<Scripts>,
    pub files: RuleFiles,
    cache: std::sync::RwLock<(Memo, usize)>,
}

/// The facts as the interpreter's constants `investor`, `product` and `order`.
fn fact_scope(facts: &Facts) -> Scope<'static> {
    let mut scope = Scope::with_capacity(8);
    scope.push_constant("investor", facts.investor.clone());
    scope.push_constant("product", facts.product.clone());
    scope.push_constant("order", facts.order.clone());
    scope
}

fn replaced() -> RuleError {
    RuleError::file("(rule set)", "`decision` was replaced")
}

impl fmt::Debug for CompiledRuleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompiledRuleSet")
            .field("version", &self.version)
            .field("rules", &self.names)
            .finish()
    }
}

impl CompiledRuleSet {
    /// Compiles every rule file and parses the catalogue; all problems are reported at once.
    pub fn compile(version: i64, files: RuleFiles) -> Result<CompiledRuleSet, Vec<RuleError>> {
        let engine = engine();
        // Every file is read by people (rules, the questions of checks.toml, test names): none
        // may hold characters that display as something other than what they are.
        let mut errors: Vec<RuleError> = files
            .0
            .iter()
            .filter_map(|(file, text)| source::check_text(file, text))
            .collect();
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
        let scripts = match files.0.get("scripts.toml") {
            None => Scripts::shipped().clone(),
            Some(text) => Scripts::parse(text).unwrap_or_else(|(line, message)| {
                errors.push(RuleError {
                    file: "scripts.toml".into(),
                    line,
                    column: None,
                    message,
                });
                Scripts::shipped().clone()
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
            if errors.iter().any(|e| &e.file == file) {
                continue;
            }
            match engine.compile(source) {
                Ok(ast) => {
                    errors.extend(source::check_functions(file, source, &ast));
                    errors.extend(source::check_bindings(file, source));
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
        let catalogue = Arc::new(catalogue);
        let mut modes: Vec<FileMode> = asts
            .iter()
            .map(|ast| compile::compile_file(ast, &catalogue))
            .collect();
        compile::within_budget(&mut modes);
        Ok(CompiledRuleSet {
            version,
            engine,
            names,
            asts,
            modes,
            catalogue,
            scripts: Arc::new(scripts),
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

    /// The callback scripts of this version (the shipped ones if it has no `scripts.toml`).
    pub fn scripts(&self) -> &Scripts {
        &self.scripts
    }

    pub fn rule_names(&self) -> &[ImmutableString] {
        &self.names
    }

    /// Whether every file is compiled.
    pub fn fully_compiled(&self) -> bool {
        self.modes
            .iter()
            .all(|m| matches!(m, FileMode::Compiled(_)))
    }

    /// Whether an evaluation is cheap enough for any thread: every file compiled and small, so
    /// that even a rerun in the interpreter (after a bail) takes well under a millisecond.
    pub fn runs_inline(&self) -> bool {
        self.fully_compiled() && compile::compiled_cost(&self.modes) <= compile::INLINE_COST
    }

    /// The worst-case cost of the compiled files, in units of about 10 ns.
    #[doc(hidden)]
    pub fn compiled_cost(&self) -> u64 {
        compile::compiled_cost(&self.modes)
    }

    /// Whether every file runs in the interpreter.
    pub fn fully_interpreted(&self) -> bool {
        self.modes
            .iter()
            .all(|m| matches!(m, FileMode::Interpreted(_)))
    }

    /// How each rule file runs: compiled, or interpreted and why.
    pub fn compile_report(&self) -> Vec<(String, FileReport)> {
        self.names
            .iter()
            .zip(&self.modes)
            .map(|(n, m)| (format!("{n}.rhai"), m.report()))
            .collect()
    }

    /// Runs every rule on `facts` and returns the raw decision: compiled files as closures, the
    /// others in the interpreter. Where compiled code meets something it does not follow exactly
    /// (it bails), the decision goes back to where it was before that file, and the interpreter
    /// runs from that file on, as if it had run every file: the result is the interpreter's.
    pub fn decide(&self, facts: &Facts) -> Result<Decision, RuleError> {
        if !compile::facts_fit(facts) {
            return self.decide_interpreted(facts);
        }
        // One deadline for the whole evaluation, however much of it is interpreted.
        let mut deadline =
            (!self.fully_compiled()).then(|| DeadlineGuard::start(limits::WALL_CLOCK));
        let mut decision = Decision::new(self.catalogue.clone());
        let mut locals: Vec<Local> = Vec::new();
        let mut scope: Option<Scope> = None;
        let mut bailed = false;
        for (i, mode) in self.modes.iter().enumerate() {
            set_current_rule(i as u16);
            if let (false, FileMode::Compiled(program)) = (bailed, mode) {
                let mark = decision.mark();
                if program.run(facts, &mut decision, &mut locals).is_ok() {
                    continue;
                }
                decision.rewind(mark);
                bailed = true;
                deadline.get_or_insert_with(|| DeadlineGuard::start(limits::WALL_CLOCK));
            }
            let scope = scope.get_or_insert_with(|| fact_scope(facts));
            let base = scope.len();
            scope.push_constant("decision", decision);
            let run = self.run_file(scope, i);
            let back = scope.remove::<Decision>("decision");
            scope.rewind(base);
            run?;
            decision = back.ok_or_else(replaced)?;
        }
        Ok(decision)
    }

    /// The outcome when every file is compiled and runs through without bailing; `None` when
    /// the interpreter is needed (for the evaluation pool, where its clock and threads are).
    pub fn evaluate_compiled(&self, facts: &Facts) -> Option<Outcome> {
        if !self.fully_compiled() || !compile::facts_fit(facts) {
            return None;
        }
        let mut decision = Decision::new(self.catalogue.clone());
        let mut locals: Vec<Local> = Vec::new();
        for (i, mode) in self.modes.iter().enumerate() {
            set_current_rule(i as u16);
            match mode {
                FileMode::Compiled(program) => {
                    program.run(facts, &mut decision, &mut locals).ok()?
                }
                FileMode::Interpreted(_) => return None,
            }
        }
        Some(decision.finish(&self.names, self.version))
    }

    /// Runs one rule file in the interpreter; a failure names the file and position.
    fn run_file(&self, scope: &mut Scope, i: usize) -> Result<(), RuleError> {
        self.engine
            .run_ast_with_scope(scope, &self.asts[i])
            .map_err(|e| {
                let file = format!("{}.rhai", self.names[i]);
                let err = RuleError::at(&file, e.position(), runtime_message(&e));
                // `?`: the message may come from the rule (`throw`), so it is written escaped.
                tracing::warn!(rule = %file, error = ?err.to_string(), "rule failed");
                err
            })
    }

    /// Every rule file in the interpreter: the reference the compiled code is held to.
    pub fn decide_interpreted(&self, facts: &Facts) -> Result<Decision, RuleError> {
        let _deadline = DeadlineGuard::start(limits::WALL_CLOCK);
        self.decide_with_deadline(facts)
    }

    fn decide_with_deadline(&self, facts: &Facts) -> Result<Decision, RuleError> {
        let mut scope = fact_scope(facts);
        scope.push_constant("decision", Decision::new(self.catalogue.clone()));
        let base = scope.len();
        for i in 0..self.asts.len() {
            set_current_rule(i as u16);
            self.run_file(&mut scope, i)?;
            // Variables a rule declares do not leak into the next rule.
            scope.rewind(base);
        }
        scope.remove::<Decision>("decision").ok_or_else(replaced)
    }

    /// Like `evaluate`, every file in the interpreter (identity tests, benchmarks).
    #[doc(hidden)]
    pub fn evaluate_interpreted(&self, facts: &Facts) -> Result<Outcome, RuleError> {
        Ok(self
            .decide_interpreted(facts)?
            .finish(&self.names, self.version))
    }

    /// Runs every rule on `facts` and returns the outcome.
    pub fn evaluate(&self, facts: &Facts) -> Result<Outcome, RuleError> {
        Ok(self.decide(facts)?.finish(&self.names, self.version))
    }

    /// Like `evaluate`, answering repeated facts from a memo. Rules cannot see anything but the
    /// facts (no clock, no I/O), so the same facts always give the same outcome.
    /// A failure is remembered too: a rule that runs to its limit on some facts costs its
    /// 100 ms once, not on every holding that shares them.
    pub fn evaluate_cached(&self, facts: &Facts) -> Result<Arc<Outcome>, RuleError> {
        if let Ok(memo) = self.cache.read()
            && let Some(hit) = memo.0.get(facts)
        {
            return hit.clone();
        }
        let result = self.evaluate(facts).map(Arc::new);
        if let Ok(mut memo) = self.cache.write() {
            let bytes = match &result {
                Ok(o) => o.text_bytes(),
                Err(e) => e.message.len(),
            };
            if memo.0.len() >= CACHE_CAPACITY || memo.1 + bytes > CACHE_TEXT_BYTES {
                memo.0.clear();
                memo.1 = 0;
            }
            memo.1 += bytes;
            memo.0.insert(facts.clone(), result.clone());
        }
        result
    }
}
