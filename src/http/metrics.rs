//! `GET /metrics` in Prometheus text format, for a scraper holding the metrics token (its own,
//! not a staff token: a scraper is no member of staff; without a configured token the route is
//! 404). Requests are counted and timed by route template, never by raw path (ids would make a
//! series per record); the desk's gauges and the pool's connections are read at scrape time.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::AppState;
use crate::error::ApiError;

/// Seconds: 1 ms to 10 s, for requests and rule evaluations alike.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process's recorder, installed once (every app in a test process shares it).
pub fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), BUCKETS)
                .ok()?
                .install_recorder()
                .ok()
        })
        .as_ref()
}

/// Counts and times every request by its route template.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = req.method().to_string();
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    let seconds = started.elapsed().as_secs_f64();
    metrics::counter!("http_requests_total", "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "route" => route).record(seconds);
    response
}

/// One rule evaluation on the request path (checks, orders): by version and verdict or error.
pub fn rule_evaluated(version: i64, result: &'static str, seconds: f64) {
    metrics::counter!("rule_evaluations_total", "version" => version.to_string(), "result" => result)
        .increment(1);
    metrics::histogram!("rule_evaluation_duration_seconds").record(seconds);
}

fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The metrics in Prometheus text format, for the holder of the metrics token (`SUITABILITY_METRICS_TOKEN`,
/// not a staff token); 404 when no metrics token is configured.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain"),
        (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_metrics(
    State(state): State<AppState>,
    req: Request,
) -> Result<Response, ApiError> {
    let Some(token) = state.config.metrics_token.as_deref() else {
        return Err(ApiError::NotFound { what: "route" });
    };
    let sent = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !same(sent.as_bytes(), token.as_bytes()) {
        return Err(ApiError::Unauthorized);
    }
    let Some(handle) = handle() else {
        return Err(ApiError::Internal("no metrics recorder".into()));
    };
    let desk = {
        let mut pooled = state.db.acquire().await?;
        crate::store::desk_gauges::read(&mut pooled.conn()).await?
    };
    for (kind, n) in &desk.open_by_kind {
        metrics::gauge!("callbacks_open", "kind" => kind.clone()).set(*n as f64);
    }
    metrics::gauge!("callbacks_overdue").set(desk.overdue as f64);
    metrics::gauge!("escalations_open").set(desk.escalations_open as f64);
    let (size, idle) = state.db.pool_sizes();
    metrics::gauge!("db_pool_connections").set(f64::from(size));
    metrics::gauge!("db_pool_idle_connections").set(idle as f64);
    let text = handle.render();
    Ok((
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        text,
    )
        .into_response())
}
