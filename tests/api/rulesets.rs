//! Rule sets risk staff edit: the compile and test gates, four eyes, activation and rollback,
//! the two-instance switch, impact preview, background re-evaluation, evaluate and replay.

use std::collections::BTreeMap;
use std::time::{Duration as StdDuration, Instant};

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, assert_error, repo_path};
use crate::on_both;
use crate::orders::place;
use crate::suitability::{check, investor_at, product};

on_both!(
    a_compile_error_is_named_with_file_line_and_column,
    failing_tests_keep_a_draft_out,
    activation_needs_a_second_person_and_rollback_reactivates,
    the_impact_preview_counts_what_changes,
    activation_plans_the_special_callbacks_the_new_rules_call_for,
    raw_facts_evaluate_without_the_store,
    a_stored_decision_replays_identically,
);

pub fn shipped_files() -> BTreeMap<String, String> {
    suitability::rules::RuleFiles::from_dir(&repo_path("rules"))
        .expect("rules")
        .0
}

/// The shipped set plus a rule that gives every private-equity holding an `annual_review`
/// special callback, with its test (the shipped tests use securities funds, so they still pass).
pub fn files_with_annual_review() -> BTreeMap<String, String> {
    let mut files = shipped_files();
    files.insert(
        "65-annual-review.rhai".into(),
        "// Private equity holdings get a review call within 14 days.\nif product.kind == \"private_equity\" {\n    decision.special_callback(\"annual_review\", 14, [\"identity_confirmed\"]);\n}\n".into(),
    );
    files.insert(
        "tests/annual-review.toml".into(),
        "[[case]]\nname = \"private equity gets an annual review\"\nproduct = { kind = \"private_equity\" }\n[case.expect]\nspecial_callbacks = [\"annual_review\"]\n".into(),
    );
    files
}

/// A private-equity product.
async fn pe_product(app: &TestApp, code: &str, rating: &str) -> String {
    let body = json!({"code": code, "name": code, "kind": "private_equity", "risk_rating": rating, "min_subscription": 1000000});
    let (status, created) = app.post("/v1/products", "risk", body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_str().expect("id").to_string()
}

async fn upload(app: &TestApp, who: &str, files: &BTreeMap<String, String>) -> (StatusCode, Value) {
    app.post("/v1/rulesets", who, json!({"files": files, "note": "test"}))
        .await
}

async fn a_compile_error_is_named_with_file_line_and_column(app: TestApp) {
    let mut files = shipped_files();
    files.insert(
        "70-broken.rhai".into(),
        "// fine\nlet x = product.rating +* 2;\nlet y = 1;\n".into(),
    );
    let got = upload(&app, "risk", &files).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "rules_invalid",
        Some("files.70-broken.rhai"),
    );
    let e = &got.1["error"]["errors"][0];
    assert_eq!(e["file"], "70-broken.rhai");
    assert_eq!(e["line"], 2);
    assert!(e["column"].as_u64().is_some_and(|c| c > 0), "{e}");
    assert!(
        got.1["error"]["details"][0]["problem"]
            .as_str()
            .unwrap_or("")
            .starts_with("line 2, column")
    );
    files.remove("70-broken.rhai");
    files.insert("../escape.rhai".into(), "".into());
    let got = upload(&app, "risk", &files).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("files.../escape.rhai"),
    );
    let (_, list) = app.get("/v1/rulesets", "risk").await;
    assert_eq!(
        list["items"].as_array().map(Vec::len),
        Some(1),
        "nothing stored"
    );
    assert_error(
        &upload(&app, "sales", &shipped_files()).await,
        StatusCode::FORBIDDEN,
        "forbidden",
        None,
    );
}

