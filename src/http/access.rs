//! Who may call what: the one table an auditor reads, and the layer that enforces it.
//!
//! Every route of the router must appear here (a test checks the table against the OpenAPI
//! document, which is generated from the handlers); a route missing from the table is refused
//! (fail closed), never opened.

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::extract::Caller;
use crate::domain::Role::{self, *};
use crate::error::ApiError;

pub enum Access {
    /// No token needed.
    Public,
    /// A valid token whose staff member holds at least one of these roles.
    Roles(&'static [Role]),
}

const EVERYONE: &[Role] = &[Sales, Risk, Planner, Compliance, Admin];

/// (method, path template, access). Paths use axum's `{param}` syntax, as routed.
#[rustfmt::skip]
pub const ROUTES: &[(&str, &str, Access)] = &[
    ("GET",   "/health",                          Access::Public),
    // The document holds no data: an integrator reads it before holding a token.
    ("GET",   "/openapi.json",                    Access::Public),
    // The scraper's own token, checked by the handler (no staff token; 404 when not configured).
    ("GET",   "/metrics",                         Access::Public),
    // Questionnaires: sales present them, risk maintains them, everyone may read.
    ("GET",   "/v1/questionnaires",               Access::Roles(EVERYONE)),
    ("GET",   "/v1/questionnaires/{id}",          Access::Roles(EVERYONE)),
    // Investors: sales onboard; every role reads (callbacks, compliance, risk review).
    ("POST",  "/v1/investors",                    Access::Roles(&[Sales])),
    ("GET",   "/v1/investors",                    Access::Roles(EVERYONE)),
    ("GET",   "/v1/investors/{id}",               Access::Roles(EVERYONE)),
    // Investors change (their sales owner or risk), every change a version.
    ("PATCH", "/v1/investors/{id}",               Access::Roles(&[Sales, Risk])),
    ("GET",   "/v1/investors/{id}/history",       Access::Roles(EVERYONE)),
    ("POST",  "/v1/investors/lookup",             Access::Roles(EVERYONE)),
    ("POST",  "/v1/investors/{id}/owner",         Access::Roles(&[Compliance, Admin])),
    // The investor's own link: their sales owner sends it.
    ("POST",  "/v1/investors/{id}/invitations",   Access::Roles(&[Sales])),
    // Classification: risk or compliance (never the investor's own sales owner).
    ("POST",  "/v1/investors/{id}/classification", Access::Roles(&[Risk, Compliance])),
    ("GET",   "/v1/investors/{id}/classifications", Access::Roles(EVERYONE)),
    // Qualification evidence: the sales owner, risk or compliance record it.
    ("POST",  "/v1/investors/{id}/evidence",      Access::Roles(&[Sales, Risk, Compliance])),
    ("GET",   "/v1/investors/{id}/evidence",      Access::Roles(EVERYONE)),
    ("GET",   "/v1/staff",                        Access::Roles(&[Admin])),
    ("POST",  "/v1/staff/{id}/disable",           Access::Roles(&[Admin])),
    ("GET",   "/v1/tokens",                       Access::Roles(&[Admin])),
    ("POST",  "/v1/tokens",                       Access::Roles(&[Admin])),
    ("POST",  "/v1/tokens/{id}/revoke",           Access::Roles(&[Admin])),
    // Assessments: sales record them; risk and admin also import back-dated paper records.
    ("POST",  "/v1/investors/{id}/assessments",   Access::Roles(&[Sales, Risk, Admin])),
    ("GET",   "/v1/investors/{id}/assessments",   Access::Roles(EVERYONE)),
    // A flagged assessment is reviewed by risk (never whoever recorded it or the sales owner).
    ("POST",  "/v1/assessments/{id}/review",      Access::Roles(&[Risk])),
    // Products: risk rates them (admin maintains); everyone reads.
    ("POST",  "/v1/products",                     Access::Roles(&[Risk, Admin])),
    ("GET",   "/v1/products",                     Access::Roles(EVERYONE)),
    ("GET",   "/v1/products/{id}",                Access::Roles(EVERYONE)),
    ("PATCH", "/v1/products/{id}",                Access::Roles(&[Risk, Admin])),
    ("POST",  "/v1/products/{id}/impact",         Access::Roles(&[Risk, Admin])),
    // The check: sales before recommending; risk and compliance when reviewing.
    ("POST",  "/v1/suitability/check",            Access::Roles(&[Sales, Risk, Compliance, Admin])),
    // Orders: sales place them; everyone reads.
    ("POST",  "/v1/orders",                       Access::Roles(&[Sales])),
    ("GET",   "/v1/orders/{id}",                  Access::Roles(EVERYONE)),
    ("GET",   "/v1/investors/{id}/orders",        Access::Roles(EVERYONE)),
    ("POST",  "/v1/orders/{id}/rescind",          Access::Roles(&[Sales, Compliance, Admin])),
    ("GET",   "/v1/requirements",                 Access::Roles(EVERYONE)),
    ("GET",   "/v1/investors/{id}/holdings",      Access::Roles(EVERYONE)),
    ("GET",   "/v1/investors/{id}/callbacks",     Access::Roles(EVERYONE)),
    ("GET",   "/v1/investors/{id}/complaints",    Access::Roles(EVERYONE)),
    // A holding ends: redeemed at the investor's request, or wound up with its product.
    ("POST",  "/v1/holdings/{id}/redeem",         Access::Roles(&[Sales, Compliance, Admin])),
    ("POST",  "/v1/products/{id}/liquidate",      Access::Roles(&[Risk, Admin])),
    ("GET",   "/v1/orders/{id}/evidence",         Access::Roles(&[Risk, Compliance, Admin])),
    // The client archive: what a regulator is shown of one investor (identity masked; it holds
    // the investor's audit entries, which only compliance and admin read).
    ("GET",   "/v1/investors/{id}/archive",       Access::Roles(&[Compliance, Admin])),
    // Callbacks: planners work them; compliance reviews them (主管审阅); admin oversees.
    ("GET",   "/v1/callbacks",                    Access::Roles(&[Planner, Compliance, Admin])),
    ("GET",   "/v1/callbacks/plan",               Access::Roles(&[Planner, Compliance, Admin])),
    ("GET",   "/v1/callbacks/summary",            Access::Roles(&[Planner, Compliance, Admin])),
    ("POST",  "/v1/callbacks",                    Access::Roles(&[Planner, Compliance])),
    ("GET",   "/v1/callbacks/report",             Access::Roles(&[Planner, Compliance, Admin])),
    ("GET",   "/v1/callbacks/{id}",               Access::Roles(&[Planner, Compliance, Admin])),
    ("POST",  "/v1/callbacks/{id}/claim",         Access::Roles(&[Planner])),
    ("GET",   "/v1/callbacks/{id}/contact",       Access::Roles(&[Planner])),
    ("POST",  "/v1/callbacks/{id}/outcome",       Access::Roles(&[Planner])),
    ("POST",  "/v1/callbacks/{id}/reviews",       Access::Roles(&[Compliance])),
    ("GET",   "/v1/callbacks/reviews/pending",    Access::Roles(&[Compliance, Admin])),
    ("GET",   "/v1/callbacks/issues",             Access::Roles(&[Planner, Compliance, Admin])),
    ("POST",  "/v1/callbacks/issues/{id}/close",  Access::Roles(&[Planner, Compliance])),
    // Escalations: compliance.
    ("GET",   "/v1/escalations",                  Access::Roles(&[Compliance, Admin])),
    ("POST",  "/v1/escalations/{id}/resolve",     Access::Roles(&[Compliance])),
    // Rule sets: risk writes and activates (never their own: four eyes); compliance reads.
    ("GET",   "/v1/rulesets",                     Access::Roles(&[Risk, Compliance, Admin])),
    ("POST",  "/v1/rulesets",                     Access::Roles(&[Risk, Admin])),
    ("GET",   "/v1/rulesets/active",              Access::Roles(&[Risk, Compliance, Admin])),
    ("GET",   "/v1/rulesets/{version}",           Access::Roles(&[Risk, Compliance, Admin])),
    ("POST",  "/v1/rulesets/{version}/impact",    Access::Roles(&[Risk, Compliance, Admin])),
    ("POST",  "/v1/rulesets/{version}/activate",  Access::Roles(&[Risk, Admin])),
    ("POST",  "/v1/rulesets/{version}/evaluate",  Access::Roles(&[Risk, Compliance, Admin])),
    ("GET",   "/v1/rulesets/{version}/jobs",      Access::Roles(&[Risk, Compliance, Admin])),
    // Stored decisions and their replay: the evidence behind a sale.
    ("GET",   "/v1/decisions/{id}",               Access::Roles(&[Risk, Compliance, Admin])),
    ("GET",   "/v1/decisions/{id}/replay",        Access::Roles(&[Risk, Compliance, Admin])),
    // The audit trail: compliance and admin.
    ("GET",   "/v1/audit",                        Access::Roles(&[Compliance, Admin])),
    ("GET",   "/v1/audit/verify",                 Access::Roles(&[Compliance, Admin])),
    // The semiannual self-check report (适当性自查报告): compliance draws it up.
    ("GET",   "/v1/reports/self-check",           Access::Roles(&[Compliance, Admin])),
    // Complaints: whoever receives one records it; compliance handles and resolves them.
    ("POST",  "/v1/complaints",                   Access::Roles(&[Sales, Planner, Compliance, Admin])),
    ("GET",   "/v1/complaints/archive",           Access::Roles(&[Compliance, Admin])),
    ("GET",   "/v1/complaints/{id}",              Access::Roles(&[Planner, Compliance, Admin])),
    ("POST",  "/v1/complaints/{id}/assign",       Access::Roles(&[Compliance, Admin])),
    ("POST",  "/v1/complaints/{id}/resolve",      Access::Roles(&[Compliance])),
    // Imports of an existing book: risk and admin (workflow::imports::MAY_IMPORT).
    ("POST",  "/v1/imports",                      Access::Roles(&[Risk, Admin])),
    ("GET",   "/v1/imports/{id}",                 Access::Roles(&[Risk, Admin])),
];

pub use crate::workflow::assessments::MAY_BACKDATE_ASSESSMENTS;
pub use crate::workflow::investors::MAY_REVEAL_PERSONAL_DATA;

pub fn lookup(method: &Method, path: &str) -> Option<&'static Access> {
    // HEAD is GET without the body (axum answers it from the GET route): the same access.
    let method = if method == Method::HEAD {
        Method::GET.as_str()
    } else {
        method.as_str()
    };
    ROUTES
        .iter()
        .find(|(m, p, _)| *m == method && *p == path)
        .map(|(_, _, a)| a)
}

