//! The rule compiler: a rule file's rhai AST turned into a tree of typed Rust closures over the
//! native facts and decision, for the subset of the language rules use (literals, `let`,
//! `if`/`else`, comparisons, `&&`/`||`/`!`, integer and decimal arithmetic, `in`, interpolated
//! strings, fact properties, calls on `decision`). A file using anything else runs in the
//! interpreter, and `FileReport` says why.
//!
//! Identical outcomes are the contract: each closure does what rhai's built-in for its static
//! types does, and wherever rhai would fail (an overflow, a refused call, an over-long text,
//! oversized facts) the compiled code bails and the whole evaluation reruns in the interpreter,
//! which produces the exact outcome or error. The subset has no loops, calls or recursion, so a
//! compiled file runs each node at most once: the sandbox's operation and time limits cannot be
//! reached, and the variable limit is checked here.

mod calls;
mod expr;
mod fields;
mod ops;
pub mod report;
mod stmt;
pub(crate) mod types;

use std::sync::Arc;

use rhai::{AST, ImmutableString, Position};

use super::catalogue::Catalogue;
use super::facts::Facts;
use super::sandbox::limits;
pub use report::{FileReport, NotCompiled};
use types::{Env, Exec, Kind, Local, R};

/// Most nodes a compiled file may have; every node runs at most once, and rhai counts at least
/// one operation per node, so a file under this cannot reach the operation limit either.
const MAX_NODES: u32 = (limits::MAX_OPERATIONS / 4) as u32;

/// What a node of compiled code may cost at worst, in units of about 10 ns: 1 for most, and
/// `TEXT_COST` for one that reads, compares or copies a text of up to `MAX_STRING_SIZE` bytes.
/// Compiled code has no loops, so a file's cost bounds its run; the engine interprets (under the
/// sandbox's clock) whatever would cost more than `SET_COST` in all, and runs a set inline
/// (without a hand-off to the evaluation pool) only under `INLINE_COST`.
pub(crate) const TEXT_COST: u64 = 1_000;
/// About 50 ms at worst, half the interpreter's budget for a whole set.
pub(crate) const SET_COST: u64 = 5_000_000;
/// About 2 ms at worst, were every text of the facts and rules 4 KiB long (the shipped set
/// costs about 90,000 so; with its real texts it decides in about a microsecond).
pub(crate) const INLINE_COST: u64 = 200_000;

/// A compiled rule file.
pub(crate) struct Program {
    body: Vec<Exec>,
    slots: usize,
    /// The worst-case cost of one run (see `TEXT_COST`).
    pub(crate) cost: u64,
}

impl Program {
    /// Runs the file; `locals` is a buffer reused across files and evaluations.
    pub(crate) fn run(
        &self,
        facts: &Facts,
        decision: &mut super::decision::Decision,
        locals: &mut Vec<Local>,
    ) -> R<()> {
        locals.clear();
        locals.resize(self.slots, Local::Unset);
        let mut env = Env {
            facts,
            decision,
            locals,
        };
        self.body.iter().try_for_each(|x| x(&mut env))
    }
}

/// How one rule file runs.
pub(crate) enum FileMode {
    Compiled(Program),
    Interpreted(NotCompiled),
}

/// Interprets the costliest compiled files until the compiled ones cost at most `SET_COST`.
pub(crate) fn within_budget(modes: &mut [FileMode]) {
    loop {
        let cost = |m: &FileMode| match m {
            FileMode::Compiled(p) => p.cost,
            FileMode::Interpreted(_) => 0,
        };
        let total: u64 = modes.iter().map(cost).sum();
        if total <= SET_COST {
            return;
        }
        let Some(worst) = modes.iter_mut().max_by_key(|m| cost(m)) else {
            return;
        };
        let us = cost(worst) / 100;
        *worst = FileMode::Interpreted(NotCompiled::at(
            format!(
                "work on long texts (up to about {us} µs compiled), left to the interpreter's clock"
            ),
            Position::NONE,
        ));
    }
}

/// The worst-case cost of the compiled files.
pub(crate) fn compiled_cost(modes: &[FileMode]) -> u64 {
    modes
        .iter()
        .map(|m| match m {
            FileMode::Compiled(p) => p.cost,
            FileMode::Interpreted(_) => 0,
        })
        .sum()
}

impl FileMode {
    pub(crate) fn report(&self) -> FileReport {
        match self {
            FileMode::Compiled(_) => FileReport::Compiled,
            FileMode::Interpreted(why) => FileReport::Interpreted(why.clone()),
        }
    }
}

/// What the compiler knows while it walks one file.
pub(crate) struct Ctx<'a> {
    catalogue: &'a Arc<Catalogue>,
    /// Block scopes, innermost last: each `let` name with its slot and static type.
    scopes: Vec<Vec<(ImmutableString, usize, Kind)>>,
    slots: usize,
    nodes: u32,
    cost: u64,
}

impl Ctx<'_> {
    fn lookup(&self, name: &str) -> Option<(usize, Kind)> {
        self.scopes
            .iter()
            .rev()
            .flat_map(|s| s.iter().rev())
            .find(|(n, ..)| n.as_str() == name)
            .map(|(_, slot, kind)| (*slot, *kind))
    }
}

/// Compiles one rule file, or says why it runs in the interpreter.
pub(crate) fn compile_file(ast: &AST, catalogue: &Arc<Catalogue>) -> FileMode {
    if let Some(f) = ast.iter_functions().next() {
        return FileMode::Interpreted(NotCompiled::at(
            format!("a function definition `fn {}`", f.name),
            Position::NONE,
        ));
    }
    let mut ctx = Ctx {
        catalogue,
        scopes: Vec::new(),
        slots: 0,
        nodes: 0,
        cost: 0,
    };
    let body = match ctx.block(ast.statements()) {
        Ok(body) => body,
        Err(why) => return FileMode::Interpreted(why),
    };
    // The facts and `decision` take four of the interpreter's variables.
    if ctx.slots > limits::MAX_VARIABLES - 4 {
        return FileMode::Interpreted(NotCompiled::at(
            format!("{} variables", ctx.slots),
            Position::NONE,
        ));
    }
    if ctx.nodes > MAX_NODES {
        return FileMode::Interpreted(NotCompiled::at(
            format!("{} expressions", ctx.nodes),
            Position::NONE,
        ));
    }
    FileMode::Compiled(Program {
        body,
        slots: ctx.slots,
        cost: ctx.cost + u64::from(ctx.nodes),
    })
}

/// Whether the facts are within the sizes rhai checks on every property read (a text of at most
/// `MAX_STRING_SIZE` bytes, at most `MAX_ARRAY_SIZE` flags holding at most `MAX_STRING_SIZE`
/// bytes). Facts beyond them are evaluated by the interpreter, which fails where rhai fails.
pub(crate) fn facts_fit(f: &Facts) -> bool {
    let max = limits::MAX_STRING_SIZE;
    let flags = &f.investor.assessment_flags;
    [
        &f.investor.kind,
        &f.investor.investor_type,
        &f.investor.level_name,
        &f.product.code,
        &f.product.kind,
        &f.product.rating_name,
    ]
    .iter()
    .all(|s| s.len() <= max)
        && flags.len() <= limits::MAX_ARRAY_SIZE
        && flags.iter().map(|s| s.len()).sum::<usize>() <= max
}
