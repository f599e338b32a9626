//! The one error type of the workflow layer: what went wrong in business terms. The HTTP layer
//! maps each variant to a status and the contract's error codes in one place (`crate::error`).

use crate::decide::DecisionView;
use crate::domain::FieldProblem;
use crate::rules::RuleError;
use crate::rules::pool::PoolError;
use crate::rules::testing::TestReport;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Inputs that break a business rule, each named by its field.
    #[error("{}", summary(.0))]
    Invalid(Vec<FieldProblem>),
    /// Valid input the business refuses with its own code (e.g. `evidence_missing`), naming
    /// each field.
    #[error("{}", summary(.problems))]
    Unprocessable {
        code: &'static str,
        problems: Vec<FieldProblem>,
    },
    /// The actor may not do this to this record (`code` says why).
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    /// The record is not in a state that allows this (`code` says which).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// The rules reject this sale.
    #[error("the rules reject this sale: {}", reason_codes(.0))]
    SuitabilityRejected(Box<DecisionView>),
    /// The order was signed before the investor's first assessment: no sale may rest on an
    /// assessment taken after it.
    #[error("the order was signed before the investor was assessed")]
    AssessedAfterSigning(Box<DecisionView>),
    /// The decision asks for requirements the order did not acknowledge.
    #[error("requirements not acknowledged: {}", .missing.join(", "))]
    RequirementsMissing {
        decision: Box<DecisionView>,
        missing: Vec<String>,
    },
    /// An uploaded rule set does not compile.
    #[error("{} problem(s): {}", .0.len(), .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    RulesInvalid(Vec<RuleError>),
    /// An uploaded rule set fails its own tests.
    #[error("{} passed, {} failed", .0.passed, .0.failed)]
    RuleTestsFailed(Box<TestReport>),
    /// A rule failed on facts a rule author supplied (their input, so not a server fault).
    #[error("rule {0}")]
    RuleFailedOnFacts(RuleError),
    /// A rule of the active set failed at run time: not the caller's fault, but named so risk
    /// staff can fix it.
    #[error("rule {0} failed")]
    RuleFailed(RuleError),
    /// An upload over its budget for compiling and testing (`limit` names which).
    #[error("the rule set is too costly to check: {limit}")]
    RulesTooCostly { limit: String },
    /// A per-caller limit was reached.
    #[error("{0}")]
    TooManyRequests(String),
    /// Every rule evaluation slot stayed taken past the queue's deadline.
    #[error("the rule engine is busy; try again shortly")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Anything else unexpected (a stored rule set that no longer compiles, a lost task).
    #[error("{0}")]
    Internal(String),
}

impl From<PoolError> for WorkflowError {
    fn from(e: PoolError) -> Self {
        match e {
            PoolError::Busy => WorkflowError::Busy,
            PoolError::Lost(why) => WorkflowError::Internal(why),
        }
    }
}

impl WorkflowError {
    /// One invalid field.
    pub fn field(field: impl Into<String>, problem: impl Into<String>) -> Self {
        WorkflowError::Invalid(vec![FieldProblem::new(field, problem)])
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        WorkflowError::Conflict {
            code,
            message: message.into(),
        }
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        WorkflowError::Forbidden {
            code,
            message: message.into(),
        }
    }
}

/// "field: problem" for one problem, a count for several.
pub fn summary(problems: &[FieldProblem]) -> String {
    match problems {
        [one] => format!("{}: {}", one.field, one.problem),
        many => format!("{} fields are invalid", many.len()),
    }
}

fn reason_codes(d: &DecisionView) -> String {
    d.outcome
        .reasons
        .iter()
        .map(|r| r.code.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
