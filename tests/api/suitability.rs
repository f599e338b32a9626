//! The suitability check through the HTTP stack: decisions, expiry edges, errors, a failing rule.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::assessments::{answers_scoring, options_for};
use crate::common::{Backend, TestApp, assert_error, repo_path};
use crate::on_both;

on_both!(
    a_c3_investor_buying_r4_gets_a_mismatch_with_requirements_and_callbacks,
    an_assessment_expires_after_three_years_to_the_day,
    unknown_parties_and_bad_amounts_are_refused,
);

pub async fn product(app: &TestApp, code: &str, rating: &str) -> String {
    let body = json!({"code": code, "name": code, "kind": "private_securities", "risk_rating": rating, "min_subscription": 1000000});
    let (status, created) = app.post("/v1/products", "risk", body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_str().expect("id").to_string()
}

/// An individual with an assessment scoring into `level` ("C1".."C5"), taken at `assessed_at` (now if None).
pub async fn investor_at(
    app: &TestApp,
    level: &str,
    birth_date: &str,
    assessed_at: Option<&str>,
) -> String {
    let qs = options_for(app, "individual", birth_date).await;
    let investor = app.individual(birth_date).await;
    let score = match level {
        "C1" => 15,
        "C2" => 30,
        "C3" => 45,
        "C4" => 70,
        _ => 90,
    };
    let mut body =
        json!({"questionnaire_id": "individual", "answers": answers_scoring(&qs, score)});
    // Orders are decided on the assessment the investor had when they signed, and tests sign
    // orders up to 400 days back: by default the assessment is a paper record from two years ago
    // (still valid: 36 months), imported by risk.
    let two_years_ago = (chrono::Utc::now() - chrono::Duration::days(730)).to_rfc3339();
    body["assessed_at"] = json!(assessed_at.unwrap_or(&two_years_ago));
    let who = "risk";
    let (status, a) = app
        .post(&format!("/v1/investors/{investor}/assessments"), who, body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    assert_eq!(a["level"], level);
    investor
}

pub async fn check(
    app: &TestApp,
    investor: &str,
    product: &str,
    amount: Value,
) -> (StatusCode, Value) {
    app.post(
        "/v1/suitability/check",
        "sales",
        json!({"investor_id": investor, "product_id": product, "amount": amount}),
    )
    .await
}

async fn a_c3_investor_buying_r4_gets_a_mismatch_with_requirements_and_callbacks(app: TestApp) {
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let r4 = product(&app, "R4FUND", "R4").await;
    let (status, d) = check(&app, &investor, &r4, json!("1000000")).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["verdict"], "mismatch");
    assert_eq!(d["investor"]["id"], investor.as_str());
    assert_eq!(d["investor"]["level"], "C3");
    assert_eq!(d["investor"]["qualified"], true);
    assert_eq!(d["product"]["risk_rating"], "R4");
    assert_eq!(d["reasons"][0]["code"], "above_tolerance");
    assert_eq!(d["reasons"][0]["rule"], "30-matching");
    let mut reqs: Vec<&str> = d["requirements"]
        .as_array()
        .expect("reqs")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    reqs.sort();
    assert_eq!(reqs, ["dual_recording", "mismatch_warning_signed"]);
    let checks: Vec<&str> = d["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter_map(|c| c["code"].as_str())
        .collect();
    assert!(
        checks.contains(&"identity_confirmed") && checks.contains(&"mismatch_warning_understood")
    );
    assert!(
        d["checks"][0]["question"]
            .as_str()
            .is_some_and(|q| !q.is_empty())
    );
    assert_eq!(d["periodic"], "quarterly");
    assert_eq!(d["special_callbacks"][0]["reason"], "mismatch");
    assert_eq!(d["special_callbacks"][0]["due_in_days"], 2);
    assert_eq!(d["ruleset_version"], 1);
    let rules: Vec<&str> = d["trace"]
        .as_array()
        .expect("trace")
        .iter()
        .filter_map(|t| t["rule"].as_str())
        .collect();
    assert_eq!(rules[0], "10-eligibility");
    assert!(rules.contains(&"30-matching"));
    // The same investor and an R3 product: a match.
    let r3 = product(&app, "R3FUND", "R3").await;
    let (_, d) = check(&app, &investor, &r3, json!(1000000)).await;
    assert_eq!(d["verdict"], "match");
    assert_eq!(d["periodic"], "annual");
    // One yuan under the minimum: rejected.
    let (_, d) = check(&app, &investor, &r3, json!("999999")).await;
    assert_eq!(d["verdict"], "reject");
    assert_eq!(d["reasons"][0]["code"], "below_minimum");
}

async fn an_assessment_expires_after_three_years_to_the_day(app: TestApp) {
    let r1 = product(&app, "R1FUND", "R1").await;
    let now = chrono::Utc::now();
    let fresh_enough = (now - chrono::Months::new(36) + chrono::Duration::days(1)).to_rfc3339();
    let expired = (now - chrono::Months::new(36) - chrono::Duration::days(1)).to_rfc3339();
    let valid = investor_at(&app, "C3", "1980-01-01", Some(&fresh_enough)).await;
    let (_, d) = check(&app, &valid, &r1, json!(1000000)).await;
    assert_eq!(d["verdict"], "match", "{d}");
    let stale = investor_at(&app, "C3", "1980-01-01", Some(&expired)).await;
    let (_, d) = check(&app, &stale, &r1, json!(1000000)).await;
    assert_eq!(d["verdict"], "reject", "{d}");
    assert_eq!(d["reasons"][0]["code"], "assessment_expired");
    assert_eq!(d["requirements"], json!(["reassessment"]));
    let never = app.individual("1980-01-01").await;
    let (_, d) = check(&app, &never, &r1, json!(1000000)).await;
    assert_eq!(d["reasons"][0]["code"], "no_assessment");
    assert_eq!(d["investor"]["level"], Value::Null);
}

async fn unknown_parties_and_bad_amounts_are_refused(app: TestApp) {
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let r3 = product(&app, "R3FUND", "R3").await;
    assert_error(
        &check(&app, "nobody", &r3, json!(1000000)).await,
        StatusCode::NOT_FOUND,
        "not_found",
        None,
    );
    assert_error(
        &check(&app, &investor, "nothing", json!(1000000)).await,
        StatusCode::NOT_FOUND,
        "not_found",
        None,
    );
    for bad in [
        json!(-1),
        json!(0),
        json!("1.001"),
        json!("lots"),
        json!(null),
    ] {
        let got = check(&app, &investor, &r3, bad).await;
        assert_error(
            &got,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some("amount"),
        );
    }
    let got = app
        .post(
            "/v1/suitability/check",
            "planner",
            json!({"investor_id": investor, "product_id": r3, "amount": 1}),
        )
        .await;
    assert_error(&got, StatusCode::FORBIDDEN, "forbidden", None);
}

/// A rule that fails at run time answers 500 `rule_failed` naming the rule, and the service
/// keeps answering other requests.
async fn a_failing_rule_is_named_and_the_service_keeps_answering(backend: Backend) {
    let dir = tempfile::tempdir().expect("dir");
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(rules.join("tests")).expect("mkdir");
    for entry in std::fs::read_dir(repo_path("rules")).expect("rules") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            std::fs::copy(&path, rules.join(path.file_name().expect("name"))).expect("copy");
        }
    }
    std::fs::write(rules.join("70-hostile.rhai"), "fn f(x) { f(x) }\nif product.code == \"BOOM\" {\n    f(1);\n}\nif product.code == \"LOOP\" { let s = \"x\"; loop { s += s; } }\n")
        .expect("write");
    let app = TestApp::spawn_with(backend, |c| c.rules_dir = rules.clone()).await;
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    for code in ["BOOM", "LOOP"] {
        let bad = product(&app, code, "R3").await;
        let got = check(&app, &investor, &bad, json!(1000000)).await;
        assert_error(
            &got,
            StatusCode::INTERNAL_SERVER_ERROR,
            "rule_failed",
            Some("70-hostile.rhai"),
        );
        assert!(
            got.1["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("70-hostile.rhai"),
            "{}",
            got.1
        );
    }
    let fine = product(&app, "FINE", "R3").await;
    let (status, d) = check(&app, &investor, &fine, json!(1000000)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(d["verdict"], "match");
    let (status, _) = app
        .request(reqwest::Method::GET, "/health", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_rule_is_named_and_the_service_keeps_answering_sqlite() {
    a_failing_rule_is_named_and_the_service_keeps_answering(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_rule_is_named_and_the_service_keeps_answering_postgres() {
    a_failing_rule_is_named_and_the_service_keeps_answering(Backend::Postgres).await;
}
