//! The one error type of the HTTP layer and its mapping to status codes and the contract's JSON
//! shape (`{"error": {"code", "message", "details"}}`). Every handler returns `ApiError`; nothing
//! else decides a status code. Causes the client must not see (database text, internal faults)
//! travel in the response's extensions to `log_failures`, which logs them once inside the
//! request's span; the body says only that the cause was logged.

use std::sync::Arc;

use axum::Json;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub use crate::domain::FieldProblem;
use crate::store::StoreError;
use crate::workflow::WorkflowError;
use crate::workflow::error::summary;

/// Errors an API call can end with. The variant decides the status; `code` is the stable,
/// machine-readable name clients switch on.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    Malformed { message: String },
    /// A key twice in one object of the body (`path` names the second).
    #[error("duplicate key '{path}' in the body")]
    DuplicateKey { path: String },
    #[error("the body must be JSON: send Content-Type: application/json")]
    UnsupportedMediaType,
    #[error("the body is larger than this route accepts")]
    TooLarge,
    /// A per-caller rate limit was reached.
    #[error("{message}")]
    TooManyRequests { message: String },
    #[error("missing or invalid bearer token")]
    Unauthorized,
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error("{what} not found")]
    NotFound { what: &'static str },
    #[error("method not allowed on this route")]
    MethodNotAllowed,
    /// Input that does not parse into what the workflow takes.
    #[error("{}", summary(.0))]
    Invalid(Vec<FieldProblem>),
    /// An `Idempotency-Key` sent again with another body.
    #[error("this Idempotency-Key was used for a different request")]
    IdempotencyKeyReused,
    /// What a workflow refused or failed with.
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The store cannot be reached to authenticate the caller.
    #[error("service unavailable")]
    Unavailable(#[source] StoreError),
    /// Anything unexpected: logged in full, answered with a generic message.
    #[error("internal error: {0}")]
    Internal(String),
}

/// A cause logged by `log_failures` rather than sent to the client.
#[derive(Clone, Debug)]
pub struct HiddenCause(pub Arc<String>);

impl ApiError {
    pub fn validation(details: Vec<FieldProblem>) -> Self {
        ApiError::Invalid(details)
    }

    pub fn field(field: impl Into<String>, problem: impl Into<String>) -> Self {
        ApiError::Invalid(vec![FieldProblem::new(field, problem)])
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::Forbidden {
            code: "forbidden",
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Malformed { .. } | ApiError::DuplicateKey { .. } => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Invalid(_) | ApiError::IdempotencyKeyReused => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::Workflow(e) => match e {
                WorkflowError::NotFound(_) => StatusCode::NOT_FOUND,
                WorkflowError::Forbidden { .. } => StatusCode::FORBIDDEN,
                WorkflowError::Conflict { .. } => StatusCode::CONFLICT,
                WorkflowError::Invalid(_)
                | WorkflowError::Unprocessable { .. }
                | WorkflowError::SuitabilityRejected(_)
                | WorkflowError::AssessedAfterSigning(_)
                | WorkflowError::RequirementsMissing { .. }
                | WorkflowError::RulesInvalid(_)
                | WorkflowError::RuleTestsFailed(_)
                | WorkflowError::RulesTooCostly { .. }
                | WorkflowError::RuleFailedOnFacts(_) => StatusCode::UNPROCESSABLE_ENTITY,
                WorkflowError::Busy => StatusCode::SERVICE_UNAVAILABLE,
                WorkflowError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
                WorkflowError::RuleFailed(_)
                | WorkflowError::Store(_)
                | WorkflowError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            ApiError::Store(_) | ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Malformed { .. } | ApiError::DuplicateKey { .. } => "malformed_request",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::TooLarge => "payload_too_large",
            ApiError::TooManyRequests { .. } => "too_many_requests",
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden { code, .. } => code,
            ApiError::NotFound { .. } => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Invalid(_) => "validation_failed",
            ApiError::IdempotencyKeyReused => "idempotency_key_reused",
            ApiError::Workflow(e) => match e {
                WorkflowError::NotFound(_) => "not_found",
                WorkflowError::Invalid(_) => "validation_failed",
                WorkflowError::Unprocessable { code, .. } => code,
                WorkflowError::Forbidden { code, .. } | WorkflowError::Conflict { code, .. } => {
                    code
                }
                WorkflowError::SuitabilityRejected(_) => "suitability_rejected",
                WorkflowError::AssessedAfterSigning(_) => "assessed_after_signing",
                WorkflowError::RequirementsMissing { .. } => "requirements_missing",
                WorkflowError::RulesInvalid(_) => "rules_invalid",
                WorkflowError::RuleTestsFailed(_) => "rule_tests_failed",
                WorkflowError::RulesTooCostly { .. } => "rules_too_costly",
                WorkflowError::Busy => "busy",
                WorkflowError::TooManyRequests(_) => "too_many_requests",
                WorkflowError::RuleFailedOnFacts(_) | WorkflowError::RuleFailed(_) => "rule_failed",
                WorkflowError::Store(_) | WorkflowError::Internal(_) => "internal_error",
            },
            ApiError::Store(_) | ApiError::Internal(_) => "internal_error",
            ApiError::Unavailable(_) => "unavailable",
        }
    }

    /// The cause to log instead of answering with it, if this error hides one.
    fn hidden_cause(&self) -> Option<String> {
        match self {
            ApiError::Store(e)
            | ApiError::Workflow(WorkflowError::Store(e))
            | ApiError::Unavailable(e) => Some(e.to_string()),
            ApiError::Internal(cause) | ApiError::Workflow(WorkflowError::Internal(cause)) => {
                Some(cause.clone())
            }
            _ => None,
        }
    }

    /// Field problems and the extra payload some codes carry (the decision, the test report).
    fn details(self) -> (Vec<FieldProblem>, Option<serde_json::Value>) {
        use serde_json::json;
        let e = match self {
            ApiError::Invalid(d) => return (d, None),
            ApiError::DuplicateKey { path } => {
                return (vec![FieldProblem::new(path, "duplicate key")], None);
            }
            ApiError::IdempotencyKeyReused => {
                let problem = FieldProblem::new("Idempotency-Key", "used before with another body");
                return (vec![problem], None);
            }
            ApiError::Workflow(e) => e,
            _ => return (Vec::new(), None),
        };
        match e {
            WorkflowError::Invalid(d) => (d, None),
            WorkflowError::Unprocessable { problems, .. } => (problems, None),
            WorkflowError::SuitabilityRejected(d) => (Vec::new(), Some(json!({ "decision": d }))),
            WorkflowError::AssessedAfterSigning(d) => (
                vec![FieldProblem::new(
                    "signed_at",
                    "is before the investor's first assessment",
                )],
                Some(json!({ "decision": d })),
            ),
            WorkflowError::RequirementsMissing { decision, missing } => (
                missing
                    .iter()
                    .map(|m| FieldProblem::new("acknowledgments", format!("missing '{m}'")))
                    .collect(),
                Some(json!({ "decision": decision, "missing": missing })),
            ),
            WorkflowError::RulesInvalid(errors) => (
                errors
                    .iter()
                    .map(|e| {
                        let at = match (e.line, e.column) {
                            (Some(l), Some(c)) => format!("line {l}, column {c}: "),
                            (Some(l), None) => format!("line {l}: "),
                            _ => String::new(),
                        };
                        FieldProblem::new(format!("files.{}", e.file), format!("{at}{}", e.message))
                    })
                    .collect(),
                Some(json!({ "errors": errors })),
            ),
            WorkflowError::RuleTestsFailed(report) => (
                report
                    .failures
                    .iter()
                    .map(|f| {
                        FieldProblem::new(
                            format!("files.{}", f.file),
                            format!("{}: {}", f.case, f.problems.join("; ")),
                        )
                    })
                    .collect(),
                Some(json!({ "tests": report })),
            ),
            WorkflowError::RuleFailedOnFacts(e) | WorkflowError::RuleFailed(e) => {
                (vec![FieldProblem::new(e.file.clone(), e.to_string())], None)
            }
            WorkflowError::RulesTooCostly { limit } => {
                (vec![FieldProblem::new("files", limit)], None)
            }
            _ => (Vec::new(), None),
        }
    }
}

/// The error envelope, as documented in the OpenAPI description.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    pub details: Vec<FieldProblem>,
    /// The request's `x-request-id`, to quote when reporting a problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", flatten)]
    #[schema(value_type = Object)]
    pub extra: Option<serde_json::Map<String, serde_json::Value>>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let code = self.code().to_string();
        let busy = matches!(self, ApiError::Workflow(WorkflowError::Busy));
        let hidden = self.hidden_cause();
        let message = match (&self, &hidden) {
            (ApiError::Unavailable(_), _) => "service unavailable; try again shortly".to_string(),
            (_, Some(_)) => "internal error; the cause has been logged".to_string(),
            (ApiError::Workflow(WorkflowError::RuleFailed(e)), None) => format!("rule {e}"),
            (other, None) => other.to_string(),
        };
        let (details, extra) = self.details();
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message,
                details,
                request_id: crate::http::request_id::current(),
                extra: extra.and_then(|v| match v {
                    serde_json::Value::Object(map) => Some(map),
                    _ => None,
                }),
            },
        };
        let mut response = (status, Json(body)).into_response();
        if busy {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("1"),
            );
        }
        if let Some(cause) = hidden {
            response
                .extensions_mut()
                .insert(HiddenCause(Arc::new(cause)));
        }
        response
    }
}

/// Logs, once and inside the request's span, the cause of every failure the client was not
/// told (a 5xx with a generic body).
pub async fn log_failures(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    if let Some(HiddenCause(cause)) = response.extensions().get::<HiddenCause>() {
        let status = response.status().as_u16();
        if response.status() == StatusCode::SERVICE_UNAVAILABLE {
            tracing::warn!(status, cause = %cause, "unavailable");
        } else {
            tracing::error!(status, cause = %cause, "internal error");
        }
    }
    response
}

/// The answer to a request whose handler panicked: a generic 500 (the panic is a bug, logged
/// with its message, never shown).
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = ?what, "a handler panicked");
    ApiError::Internal("a handler panicked".into()).into_response()
}
