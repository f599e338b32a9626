//! The decision as of signing: an order is decided on the assessment the investor had when it
//! was signed, and one signed before any assessment is refused.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::assessments::{answers_scoring, options};
use crate::common::{TestApp, assert_error};
use crate::on_both;
use crate::orders::{ago, order_body};
use crate::suitability::{investor_at, product};

on_both!(
    an_order_signed_before_the_first_assessment_is_refused,
    an_order_is_decided_on_the_assessment_valid_at_signing,
);

async fn an_order_signed_before_the_first_assessment_is_refused(app: TestApp) {
    // Assessed just now by sales.
    let investor = app.individual("1980-01-01").await;
    let qs = options(&app, "individual").await;
    let body = json!({"questionnaire_id": "individual", "answers": answers_scoring(&qs, 90)});
    let (status, _) = app
        .post(
            &format!("/v1/investors/{investor}/assessments"),
            "sales",
            body,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let p = product(&app, "SGN3", "R3").await;
    let signed = ago(Duration::days(10));
    let got = app
        .post(
            "/v1/orders",
            "sales",
            order_body(&investor, &p, &signed, &signed, json!([])),
        )
        .await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "assessed_after_signing",
        Some("signed_at"),
    );
    assert!(got.1["error"]["decision"].is_object(), "{}", got.1);
    let (_, orders) = app
        .get(&format!("/v1/investors/{investor}/orders"), "sales")
        .await;
    assert_eq!(orders["items"].as_array().map(Vec::len), Some(0));
}

async fn an_order_is_decided_on_the_assessment_valid_at_signing(app: TestApp) {
    // C3 a month ago (a paper record imported by risk), C5 today.
    let month_ago = (chrono::Utc::now() - Duration::days(30)).to_rfc3339();
    let investor = investor_at(&app, "C3", "1980-01-01", Some(&month_ago)).await;
    let (_, first) = app
        .get(&format!("/v1/investors/{investor}/assessments"), "sales")
        .await;
    let first_id = first["items"][0]["id"].as_str().expect("id").to_string();
    let qs = options(&app, "individual").await;
    let body = json!({"questionnaire_id": "individual", "answers": answers_scoring(&qs, 90)});
    let (status, a) = app
        .post(
            &format!("/v1/investors/{investor}/assessments"),
            "sales",
            body,
        )
        .await;
    assert_eq!(
        (status, a["level"].clone()),
        (StatusCode::CREATED, json!("C5")),
        "{a}"
    );
    let r4 = product(&app, "SGN4", "R4").await;
    // Signed ten days ago: the C3 assessment applies, and R4 is above it.
    let signed = ago(Duration::days(10));
    let got = app
        .post(
            "/v1/orders",
            "sales",
            order_body(&investor, &r4, &signed, &signed, json!([])),
        )
        .await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "requirements_missing",
        None,
    );
    let decision: &Value = &got.1["error"]["decision"];
    assert_eq!(decision["verdict"], "mismatch", "{decision}");
    assert_eq!(decision["investor"]["level"], "C3");
    assert_eq!(decision["investor"]["assessment_id"], first_id.as_str());
    // Signed now, the C5 assessment applies: a match.
    let now = ago(Duration::zero());
    let (status, placed) = app
        .post(
            "/v1/orders",
            "sales",
            order_body(&investor, &r4, &now, &now, json!(["dual_recording"])),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    assert_eq!(placed["decision"]["verdict"], "match");
    assert_eq!(placed["decision"]["investor"]["level"], "C5");
    assert_ne!(
        placed["decision"]["investor"]["assessment_id"],
        first_id.as_str()
    );
}

/// Retakes: a raised level within 30 days is flagged, and a fourth assessment in 30 days is
/// refused.
async fn retakes_are_flagged_and_limited(app: TestApp) {
    let investor = app.individual("1980-01-01").await;
    let qs = options(&app, "individual").await;
    let mut levels = Vec::new();
    for score in [45, 70, 90] {
        let body =
            json!({"questionnaire_id": "individual", "answers": answers_scoring(&qs, score)});
        let (status, a) = app
            .post(
                &format!("/v1/investors/{investor}/assessments"),
                "sales",
                body,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{a}");
        levels.push((
            a["level"].clone(),
            json!(crate::assessments::grading_flags(&a)),
        ));
    }
    assert_eq!(levels[0], (json!("C3"), json!([])));
    assert_eq!(levels[1], (json!("C4"), json!(["level_raised_on_retake"])));
    assert_eq!(levels[2], (json!("C5"), json!(["level_raised_on_retake"])));
    let body = json!({"questionnaire_id": "individual", "answers": answers_scoring(&qs, 90)});
    let got = app
        .post(
            &format!("/v1/investors/{investor}/assessments"),
            "sales",
            body,
        )
        .await;
    assert_error(&got, StatusCode::CONFLICT, "too_many_retakes", None);
}

on_both!(retakes_are_flagged_and_limited);