/// The methods the access table opens on `path` (HEAD wherever GET is).
fn allowed_methods(path: &str) -> Vec<&'static str> {
    let mut methods: Vec<&'static str> = ROUTES
        .iter()
        .filter(|(_, p, _)| *p == path)
        .map(|(m, _, _)| *m)
        .collect();
    if methods.contains(&"GET") {
        methods.push("HEAD");
    }
    methods
}

/// 405 with an `Allow` header that lists what the route does answer.
fn method_not_allowed(allowed: &[&str]) -> Response {
    let mut response = ApiError::MethodNotAllowed.into_response();
    if let Ok(value) = axum::http::HeaderValue::from_str(&allowed.join(", ")) {
        response
            .headers_mut()
            .insert(axum::http::header::ALLOW, value);
    }
    response
}

/// Authenticates the bearer token and checks the caller's roles against `ROUTES`.
pub async fn authorize(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let Some(access) = path.as_deref().and_then(|p| lookup(req.method(), p)) else {
        let allowed = path.as_deref().map(allowed_methods).unwrap_or_default();
        if !allowed.is_empty() {
            return method_not_allowed(&allowed);
        }
        tracing::error!(method = %req.method(), ?path, "route missing from the access table");
        return ApiError::forbidden("this route is not open to any role").into_response();
    };
    let Access::Roles(allowed) = access else {
        return next.run(req).await;
    };
    let token = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return ApiError::Unauthorized.into_response();
    };
    let staff = match state.auth.authenticate(&state.db, token).await {
        Ok(Some(staff)) => staff,
        Ok(None) => return ApiError::Unauthorized.into_response(),
        Err(e) => return ApiError::Unavailable(e).into_response(),
    };
    if !staff.has_any(allowed) {
        let roles: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
        return ApiError::forbidden(format!(
            "this action needs one of the roles: {}",
            roles.join(", ")
        ))
        .into_response();
    }
    tracing::Span::current().record("staff", staff.name.as_str());
    req.extensions_mut().insert(Caller(staff));
    next.run(req).await
}
