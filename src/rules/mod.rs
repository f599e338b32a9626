//! The rules engine: rule sets written in rhai by risk staff, compiled once per version, run in a
//! sandbox against native fact types, producing a `Decision`.
//!
//! - `facts`: what a rule reads (`investor`, `product`, `order`), registered as native types.
//! - `decision`: what a rule calls (`decision.reject(…)`, …) and the outcome it builds.
//! - `catalogue`: the check catalogue (`checks.toml`).
//! - `files`: a rule set's files and the problems found in them.
//! - `sandbox`: the one engine, its limits and the per-evaluation budgets.
//! - `source`: what a rule source may not contain, checked before it compiles.
//! - `effect`: one checked call on `decision`.
//! - `compile`: rule files compiled to closures over the native facts, for the subset of the
//!   language rules use; other files run in the interpreter.
//! - `engine`: compiled rule sets.
//! - `identity`: compiled and interpreted outcomes compared (uploads, tests).
//! - `pool`: the few threads evaluations run on, behind a queue with a deadline.
//! - `testing`: rule tests (`tests/*.toml`) and their runner.

pub mod active;
pub mod catalogue;
pub mod compile;
pub mod decision;
pub(crate) mod effect;
pub mod engine;
pub mod facts;
pub mod files;
pub mod identity;
pub mod outcome;
pub mod pool;
pub mod sandbox;
pub mod scripts;
pub mod source;
pub mod testing;

pub use decision::{Decision, Frequency, Verdict};
pub use engine::{CompiledRuleSet, RuleError, RuleFiles};
pub use facts::{Facts, InvestorFacts, OrderFacts, ProductFacts};
