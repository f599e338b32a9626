//! A mismatch sale's callbacks are coherent: they never ask a question whose honest answer
//! fails a sale the rules allowed, so an investor who knows and insists is confirmed.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Map, Value, json};

use crate::common::TestApp;
use crate::on_both;
use crate::orders::place;
use crate::suitability::{investor_at, product};

on_both!(an_honest_mismatch_confirmation_confirms_the_order);

fn codes(cb: &Value) -> Vec<String> {
    cb["checks"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c["code"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

async fn an_honest_mismatch_confirmation_confirms_the_order(app: TestApp) {
    let investor = investor_at(&app, "C2", "1980-01-01", None).await;
    let r3 = product(&app, "MIS3", "R3").await;
    let order = place(
        &app,
        &investor,
        &r3,
        Duration::hours(30),
        json!(["mismatch_warning_signed"]),
    )
    .await;
    assert_eq!(order["decision"]["verdict"], "mismatch");
    let by_kind = |kind: &str| {
        order["callbacks"]
            .as_array()
            .expect("callbacks")
            .iter()
            .find(|c| c["kind"] == kind)
            .cloned()
            .expect("callback")
    };
    let (confirmation, periodic) = (by_kind("confirmation"), by_kind("periodic"));
    for cb in [&confirmation, &periodic] {
        let checks = codes(cb);
        assert!(
            !checks.contains(&"risk_tolerance_matches".to_string()),
            "{checks:?}"
        );
        assert!(
            checks.contains(&"mismatch_warning_understood".to_string()),
            "{checks:?}"
        );
    }
    // The honest answers of an investor who was warned and insists: every check passes.
    let id = confirmation["id"].as_str().expect("id");
    let (status, _) = app
        .post(&format!("/v1/callbacks/{id}/claim"), "planner", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut answers = Map::new();
    for code in codes(&confirmation) {
        answers.insert(code, json!(true));
    }
    let body = json!({"method": "phone", "reached": true, "answers": answers, "recording_ref": "tel/mis.wav"});
    let (status, out) = app
        .post(&format!("/v1/callbacks/{id}/outcome"), "planner", body)
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["order_status"], "confirmed", "{out}");
}

/// Every decision explains itself in plain Chinese: level and rating, verdict and why, what must
/// happen first, the callbacks that follow.
async fn every_decision_explains_itself(app: TestApp) {
    let investor = investor_at(&app, "C2", "1980-01-01", None).await;
    let r3 = product(&app, "EXP3", "R3").await;
    let (status, d) = crate::suitability::check(&app, &investor, &r3, json!(1000000)).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    let text = d["explanation"].as_str().expect("explanation");
    for part in [
        "C2",
        "R3",
        "风险不匹配",
        "签署风险不匹配警示函",
        "2日内进行风险不匹配特定回访",
        "每季度定期回访",
    ] {
        assert!(text.contains(part), "'{part}' missing from: {text}");
    }
    let (_, d) = crate::suitability::check(&app, &investor, &r3, json!(10)).await;
    let text = d["explanation"].as_str().expect("explanation");
    assert!(
        text.contains("不得销售") && !text.contains("回访"),
        "{text}"
    );
}

on_both!(every_decision_explains_itself);
