//! Hostile rule sets through the API: refused at upload, held to the testing budget, and, once
//! active, unable to slow down anything that needs no rule.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{TestApp, assert_error};
use crate::on_both;
use crate::rulesets::shipped_files;
use crate::suitability::{check, investor_at, product};

on_both!(
    the_curry_bomb_is_refused_at_upload_and_the_server_lives,
    a_function_shadowing_a_decision_method_is_refused_at_upload,
    more_test_cases_than_the_budget_is_too_costly,
    health_stays_fast_while_four_clients_hit_a_hostile_rule,
);

fn with(extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut files = shipped_files();
    for (name, text) in extra {
        files.insert(name.to_string(), text.to_string());
    }
    files
}

async fn upload(
    app: &TestApp,
    files: &BTreeMap<String, String>,
) -> (StatusCode, serde_json::Value) {
    app.post(
        "/v1/rulesets",
        "risk",
        json!({"files": files, "note": "hostile"}),
    )
    .await
}

async fn the_curry_bomb_is_refused_at_upload_and_the_server_lives(app: TestApp) {
    let files = with(&[
        (
            "70-hostile.rhai",
            "fn g(a){1} if product.code==\"X\"{let f=Fn(\"g\");let i=0;while i<27{f=f.curry(f);i+=1;}} decision.note(\"x\");",
        ),
        (
            "tests/hostile.toml",
            "[[case]]\nname = \"x\"\nproduct = { code = \"X\" }\n[case.expect]\nverdict = \"match\"\n",
        ),
    ]);
    let got = upload(&app, &files).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "rules_invalid",
        Some("files.70-hostile.rhai"),
    );
    let (status, _) = app
        .request(reqwest::Method::GET, "/health", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
}

async fn a_function_shadowing_a_decision_method_is_refused_at_upload(app: TestApp) {
    let files = with(&[(
        "70-shadow.rhai",
        "// looks like a helper\nfn reject(a, b) {}\ndecision.reject(\"x\", \"y\");",
    )]);
    let got = upload(&app, &files).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "rules_invalid",
        Some("files.70-shadow.rhai"),
    );
    let problem = got.1["error"]["details"][0]["problem"]
        .as_str()
        .unwrap_or_default();
    assert!(problem.starts_with("line 2, column 1:"), "{problem}");
}

async fn more_test_cases_than_the_budget_is_too_costly(app: TestApp) {
    let case = "[[case]]\nname = \"c\"\n[case.expect]\nverdict = \"match\"\n";
    let many = case.repeat(2_001);
    let files = with(&[("tests/many.toml", many.as_str())]);
    let got = upload(&app, &files).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "rules_too_costly",
        Some("files"),
    );
    let problem = got.1["error"]["details"][0]["problem"]
        .as_str()
        .unwrap_or_default();
    assert!(problem.contains("at most 2000"), "{problem}");
    let (_, list) = app.get("/v1/rulesets", "risk").await;
    assert_eq!(
        list["items"].as_array().map(Vec::len),
        Some(1),
        "nothing stored"
    );
}

/// A rule that spins until the sandbox stops it, for one product code; the rest of the set is
/// untouched, so its tests pass and it can be activated.
fn spinning_set() -> BTreeMap<String, String> {
    with(&[
        (
            "70-spin.rhai",
            "if product.code == \"SPIN\" { let n = 0; loop { n += 1; } }\nif product.code == \"NOTE\" { decision.note(\"n\"); }",
        ),
        (
            "tests/spin.toml",
            "[[case]]\nname = \"spins\"\nproduct = { code = \"SPIN\" }\n[case.expect]\nerror = \"stopped\"\n\n\
             [[case]]\nname = \"notes\"\nproduct = { code = \"NOTE\" }\n[case.expect]\nverdict = \"match\"\n",
        ),
    ])
}

async fn health_stays_fast_while_four_clients_hit_a_hostile_rule(app: TestApp) {
    let (status, created) = upload(&app, &spinning_set()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, act) = app
        .post("/v1/rulesets/2/activate", "risk2", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{act}");
    let investor = investor_at(&app, "C5", "1980-01-01", None).await;
    let spin = product(&app, "SPIN", "R3").await;
    let app = std::sync::Arc::new(app);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..4 {
        let (app, stop, investor, spin) =
            (app.clone(), stop.clone(), investor.clone(), spin.clone());
        clients.push(tokio::spawn(async move {
            let mut failed = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let (status, body) = check(&app, &investor, &spin, json!(1000000)).await;
                assert!(
                    status == StatusCode::INTERNAL_SERVER_ERROR
                        || status == StatusCode::SERVICE_UNAVAILABLE,
                    "{status} {body}"
                );
                failed += 1;
            }
            failed
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut times = Vec::new();
    for _ in 0..100 {
        let t = Instant::now();
        let (status, _) = app
            .request(reqwest::Method::GET, "/health", None, None)
            .await;
        times.push(t.elapsed());
        assert_eq!(status, StatusCode::OK);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut hostile = 0;
    for c in clients {
        hostile += c.await.expect("client");
    }
    times.sort();
    let p99 = times[98];
    eprintln!(
        "/health p99 {p99:?} (max {:?}) while {hostile} hostile checks ran",
        times[99]
    );
    assert!(hostile >= 8, "the hostile rule ran {hostile} times");
    assert!(p99 < Duration::from_millis(50), "/health p99 {p99:?}");
    // The rule failed by name; nothing else was hurt.
    let (status, body) = check(&app, &investor, &spin, json!(1000000)).await;
    assert_error(
        &(status, body),
        StatusCode::INTERNAL_SERVER_ERROR,
        "rule_failed",
        None,
    );
}
