//! The process-wide sandboxed rhai engine: pure language packages only, every limit set, and
//! the per-evaluation guards (deadline, memory budget, log budget) its hooks check.

use std::cell::Cell;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rhai::packages::{
    ArithmeticPackage, BasicArrayPackage, BasicFnPackage, BasicIteratorPackage, BasicMapPackage,
    BasicMathPackage, BasicStringPackage, LogicPackage, MoreStringPackage, Package,
};
use rhai::{Dynamic, Engine, EvalAltResult};

use super::facts;
use crate::memory::Mark;

/// What the progress hook returns to stop an evaluation; `runtime_message` words it.
const OVER_TIME: &str = "time";
const OVER_MEMORY: &str = "memory";

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
    pub const WALL_CLOCK: std::time::Duration = std::time::Duration::from_millis(100);
    /// Heap one evaluation may hold. The progress hook checks it after every operation, and no
    /// single operation can more than double what is held (strings, arrays and maps are capped,
    /// function pointers cannot be curried), so an evaluation never holds more than twice this.
    pub const MAX_MEMORY: usize = 8 << 20;
}

thread_local! {
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
    /// Heap use of this thread when the running evaluation began.
    static MEMORY: Cell<Option<Mark>> = const { Cell::new(None) };
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
    // Currying copies the curried values into the pointer: a pointer curried with itself doubles
    // with every call, a few operations to a gigabyte. Without it (and without closures, left out
    // at build time) a function pointer is a name and nothing else.
    engine.disable_symbol("curry");
    engine
        .set_max_operations(MAX_OPERATIONS)
        .set_max_call_levels(MAX_CALL_LEVELS)
        .set_max_expr_depths(MAX_EXPR_DEPTH, MAX_FN_EXPR_DEPTH)
        .set_max_string_size(MAX_STRING_SIZE)
        .set_max_array_size(MAX_ARRAY_SIZE)
        .set_max_map_size(MAX_MAP_SIZE)
        .set_max_variables(MAX_VARIABLES)
        .set_max_functions(MAX_FUNCTIONS);
    // `let decision = #{ reject: … }` would replace the decision (or a fact) for the rest of the
    // file: no variable may shadow another, the facts and the decision included.
    engine.set_allow_shadowing(false);
    // No folding of constants when a file compiles: the optimizer joins constant texts with no
    // size limit (`const B = `${A}${A}…``, nested, asked for gigabytes at upload); unfolded, the
    // same text is built when the rule runs, under the string and memory limits.
    engine.set_optimization_level(rhai::OptimizationLevel::None);
    engine.on_progress(|ops| {
        if MEMORY.with(|m| m.get().is_some_and(|m| m.held() > MAX_MEMORY)) {
            return Some(Dynamic::from(OVER_MEMORY));
        }
        // Checking the clock every 256 operations keeps the guard off the hot path.
        if ops % 256 == 0 {
            let late = DEADLINE.with(|d| d.get().is_some_and(|t| Instant::now() > t));
            if late {
                return Some(Dynamic::from(OVER_TIME));
            }
        }
        None
    });
    // A rule's print and debug lines go to the log, a few per evaluation: a loop cannot flood it.
    // The text is a field, written escaped (`?`), so no newline in it can start a forged line.
    engine.on_print(|text| {
        if take_log_budget() {
            tracing::info!(target: "rules", text = ?text, "rule printed");
        }
    });
    engine.on_debug(|text, source, pos| {
        if take_log_budget() {
            tracing::debug!(target: "rules", ?source, %pos, text = ?text, "rule debug");
        }
    });
    facts::register(&mut engine);
    super::decision::register(&mut engine);
    engine
}

fn take_log_budget() -> bool {
    LOG_BUDGET.with(|b| {
        let left = b.get();
        b.set(left.saturating_sub(1));
        left > 0
    })
}

/// The budgets of one evaluation on this thread, from `start` until dropped.
pub(crate) struct DeadlineGuard;

impl DeadlineGuard {
    pub(crate) fn start(budget: Duration) -> Self {
        DEADLINE.with(|d| d.set(Some(Instant::now() + budget)));
        MEMORY.with(|m| m.set(Some(Mark::now())));
        LOG_BUDGET.with(|b| b.set(limits::MAX_LOG_LINES));
        DeadlineGuard
    }
}

impl Drop for DeadlineGuard {
    fn drop(&mut self) {
        DEADLINE.with(|d| d.set(None));
        MEMORY.with(|m| m.set(None));
    }
}

pub(crate) fn runtime_message(e: &EvalAltResult) -> String {
    match e {
        EvalAltResult::ErrorTerminated(why, _) if why.to_string() == OVER_MEMORY => {
            format!("stopped: held more than {} MiB", limits::MAX_MEMORY >> 20)
        }
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
            let text = match text.rfind(" (line ") {
                Some(i) => text[..i].to_string(),
                None => text,
            };
            // A thrown or echoed text is the rule's: it reaches logs and callers, so characters
            // that hide what it says (newlines that start a forged log line, bidi controls)
            // are shown as escapes.
            text.chars()
                .map(|c| {
                    if c == '\n' || crate::domain::text::is_forbidden(c) {
                        c.escape_unicode().to_string()
                    } else {
                        c.to_string()
                    }
                })
                .collect()
        }
    }
}
