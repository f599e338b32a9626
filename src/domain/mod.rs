//! Domain types, parsed once at the edge: amounts, risk levels and ratings, roles, investors.
//! Handlers turn request bodies into these; the store and the rules see nothing looser.

pub mod classification;
pub mod identity;
pub mod investor;
pub mod level;
pub mod mask;
pub mod money;
pub mod problem;
pub mod role;
pub mod state;
pub mod text;

pub use level::{RiskLevel, RiskRating};
pub use money::Money;
pub use problem::FieldProblem;
pub use role::Role;
