//! Minors and civil capacity (regulation.md §1): a minor is never qualified, whatever they
//! answer; without full civil capacity an investor is of the lowest category whatever the score.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::assessments::{answers_scoring, options};
use crate::common::{TestApp, assert_error, credit_code, resident_id};
use crate::on_both;
use crate::suitability::{check, product};

on_both!(
    a_minor_is_never_qualified_whatever_the_answers,
    without_full_capacity_an_investor_is_of_the_lowest_category,
    capacity_is_for_individuals_and_one_of_three,
);

async fn onboard(app: &TestApp, birth: &str, extra: Value) -> Value {
    let mut body = json!({"kind": "individual", "name": "能力测试", "id_number": resident_id(birth),
        "birth_date": birth, "financial_assets": 5000000});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let (status, created) = app.post("/v1/investors", "sales", body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

async fn assess(app: &TestApp, investor: &str, score: i64) -> Value {
    let qs = options(app, "individual").await;
    let body = json!({"questionnaire_id": "individual", "answers": answers_scoring(&qs, score)});
    let (status, a) = app
        .post(
            &format!("/v1/investors/{investor}/assessments"),
            "sales",
            body,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    a
}

fn reasons(d: &Value) -> Vec<String> {
    d["reasons"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r["code"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

async fn a_minor_is_never_qualified_whatever_the_answers(app: TestApp) {
    // Born in 2015, five million in assets, and answers claiming to be 31–40 with experience.
    let created = onboard(&app, "2015-06-01", json!({})).await;
    assert_eq!(created["qualified"], false, "{created}");
    let id = created["id"].as_str().expect("id");
    let a = assess(&app, id, 70).await;
    assert_eq!(a["level"], "C4");
    // The age answer contradicts the birth date: flagged, with the question and the real age.
    let flags: Vec<&str> = a["flags"]
        .as_array()
        .expect("flags")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(flags.contains(&"answers_contradict_facts"), "{flags:?}");
    assert!(
        flags
            .iter()
            .any(|f| f.starts_with("contradiction:q17:age=1")),
        "{flags:?}"
    );
    let p = product(&app, "MIN3", "R3").await;
    let (status, d) = check(&app, id, &p, json!(1000000)).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["verdict"], "reject");
    let codes = reasons(&d);
    assert!(
        codes.contains(&"minor".to_string()) && codes.contains(&"not_qualified".to_string()),
        "{codes:?}"
    );
    assert_eq!(d["facts"]["investor"]["qualified"], false);
}

async fn without_full_capacity_an_investor_is_of_the_lowest_category(app: TestApp) {
    let created = onboard(&app, "1970-01-01", json!({"civil_capacity": "limited"})).await;
    assert_eq!(created["civil_capacity"], "limited");
    let id = created["id"].as_str().expect("id");
    let a = assess(&app, id, 90).await;
    assert_eq!(a["level"], "C1", "{a}");
    let flags: Vec<&str> = a["flags"]
        .as_array()
        .expect("flags")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        flags.contains(&"lowest_category") && flags.contains(&"limited_civil_capacity"),
        "{flags:?}"
    );
    let p = product(&app, "CAP3", "R3").await;
    let (_, d) = check(&app, id, &p, json!(1000000)).await;
    assert_ne!(d["verdict"], "match", "{d}");
    assert_eq!(d["facts"]["investor"]["full_civil_capacity"], false);
    assert_eq!(d["facts"]["investor"]["lowest_category"], true);
}

async fn capacity_is_for_individuals_and_one_of_three(app: TestApp) {
    let body = json!({"kind": "individual", "name": "x", "id_number": resident_id("1980-01-01"),
        "birth_date": "1980-01-01", "civil_capacity": "partial"});
    let got = app.post("/v1/investors", "sales", body).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("civil_capacity"),
    );
    let body = json!({"kind": "institution", "name": "某机构", "id_number": credit_code(), "civil_capacity": "full"});
    let got = app.post("/v1/investors", "sales", body).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("civil_capacity"),
    );
}

/// An adult's age answer is checked against the birth date: the right band passes, another is
/// flagged with the question and the real age.
async fn an_age_answer_is_checked_against_the_birth_date(app: TestApp) {
    let created = onboard(&app, "1980-01-01", json!({})).await;
    let id = created["id"].as_str().expect("id");
    let qs = options(&app, "individual").await;
    let age = created["age"].as_i64().expect("age");
    let right = match age {
        18..=30 => "a",
        31..=40 => "b",
        41..=50 => "c",
        51..=60 => "d",
        _ => "e",
    };
    let wrong = if right == "a" { "e" } else { "a" };
    let mut flags_for = Vec::new();
    for option in [right, wrong] {
        let mut answers = answers_scoring(&qs, 60);
        answers.insert("q17".into(), json!(option));
        let body = json!({"questionnaire_id": "individual", "answers": answers});
        let (status, a) = app
            .post(&format!("/v1/investors/{id}/assessments"), "sales", body)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{a}");
        flags_for.push(a["flags"].clone());
    }
    let has = |v: &Value, f: &str| {
        v.as_array().is_some_and(|a| {
            a.iter()
                .any(|x| x.as_str().is_some_and(|s| s.starts_with(f)))
        })
    };
    assert!(
        !has(&flags_for[0], "answers_contradict_facts"),
        "{:?}",
        flags_for[0]
    );
    assert!(
        has(&flags_for[1], "answers_contradict_facts"),
        "{:?}",
        flags_for[1]
    );
    assert!(
        has(&flags_for[1], &format!("contradiction:q17:age={age}")),
        "{:?}",
        flags_for[1]
    );
}

on_both!(an_age_answer_is_checked_against_the_birth_date);
