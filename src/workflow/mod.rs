//! The business operations: every rule of the business that is not a suitability rule is written
//! here, once, and the API handlers and console pages call these functions alike.
//!
//! Each operation is a plain async function over a store connection (a transaction when it
//! writes), the [`Ctx`] (compiled rules, policy, vault, questionnaires) and the acting staff
//! member, returning a domain result or a [`WorkflowError`]. None knows about HTTP.
//!
//! - `sale`: deciding a sale, placing an order, re-evaluating a holding
//! - `callbacks`: the queue, claiming, recording an outcome and all that follows, reviews
//! - `events`: re-planning after a re-rating, a lowered level or a rule-set activation
//! - `complaints`, `escalations`, `investors`, `products`, `rulesets`: their own resources

pub mod assessment_review;
pub mod assessments;
pub mod audit;
pub mod callbacks;
pub mod classification;
pub mod client_archive;
pub mod complaints;
pub mod duties;
pub mod error;
pub mod escalations;
pub mod events;
pub mod evidence;
pub mod existing_holdings;
pub mod holding_end;
pub mod holdings;
pub mod imports;
pub mod investors;
pub mod invitations;
pub mod place_once;
pub mod presented;
pub mod products;
pub mod qualification;
pub mod ratelimit;
pub mod reevaluation;
pub mod rerating;
pub mod rulesets;
pub mod sale;
pub mod scope;
pub mod self_check;
pub mod signed_evidence;
pub mod staff;

use std::sync::Arc;

pub use error::WorkflowError;

use crate::config::Policy;
use crate::questionnaire::QuestionnaireSet;
use crate::rules::CompiledRuleSet;
use crate::vault::Vault;

/// What every operation may need besides the store and the actor.
#[derive(Clone)]
pub struct Ctx<'a> {
    /// The active rule set, compiled; an operation uses one version throughout.
    pub rules: Arc<CompiledRuleSet>,
    pub policy: &'a Policy,
    /// Seals and opens personal data.
    pub vault: &'a Vault,
    pub questionnaires: &'a QuestionnaireSet,
    /// Identity-number lookups per staff member.
    pub lookups: &'a ratelimit::RateLimiter,
}

/// Shorthand for the result of an operation.
pub type Result<T, E = WorkflowError> = std::result::Result<T, E>;
