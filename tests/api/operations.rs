//! Operations: every response carries an `x-request-id` (the client's when it is a short visible
//! token, else a new one) and every error body names it; `GET /metrics` answers only its own
//! token, in Prometheus text, with requests by route template, rule evaluations, the desk's
//! gauges and the pool; `backup` copies a live SQLite database and checks the copy.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{Backend, TestApp, cli};
use crate::on_both;
use crate::suitability::{check, investor_at, product};

on_both!(
    every_response_carries_a_request_id_and_errors_name_it,
    metrics_answer_their_own_token_with_routes_rules_and_the_desk,
);

const METRICS_TOKEN: &str = "metrics-token-for-the-tests-0123456789";

async fn every_response_carries_a_request_id_and_errors_name_it(app: TestApp) {
    let ask = |id: Option<&str>, path: &str, who: Option<&str>| {
        let mut req = app.client.get(format!("{}{path}", app.base));
        if let Some(id) = id {
            req = req.header("x-request-id", id);
        }
        if let Some(who) = who {
            req = req.bearer_auth(app.token(who));
        }
        req.send()
    };
    let ok = ask(Some("trace-42"), "/health", None)
        .await
        .expect("health");
    assert_eq!(ok.headers()["x-request-id"], "trace-42");
    // An id a client should not put into logs is replaced by one of ours.
    let odd = ask(Some("a b\tc"), "/health", None).await.expect("health");
    let made = odd.headers()["x-request-id"]
        .to_str()
        .expect("id")
        .to_string();
    assert_eq!(made.len(), 36, "{made}");
    // Errors carry it in the body, 401, 404 and 422 alike.
    let denied = ask(Some("r-401"), "/v1/investors", None)
        .await
        .expect("401");
    assert_eq!(denied.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = denied.json().await.expect("json");
    assert_eq!(body["error"]["request_id"], "r-401");
    let missing = ask(None, "/v1/investors/nope", Some("sales"))
        .await
        .expect("404");
    let id = missing.headers()["x-request-id"]
        .to_str()
        .expect("id")
        .to_string();
    let body: serde_json::Value = missing.json().await.expect("json");
    assert_eq!(body["error"]["request_id"], id.as_str());
    let console = ask(None, "/console/login", None).await.expect("page");
    assert!(console.headers().contains_key("x-request-id"), "pages too");
}

async fn metrics_answer_their_own_token_with_routes_rules_and_the_desk(app: TestApp) {
    let scrape = |token: Option<&str>| {
        let mut req = app.client.get(format!("{}/metrics", app.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    assert_eq!(
        scrape(None).await.expect("scrape").status(),
        StatusCode::UNAUTHORIZED
    );
    let staff = scrape(Some(app.token("admin"))).await.expect("scrape");
    assert_eq!(
        staff.status(),
        StatusCode::UNAUTHORIZED,
        "a staff token is not the metrics token"
    );
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let p = product(&app, "M3", "R3").await;
    let (status, _) = check(&app, &investor, &p, json!("1000000")).await;
    assert_eq!(status, StatusCode::OK);
    app.get(&format!("/v1/investors/{investor}"), "sales").await;
    let resp = scrape(Some(METRICS_TOKEN)).await.expect("scrape");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/plain")
    );
    let text = resp.text().await.expect("text");
    for wanted in [
        "http_requests_total{route=\"/v1/suitability/check\",method=\"POST\",status=\"200\"}",
        "http_requests_total{route=\"/v1/investors/{id}\",method=\"GET\",status=\"200\"}",
        "http_request_duration_seconds_bucket{route=\"/v1/suitability/check\"",
        "rule_evaluations_total{version=\"1\",result=\"match\"}",
        "rule_evaluation_duration_seconds_bucket",
        "callbacks_overdue",
        "escalations_open",
        "db_pool_connections",
        "db_pool_idle_connections",
    ] {
        assert!(text.contains(wanted), "{wanted} missing from\n{text}");
    }
    assert!(!text.contains(&investor), "no record ids in label values");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_public_and_swagger_ui_is_served_from_the_binary() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let get = |path: &str| app.client.get(format!("{}{path}", app.base)).send();
    let doc = get("/openapi.json").await.expect("doc");
    assert_eq!(doc.status(), StatusCode::OK, "no token needed");
    let page = get("/docs/").await.expect("docs");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.expect("html").contains("swagger-ui"));
    // Its script comes from the binary (vendored), pointed at this service's document.
    let bundle = get("/docs/swagger-ui-bundle.js").await.expect("bundle");
    assert_eq!(bundle.status(), StatusCode::OK);
    assert!(bundle.bytes().await.expect("js").len() > 100_000);
    let init = get("/docs/swagger-initializer.js").await.expect("init");
    assert!(
        init.text()
            .await
            .expect("js")
            .contains("\"url\": \"/openapi.json\"")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_not_served_without_their_token() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.metrics_token = None).await;
    let resp = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .expect("scrape");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_of_a_live_database_opens_and_verifies() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    investor_at(&app, "C3", "1980-01-01", None).await;
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("copy.db");
    let out = out.to_str().expect("utf-8");
    let (ok, text) = cli(&app.database_url, &["backup", "--out", out]);
    assert!(ok, "{text}");
    assert!(text.contains("audit trail intact"), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(out).expect("copy").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The copy is a database the service reads: its trail verifies through the CLI too.
    let key = std::path::Path::new(app.database_url.trim_start_matches("sqlite://"))
        .with_extension("key");
    let copy_url = format!("sqlite://{out}");
    let key_arg = key.to_str().expect("utf-8");
    let (ok, text) = cli(&copy_url, &["--data-key-file", key_arg, "audit", "verify"]);
    assert!(ok && text.contains("intact"), "{text}");
    // Never over an existing file; PostgreSQL is backed up with its own tools.
    let (ok, text) = cli(&app.database_url, &["backup", "--out", out]);
    assert!(!ok && text.contains("never overwrites"), "{text}");
}
