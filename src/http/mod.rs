//! The HTTP API (v1): one module per resource, each with its handlers and their request and
//! response types; `access` decides who may call what; `openapi` documents it all.

pub mod access;
pub mod archive;
pub mod assessments;
pub mod audit;
pub mod auth;
pub mod callbacks;
pub mod classification;
pub mod complaints;
pub mod decisions;
pub mod escalations;
pub mod evidence;
pub mod extract;
pub mod health;
pub mod imports;
pub mod investors;
pub mod metrics;
pub mod openapi;
pub mod openapi_statuses;
pub mod orders;
pub mod products;
pub mod questionnaires;
pub mod reports;
pub mod request_id;
pub mod requirements;
pub mod rulesets;
pub mod staff;
pub mod strict_json;
pub mod suitability;

use std::sync::Arc;

use axum::Router;
use axum::http::Request;
use axum::middleware;
use axum::routing::get;
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::error::ApiError;
use crate::questionnaire::QuestionnaireSet;
use crate::store::Db;

/// The largest request body read (413 above it).
pub const BODY_LIMIT: usize = 4 << 20;

/// Everything a handler may need, shared by all requests. One pointer: axum clones the state
/// for every extractor and middleware of every request, and a clone of each field was an
/// atomic increment (and decrement) on counters both cores contend for.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What the state holds.
pub struct Shared {
    pub db: Db,
    pub config: Arc<Config>,
    pub questionnaires: Arc<QuestionnaireSet>,
    pub auth: Arc<auth::AuthCache>,
    pub rules: Arc<crate::rules::active::ActiveRules>,
    /// Seals and opens personal data.
    pub vault: Arc<crate::vault::Vault>,
    /// Identity-number lookups per staff member (30 a minute).
    pub lookups: Arc<crate::workflow::ratelimit::RateLimiter>,
    /// One import at a time on this instance.
    pub imports: Arc<tokio::sync::Semaphore>,
}

impl Shared {
    /// What the workflows need, with the rule set active at this moment.
    pub fn ctx(&self) -> crate::workflow::Ctx<'_> {
        crate::workflow::Ctx {
            rules: self.rules.get(),
            policy: &self.config.policy,
            vault: &self.vault,
            questionnaires: &self.questionnaires,
            lookups: &self.lookups,
        }
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/openapi.json", get(openapi::get_openapi))
        .route("/metrics", get(metrics::get_metrics))
        .merge(questionnaires::router())
        .merge(investors::router())
        .merge(classification::router())
        .merge(assessments::router())
        .merge(products::router())
        .merge(suitability::router())
        .merge(orders::router())
        .merge(callbacks::router())
        .merge(escalations::router())
        .merge(rulesets::router())
        .merge(decisions::router())
        .merge(audit::router())
        .merge(complaints::router())
        .merge(evidence::router())
        .merge(archive::router())
        .merge(reports::router())
        .merge(staff::router())
        .merge(requirements::router())
        .merge(health::router())
        .merge(imports::router())
        // Runs for matched routes only, so it can look the route up in the access table.
        .route_layer(middleware::from_fn_with_state(state.clone(), access::authorize))
        // Counted by route template, refusals too (a route layer sees the matched path).
        .route_layer(middleware::from_fn(metrics::track))
        // The console signs its members in with sessions of its own (`console::session`) and
        // applies the same role table page by page, so it sits outside the bearer-token layer.
        .merge(crate::console::router())
        // Swagger UI over /openapi.json, vendored (works offline); it holds no data.
        .merge(
            utoipa_swagger_ui::SwaggerUi::new("/docs")
                .config(utoipa_swagger_ui::Config::from("/openapi.json")),
        )
        .fallback(|| async { ApiError::NotFound { what: "route" } })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        // A rule-set upload may hold 2 MiB of files; no other body comes near.
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        // A panic answers 500 in the contract's shape instead of dropping the connection.
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(crate::error::panic_response))
        // Inside the trace layer, so a logged cause carries the request's span.
        .layer(middleware::from_fn(crate::error::log_failures))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let id = req
                    .headers()
                    .get(request_id::HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                tracing::info_span!("request", id = %id, method = %req.method(), path = %logged_path(req.uri().path()), staff = tracing::field::Empty)
            }),
        )
        // Outermost: the id is set before the span is made and stays on every response.
        .layer(middleware::from_fn(request_id::assign))
        .with_state(state)
}

/// The path as logged: an investor link's code is a bearer secret (whoever holds it reaches the
/// identity check), so only its first characters reach the log.
fn logged_path(path: &str) -> std::borrow::Cow<'_, str> {
    match path.strip_prefix("/i/") {
        Some(rest) => {
            let (code, tail) = rest.split_once('/').map_or((rest, ""), |(c, t)| (c, t));
            let shown: String = code.chars().take(4).collect();
            let sep = if tail.is_empty() { "" } else { "/" };
            format!("/i/{shown}…{sep}{tail}").into()
        }
        None => path.into(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_logged_path_cuts_an_investor_link_code() {
        assert_eq!(super::logged_path("/v1/investors"), "/v1/investors");
        assert_eq!(super::logged_path("/i/abcdefghijkl"), "/i/abcd…");
        assert_eq!(super::logged_path("/i/abcdefghijkl/sign"), "/i/abcd…/sign");
        assert_eq!(super::logged_path("/i/"), "/i/…");
    }
}