async fn failing_tests_keep_a_draft_out(app: TestApp) {
    let mut files = shipped_files();
    // Make R5 semiannual: the shipped tests expect quarterly.
    let rule = files["50-callbacks.rhai"].replace(
        "if rating >= 5 {\n    decision.periodic(\"quarterly\");",
        "if rating >= 5 {\n    decision.periodic(\"semiannual\");",
    );
    files.insert("50-callbacks.rhai".into(), rule);
    let got = upload(&app, "risk", &files).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "rule_tests_failed",
        None,
    );
    let failures = got.1["error"]["tests"]["failures"]
        .as_array()
        .expect("failures");
    assert!(!failures.is_empty());
    assert!(
        failures.iter().any(|f| f["problems"]
            .to_string()
            .contains("periodic: expected quarterly, got semiannual")),
        "{failures:?}"
    );
    // A rule without any test doing something is refused too.
    let mut files = shipped_files();
    files.insert(
        "70-untested.rhai".into(),
        "if order.amount > 99999999999 { decision.note(\"huge\"); }".into(),
    );
    let got = upload(&app, "risk", &files).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "rule_tests_failed",
        Some("files.70-untested.rhai"),
    );
}

async fn activation_needs_a_second_person_and_rollback_reactivates(app: TestApp) {
    let (status, created) = upload(&app, "risk", &files_with_annual_review()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["version"], 2);
    assert_eq!(created["status"], "draft");
    assert!(created["tests"]["passed"].as_u64().unwrap_or(0) > 50);
    let got = app.post("/v1/rulesets/2/activate", "risk", json!({})).await;
    assert_error(&got, StatusCode::FORBIDDEN, "same_author", None);
    assert_error(
        &app.post("/v1/rulesets/2/activate", "compliance", json!({}))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
        None,
    );
    let (status, act) = app
        .post("/v1/rulesets/2/activate", "risk2", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{act}");
    assert_eq!(act["previous"], 1);
    let (_, active) = app.get("/v1/rulesets/active", "compliance").await;
    assert_eq!(active["version"], 2);
    assert!(active["files"]["65-annual-review.rhai"].is_string());
    let (_, list) = app.get("/v1/rulesets", "risk").await;
    let statuses: Vec<(i64, String)> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| {
            (
                r["version"].as_i64().unwrap_or(0),
                r["status"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [(2, "active".to_string()), (1, "retired".to_string())]
    );
    // The instance evaluates with version 2 at once.
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let r3 = pe_product(&app, "PE3", "R3").await;
    let (_, d) = check(&app, &investor, &r3, json!(1000000)).await;
    assert_eq!(d["ruleset_version"], 2);
    assert_eq!(d["special_callbacks"][0]["reason"], "annual_review");
    assert_error(
        &app.post("/v1/rulesets/2/activate", "risk2", json!({}))
            .await,
        StatusCode::CONFLICT,
        "already_active",
        None,
    );
    // Rollback: the retired version 1 is activated again (its author is the seed, not a person).
    let (status, back) = app.post("/v1/rulesets/1/activate", "risk", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{back}");
    assert_eq!(back["previous"], 2);
    let (_, d) = check(&app, &investor, &r3, json!(1000000)).await;
    assert_eq!(d["ruleset_version"], 1);
    assert_eq!(d["special_callbacks"], json!([]));
    let (_, health) = app
        .request(reqwest::Method::GET, "/health", None, None)
        .await;
    assert_eq!(health["ruleset_version"], 1);
    assert_error(
        &app.get("/v1/rulesets/99", "risk").await,
        StatusCode::NOT_FOUND,
        "not_found",
        None,
    );
}

async fn the_impact_preview_counts_what_changes(app: TestApp) {
    let c3 = investor_at(&app, "C3", "1980-01-01", None).await;
    let r3 = pe_product(&app, "PE3", "R3").await;
    let r2 = product(&app, "R2F", "R2").await;
    place(&app, &c3, &r3, Duration::hours(2), json!([])).await;
    place(&app, &c3, &r2, Duration::hours(2), json!([])).await;
    let (_, created) = upload(&app, "risk", &files_with_annual_review()).await;
    let v = created["version"].as_i64().expect("version");
    let (status, report) = app
        .post(&format!("/v1/rulesets/{v}/impact"), "risk", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["holdings"], 2);
    assert_eq!(report["changed"]["special_callbacks"], 1);
    assert_eq!(report["changed"]["verdict"], 0);
    assert_eq!(report["changed"]["any"], 1);
    assert_eq!(report["errors"], 0);
    let example = &report["examples"][0];
    assert_eq!(example["product_id"], r3.as_str());
    assert_eq!(
        example["draft"]["special_callbacks"],
        json!(["annual_review"])
    );
    assert_eq!(example["active"]["special_callbacks"], json!([]));
}

async fn activation_plans_the_special_callbacks_the_new_rules_call_for(app: TestApp) {
    let c3 = investor_at(&app, "C3", "1980-01-01", None).await;
    let r3 = pe_product(&app, "PE3", "R3").await;
    let r2 = product(&app, "R2F", "R2").await;
    place(&app, &c3, &r3, Duration::hours(30), json!([])).await;
    place(&app, &c3, &r2, Duration::hours(30), json!([])).await;
    let (_, created) = upload(&app, "risk", &files_with_annual_review()).await;
    let v = created["version"].as_i64().expect("version");
    let (status, act) = app
        .post(&format!("/v1/rulesets/{v}/activate"), "admin", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{act}");
    let started = Instant::now();
    let job = loop {
        let (_, jobs) = app.get(&format!("/v1/rulesets/{v}/jobs"), "risk").await;
        let job = jobs["items"][0].clone();
        if job["status"] != "running" {
            break job;
        }
        assert!(
            started.elapsed() < StdDuration::from_secs(20),
            "job did not finish: {job}"
        );
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    };
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(
        (
            job["total"].as_i64(),
            job["processed"].as_i64(),
            job["callbacks"].as_i64()
        ),
        (Some(2), Some(2), Some(1))
    );
    let (_, specials) = app.get("/v1/callbacks?kind=special", "planner").await;
    let items = specials["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{specials}");
    assert_eq!(items[0]["reason"], "annual_review");
    assert_eq!(items[0]["product"]["id"], r3.as_str());
}

async fn raw_facts_evaluate_without_the_store(app: TestApp) {
    let body = json!({"investor": {"level": 2, "age": 61}, "product": {"rating": 4}, "order": {"amount": "2000000"}});
    let (status, d) = app.post("/v1/rulesets/1/evaluate", "risk", body).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["verdict"], "mismatch");
    assert_eq!(d["investor"]["level"], "C2");
    assert_eq!(d["investor"]["id"], Value::Null);
    let reasons: Vec<&str> = d["special_callbacks"]
        .as_array()
        .expect("s")
        .iter()
        .filter_map(|s| s["reason"].as_str())
        .collect();
    assert_eq!(reasons, ["mismatch", "elderly_high_risk"]);
    let got = app
        .post(
            "/v1/rulesets/1/evaluate",
            "risk",
            json!({"investor": {"levle": 2}}),
        )
        .await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("investor.levle"),
    );
    let got = app
        .post(
            "/v1/rulesets/1/evaluate",
            "risk",
            json!({"order": {"amount": 1.5e300}}),
        )
        .await;
    assert_eq!(got.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", got.1);
}

async fn a_stored_decision_replays_identically(app: TestApp) {
    let investor = investor_at(&app, "C2", "1960-01-01", None).await;
    let r4 = product(&app, "R4F", "R4").await;
    let o = place(
        &app,
        &investor,
        &r4,
        Duration::hours(2),
        json!(["mismatch_warning_signed", "dual_recording"]),
    )
    .await;
    let id = o["decision_id"].as_str().expect("decision");
    let (status, stored) = app.get(&format!("/v1/decisions/{id}"), "compliance").await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!(stored["ruleset_version"], 1);
    assert_eq!(stored["facts"]["investor"]["level"], 2);
    // A newer active version does not change what the stored decision replays to.
    let (_, created) = upload(&app, "risk", &files_with_annual_review()).await;
    let v = created["version"].as_i64().expect("v");
    assert_eq!(
        app.post(&format!("/v1/rulesets/{v}/activate"), "risk2", json!({}))
            .await
            .0,
        StatusCode::OK
    );
    let (status, replay) = app
        .get(&format!("/v1/decisions/{id}/replay"), "compliance")
        .await;
    assert_eq!(status, StatusCode::OK, "{replay}");
    assert_eq!(replay["identical"], true);
    assert_eq!(replay["ruleset_version"], 1);
    assert_eq!(replay["stored"], replay["replayed"]);
    assert_eq!(replay["replayed"]["verdict"], "mismatch");
}

/// Two instances on one database: an activation on one reaches the other within seconds.
async fn a_second_instance_switches_without_restart(backend: Backend) {
    let a = TestApp::spawn_with(backend, |c| c.ruleset_poll = StdDuration::from_millis(200)).await;
    let url = a.database_url.clone();
    let mut config = crate::common::test_config(&url);
    config.ruleset_poll = StdDuration::from_millis(200);
    let b = suitability::app::Application::build(config)
        .await
        .expect("second instance");
    let b_base = format!("http://{}", b.local_addr());
    tokio::spawn(b.run_until(std::future::pending()));
    let health = |base: String| async move {
        reqwest::get(format!("{base}/health"))
            .await
            .expect("sent")
            .json::<Value>()
            .await
            .expect("json")
    };
    assert_eq!(health(b_base.clone()).await["ruleset_version"], 1);
    let (status, _) = upload(&a, "risk", &files_with_annual_review()).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        a.post("/v1/rulesets/2/activate", "risk2", json!({}))
            .await
            .0,
        StatusCode::OK
    );
    let started = Instant::now();
    loop {
        if health(b_base.clone()).await["ruleset_version"] == 2 {
            break;
        }
        assert!(
            started.elapsed() < StdDuration::from_secs(10),
            "the second instance did not switch"
        );
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    // And back again (a rollback travels the same way).
    assert_eq!(
        a.post("/v1/rulesets/1/activate", "risk2", json!({}))
            .await
            .0,
        StatusCode::OK
    );
    let started = Instant::now();
    while health(b_base.clone()).await["ruleset_version"] != 1 {
        assert!(
            started.elapsed() < StdDuration::from_secs(10),
            "the second instance did not roll back"
        );
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_instance_switches_without_restart_sqlite() {
    a_second_instance_switches_without_restart(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_instance_switches_without_restart_postgres() {
    a_second_instance_switches_without_restart(Backend::Postgres).await;
}

/// `suitability rules publish DIR` tests the folder locally, then uploads it as a draft.
async fn rules_publish_uploads_a_tested_folder(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().expect("dir");
    for (path, text) in files_with_annual_review() {
        let target = dir.path().join(&path);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::write(target, text).expect("write");
    }
    let publish = |folder: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_suitability"))
            .args(["rules", "publish"])
            .arg(folder)
            .args(["--url", &app.base, "--note", "annual review of PE"])
            .env("SUITABILITY_TOKEN", app.token("risk"))
            .output()
            .expect("runs")
    };
    let out = publish(dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("published draft version 2"), "{stdout}");
    let (_, v2) = app.get("/v1/rulesets/2", "risk").await;
    assert_eq!(v2["status"], "draft");
    assert_eq!(v2["note"], "annual review of PE");
    // A folder whose tests fail is not uploaded.
    std::fs::write(
        dir.path().join("tests/annual-review.toml"),
        "[[case]]\nname = \"wrong\"\n[case.expect]\nverdict = \"reject\"\n",
    )
    .expect("write");
    let out = publish(dir.path());
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("not published"));
    let (_, list) = app.get("/v1/rulesets", "risk").await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_publish_uploads_a_tested_folder_sqlite() {
    rules_publish_uploads_a_tested_folder(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_publish_uploads_a_tested_folder_postgres() {
    rules_publish_uploads_a_tested_folder(Backend::Postgres).await;
}
