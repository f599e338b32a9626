//! Request extractors that answer in the contract's error shape: `ApiJson` (400 for malformed
//! JSON, 422 naming the field for well-formed JSON of the wrong shape) and `Caller` (the
//! authenticated staff member the access layer attached).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use super::strict_json::{self, ShapeError};
use crate::error::ApiError;
use crate::store::staff::Staff;

/// A JSON body deserialised with the failing field named in the error.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let JsonBody(bytes) = JsonBody::from_request(req, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// The raw bytes of a body that says it is JSON, within the size limit (for handlers that need
/// the bytes themselves, e.g. to hash them for `Idempotency-Key`).
pub struct JsonBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(req.headers()) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge
            } else {
                ApiError::Malformed {
                    message: format!("cannot read the body: {e}"),
                }
            }
        })?;
        Ok(JsonBody(bytes))
    }
}

/// Whether the request says its body is JSON (`application/json`, any parameters).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

/// Parses a JSON body: anything but one object without duplicate keys is 400, shape errors
/// 422 with the field path.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    strict_json::check(bytes).map_err(|e| match e {
        ShapeError::Syntax(why) => ApiError::Malformed {
            message: format!("malformed JSON: {why}"),
        },
        ShapeError::NotAnObject => ApiError::Malformed {
            message: "the body must be a JSON object".into(),
        },
        ShapeError::DuplicateKey(path) => ApiError::DuplicateKey { path },
    })?;
    // PostgreSQL cannot store NUL in text; refuse it on every backend alike.
    if bytes.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
        return Err(ApiError::field(
            "body",
            "NUL characters (\\u0000) are not accepted",
        ));
    }
    let bytes = strict_json::integral_numbers(bytes);
    let de = &mut serde_json::Deserializer::from_slice(&bytes);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(v) => Ok(v),
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                return Err(ApiError::Malformed {
                    message: format!("malformed JSON: {inner}"),
                });
            }
            let text = inner.to_string();
            // serde reports a missing field on the parent object; name the field itself.
            let problem = text.split(" at line ").next().unwrap_or(&text).to_string();
            let field = match (problem.strip_prefix("missing field `"), path.as_str()) {
                (Some(rest), parent) => {
                    let name = rest.trim_end_matches('`');
                    if parent == "." || parent.is_empty() {
                        name.to_string()
                    } else {
                        format!("{parent}.{name}")
                    }
                }
                (None, ".") => "body".to_string(),
                (None, p) => p.to_string(),
            };
            Err(ApiError::field(field, problem))
        }
    }
}

/// The authenticated caller, attached by the access layer.
#[derive(Debug, Clone)]
pub struct Caller(pub Staff);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or(ApiError::Unauthorized)
    }
}

/// Query parameters, rejected in the contract's error shape.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e| ApiError::Malformed {
                message: e.body_text(),
            })
    }
}
