//! The one error type of the HTTP layer and its mapping to status codes and the contract's JSON shape
//! (`{"error": {"code", "message", "details"}}`). Every handler returns `ApiError`; nothing else
//! decides a status code.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// One problem with one input field, as in `{"field": "answers.q3", "problem": "unknown option 'z'"}`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub problem: String,
}

impl FieldProblem {
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

/// Errors an API call can end with. The variant decides the status; `code` is the stable,
/// machine-readable name clients switch on.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    Malformed { message: String },
    #[error("missing or invalid bearer token")]
    Unauthorized,
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error("{what} not found")]
    NotFound { what: &'static str },
    #[error("method not allowed on this route")]
    MethodNotAllowed,
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{message}")]
    Unprocessable {
        code: &'static str,
        message: String,
        details: Vec<FieldProblem>,
        /// Extra payload some codes carry (the decision for `suitability_rejected`).
        extra: Option<serde_json::Value>,
    },
    /// A rule of the active set failed at run time: not the caller's fault, but named so risk
    /// staff can fix it.
    #[error("rule {0} failed")]
    RuleFailed(crate::rules::RuleError),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// Anything unexpected: logged in full, answered with a generic message.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn validation(details: Vec<FieldProblem>) -> Self {
        let message = match details.as_slice() {
            [one] => format!("{}: {}", one.field, one.problem),
            many => format!("{} fields are invalid", many.len()),
        };
        ApiError::Unprocessable {
            code: "validation_failed",
            message,
            details,
            extra: None,
        }
    }

    pub fn field(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self::validation(vec![FieldProblem::new(field, problem)])
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::Forbidden {
            code: "forbidden",
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Malformed { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RuleFailed(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Malformed { .. } => "malformed_request",
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden { code, .. } => code,
            ApiError::NotFound { .. } => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Conflict { code, .. } => code,
            ApiError::Unprocessable { code, .. } => code,
            ApiError::RuleFailed(_) => "rule_failed",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal_error",
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
    #[serde(skip_serializing_if = "Option::is_none", flatten)]
    #[schema(value_type = Object)]
    pub extra: Option<serde_json::Map<String, serde_json::Value>>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let code = self.code().to_string();
        let message = match &self {
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                "internal error; the cause has been logged".to_string()
            }
            ApiError::Unavailable(cause) => {
                tracing::warn!(%cause, "unavailable");
                self.to_string()
            }
            ApiError::RuleFailed(e) => format!("rule {e}"),
            other => other.to_string(),
        };
        let (details, extra) = match self {
            ApiError::Unprocessable { details, extra, .. } => {
                let extra = extra.and_then(|v| match v {
                    serde_json::Value::Object(map) => Some(map),
                    _ => None,
                });
                (details, extra)
            }
            ApiError::RuleFailed(e) => {
                (vec![FieldProblem::new(e.file.clone(), e.to_string())], None)
            }
            _ => (Vec::new(), None),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message,
                details,
                extra,
            },
        };
        (status, Json(body)).into_response()
    }
}
