//! The rules engine: rule sets written in rhai by risk staff, compiled once per version, run in a
//! sandbox against native fact types, producing a `Decision`.
//!
//! - `facts`: what a rule reads (`investor`, `product`, `order`), registered as native types.
//! - `decision`: what a rule calls (`decision.reject(…)`, …) and the outcome it builds.
//! - `catalogue`: the check catalogue (`checks.toml`).
//! - `engine`: the sandboxed engine and compiled rule sets.
//! - `testing`: rule tests (`tests/*.toml`) and their runner.

pub mod active;
pub mod catalogue;
pub mod decision;
pub mod engine;
pub mod facts;
pub mod outcome;
pub mod testing;

pub use decision::{Decision, Frequency, Verdict};
pub use engine::{CompiledRuleSet, RuleError, RuleFiles};
pub use facts::{Facts, InvestorFacts, OrderFacts, ProductFacts};
