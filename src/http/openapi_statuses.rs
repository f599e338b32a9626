//! Every status an operation can answer, stated in the document from what the service does to
//! every request of its kind (so no handler can forget one): 401 and 403 and 503 where a staff
//! token is checked (503: the store that checks it is unreachable), 400 where a query or body is
//! read, 413 and 415 where a body is, 404 where the path names a record, 422 where input is
//! validated; each with the error body. Empty descriptions get the status's meaning.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

fn meaning(status: &str) -> &'static str {
    match status {
        "200" => "OK",
        "201" => "created",
        "204" => "done; no content",
        "400" => "malformed: not JSON, a key twice, a query that does not parse",
        "401" => "no valid bearer token",
        "403" => "the caller's roles do not allow this (or a rule of the business forbids it)",
        "404" => "no such record, or not one the caller may see",
        "409" => "the record's state does not allow this",
        "413" => "the body is too large",
        "415" => "the body is not application/json",
        "422" => "valid JSON whose content is refused: `details` names each field",
        "429" => "too many requests: try again later",
        "503" => "busy or the store unreachable: try again shortly",
        _ => "see the error body",
    }
}

fn error_response(status: &str) -> RefOr<utoipa::openapi::Response> {
    let body = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("ErrorBody")))
        .build();
    RefOr::T(
        ResponseBuilder::new()
            .description(meaning(status))
            .content("application/json", body)
            .build(),
    )
}

/// Completes `op`: `protected` when a staff token is checked.
pub fn complete(op: &mut Operation, protected: bool, public: bool) {
    let params = op.parameters.as_deref().unwrap_or_default();
    let has_query = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Query));
    let has_path = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Path));
    let has_body = op.request_body.is_some();
    let mut add = |status: &str| {
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| error_response(status));
    };
    if protected {
        add("401");
        add("403");
        add("503");
    }
    if has_query || has_body {
        add("400");
        add("422");
    }
    if has_body {
        add("413");
        add("415");
    }
    if has_path {
        add("404");
        add("422");
    }
    for (status, response) in op.responses.responses.iter_mut() {
        if let RefOr::T(r) = response
            && r.description.trim().is_empty()
        {
            r.description = meaning(status).to_string();
        }
    }
    if public {
        // No token is asked: an empty requirement overrides the document's bearer default.
        op.security = Some(vec![SecurityRequirement::default()]);
    }
}
