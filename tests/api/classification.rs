//! Professional status as a verified record (issue: the sale as the regulation has it, point 1):
//! sales onboard ordinary investors only; risk or compliance classify on a basis with figures and
//! evidence, checked against regulation.md §1; every decision is kept; a classification lapses.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, assert_error, credit_code, days_ago, resident_id};
use crate::on_both;
use crate::orders::order_body;
use crate::suitability::{check, investor_at, product};

on_both!(
    sales_cannot_onboard_a_professional,
    a_classification_on_evidence_makes_a_professional,
    each_failed_criterion_is_named_and_nothing_changes,
    the_sales_owner_never_classifies_their_own_investor,
    conversion_goes_both_ways_and_refusals_are_kept,
    organisations_are_held_to_their_own_criteria,
    a_classification_granted_after_signing_does_not_count_for_that_sale,
);

/// An ordinary individual with proof of assets and no assessment.
async fn unassessed(app: &TestApp) -> String {
    app.individual("1980-01-01").await
}

fn proof(kind: &str, days: i64) -> Value {
    json!({"kind": kind, "ref": format!("档案/{kind}/1"), "issued_at": days_ago(days)})
}

async fn classify(app: &TestApp, who: &str, investor: &str, body: Value) -> (StatusCode, Value) {
    app.post(
        &format!("/v1/investors/{investor}/classification"),
        who,
        body,
    )
    .await
}

fn by_assets(assets: &str, years: i64) -> Value {
    json!({"investor_type": "professional", "basis": "assets_and_experience",
        "financial_assets": assets, "experience_years": years, "evidence": [proof("asset_proof", 10)]})
}

async fn classifications(app: &TestApp, investor: &str) -> Vec<Value> {
    let (status, list) = app
        .get(
            &format!("/v1/investors/{investor}/classifications"),
            "compliance",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list["items"].as_array().cloned().unwrap_or_default()
}

async fn sales_cannot_onboard_a_professional(app: TestApp) {
    let body = json!({"kind": "individual", "name": "张三", "id_number": resident_id("1980-01-01"),
        "birth_date": "1980-01-01", "investor_type": "professional"});
    let got = app.post("/v1/investors", "sales", body).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "classification_required",
        Some("investor_type"),
    );
    let (_, list) = app.get("/v1/investors", "compliance").await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0), "{list}");
}

async fn a_classification_on_evidence_makes_a_professional(app: TestApp) {
    let investor = unassessed(&app).await;
    let r5 = product(&app, "R5PRO", "R5").await;
    let (_, before) = check(&app, &investor, &r5, json!(1000000)).await;
    assert_eq!(before["verdict"], "reject", "{before}");
    let (status, k) = classify(&app, "risk", &investor, by_assets("5000000", 2)).await;
    assert_eq!(status, StatusCode::CREATED, "{k}");
    assert_eq!(k["outcome"], "granted");
    assert_eq!(k["basis"], "assets_and_experience");
    assert_eq!(k["figures"]["financial_assets"], "5000000");
    assert_eq!(k["evidence"][0]["kind"], "asset_proof");
    let until = k["valid_until"].as_str().expect("valid_until");
    let until = chrono::DateTime::parse_from_rfc3339(until).expect("time");
    let months = (until.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_days() / 30;
    assert!((23..=24).contains(&months), "{months}");
    let (_, inv) = app.get(&format!("/v1/investors/{investor}"), "sales").await;
    assert_eq!(inv["investor_type"], "professional");
    // Not graded: a professional may buy R5 without an assessment.
    let (_, after) = check(&app, &investor, &r5, json!(1000000)).await;
    assert_eq!(after["verdict"], "match", "{after}");
    assert_eq!(after["facts"]["investor"]["classification_valid"], true);
    assert_eq!(classifications(&app, &investor).await.len(), 1);
    // The sales owner reads them too (their investor), another sales person does not.
    let path = format!("/v1/investors/{investor}/classifications");
    assert_eq!(app.get(&path, "sales").await.0, StatusCode::OK);
    assert_eq!(app.get(&path, "sales2").await.0, StatusCode::NOT_FOUND);
}

async fn each_failed_criterion_is_named_and_nothing_changes(app: TestApp) {
    let investor = unassessed(&app).await;
    let cases = [
        (by_assets("4999999.99", 2), "financial_assets"),
        (by_assets("5000000", 1), "experience_years"),
        (
            json!({"investor_type": "professional", "basis": "assets_and_experience",
                "financial_assets": "6000000", "experience_years": 3, "evidence": []}),
            "evidence",
        ),
        (
            json!({"investor_type": "professional", "basis": "assets_and_experience",
                "financial_assets": "6000000", "experience_years": 3, "evidence": [proof("asset_proof", 181)]}),
            "evidence[0].issued_at",
        ),
        (
            json!({"investor_type": "professional", "basis": "income_and_experience",
                "avg_income_3y": "499999", "experience_years": 3, "evidence": [proof("income_proof", 1)]}),
            "avg_income_3y",
        ),
        (
            json!({"investor_type": "professional", "basis": "organisation_assets",
                "net_assets": "30000000", "financial_assets": "20000000", "experience_years": 3,
                "evidence": [proof("net_assets_proof", 1), proof("asset_proof", 1)]}),
            "basis",
        ),
    ];
    for (body, field) in cases {
        let got = classify(&app, "risk", &investor, body.clone()).await;
        assert_error(
            &got,
            StatusCode::UNPROCESSABLE_ENTITY,
            "classification_criteria_not_met",
            Some(field),
        );
    }
    let bad = [
        (
            json!({"investor_type": "professional", "basis": "vip"}),
            "basis",
        ),
        (
            json!({"investor_type": "ordinary", "basis": "assets_and_experience"}),
            "investor_type",
        ),
        (
            json!({"investor_type": "professional", "basis": "assets_and_experience",
                "evidence": [{"kind": "asset_proof", "ref": "x", "issued_at": "2999-01-01"}]}),
            "evidence[0].issued_at",
        ),
        (
            json!({"investor_type": "professional", "basis": "assets_and_experience", "financial_assets": "-1"}),
            "financial_assets",
        ),
    ];
    for (body, field) in bad {
        let got = classify(&app, "risk", &investor, body).await;
        assert_error(
            &got,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some(field),
        );
    }
    assert!(classifications(&app, &investor).await.is_empty());
    let (_, inv) = app.get(&format!("/v1/investors/{investor}"), "sales").await;
    assert_eq!(inv["investor_type"], "ordinary");
}

async fn the_sales_owner_never_classifies_their_own_investor(app: TestApp) {
    let (member, token) = suitability::store::staff::issue_token(
        &app.db,
        "sales-and-risk",
        &[
            suitability::domain::Role::Sales,
            suitability::domain::Role::Risk,
        ],
        chrono::Duration::days(1),
    )
    .await
    .expect("token");
    let body = json!({"kind": "individual", "name": "赵六", "id_number": resident_id("1975-05-05"),
        "birth_date": "1975-05-05", "evidence": [proof("asset_proof", 5)]});
    let created: Value = app
        .client
        .post(format!("{}/v1/investors", app.base))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(created["sales_owner_id"], member.id.as_str(), "{created}");
    let id = created["id"].as_str().expect("id");
    let resp = app
        .client
        .post(format!("{}/v1/investors/{id}/classification", app.base))
        .bearer_auth(&token)
        .json(&by_assets("9000000", 5))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let err: Value = resp.json().await.expect("json");
    assert_eq!(err["error"]["code"], "separation_of_duties", "{err}");
    // Sales alone and planners may not classify at all.
    for who in ["sales", "planner", "admin"] {
        let got = classify(&app, who, id, by_assets("9000000", 5)).await;
        assert_eq!(got.0, StatusCode::FORBIDDEN, "{who}: {}", got.1);
    }
    assert!(classifications(&app, id).await.is_empty());
}

async fn conversion_goes_both_ways_and_refusals_are_kept(app: TestApp) {
    let investor = unassessed(&app).await;
    // An application on the lower criteria: 3m of financial assets and a year's experience.
    let application = json!({"investor_type": "professional", "basis": "application",
        "financial_assets": "3000000", "experience_years": 1,
        "evidence": [proof("application_form", 1), proof("asset_proof", 1)]});
    let mut refusal = application.clone();
    refusal["outcome"] = json!("refused");
    let got = classify(&app, "compliance", &investor, refusal.clone()).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("reason"),
    );
    refusal["reason"] = json!("投资经验证明不足以支持转化申请");
    let (status, refused) = classify(&app, "compliance", &investor, refusal).await;
    assert_eq!(status, StatusCode::CREATED, "{refused}");
    assert_eq!(refused["outcome"], "refused");
    assert_eq!(refused["valid_until"], Value::Null);
    let (_, inv) = app.get(&format!("/v1/investors/{investor}"), "sales").await;
    assert_eq!(
        inv["investor_type"], "ordinary",
        "a refusal changes nothing"
    );
    // Only an application may be refused.
    let mut not_refusable = by_assets("9000000", 5);
    not_refusable["outcome"] = json!("refused");
    not_refusable["reason"] = json!("x");
    let got = classify(&app, "risk", &investor, not_refusable).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("outcome"),
    );
    let (status, granted) = classify(&app, "risk", &investor, application).await;
    assert_eq!(status, StatusCode::CREATED, "{granted}");
    let (_, inv) = app.get(&format!("/v1/investors/{investor}"), "sales").await;
    assert_eq!(inv["investor_type"], "professional");
    // Back to ordinary on the investor's written request, which needs the request itself.
    let request = json!({"investor_type": "ordinary", "basis": "investor_request", "evidence": []});
    let got = classify(&app, "risk", &investor, request).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "classification_criteria_not_met",
        Some("evidence"),
    );
    let request = json!({"investor_type": "ordinary", "basis": "investor_request",
        "evidence": [proof("written_request", 0)]});
    let (status, back) = classify(&app, "risk", &investor, request).await;
    assert_eq!(status, StatusCode::CREATED, "{back}");
    assert_eq!(back["valid_until"], Value::Null);
    let (_, inv) = app.get(&format!("/v1/investors/{investor}"), "sales").await;
    assert_eq!(inv["investor_type"], "ordinary");
    let outcomes: Vec<Value> = classifications(&app, &investor)
        .await
        .iter()
        .map(|k| json!([k["basis"], k["outcome"]]))
        .collect();
    assert_eq!(
        outcomes,
        [
            json!(["investor_request", "granted"]),
            json!(["application", "granted"]),
            json!(["application", "refused"])
        ]
    );
}

async fn organisations_are_held_to_their_own_criteria(app: TestApp) {
    let body = json!({"kind": "institution", "name": "某某资产管理有限公司", "id_number": credit_code(),
        "net_assets": "30000000", "evidence": [proof("net_assets_proof", 3)]});
    let (status, org) = app.post("/v1/investors", "sales", body).await;
    assert_eq!(status, StatusCode::CREATED, "{org}");
    let id = org["id"].as_str().expect("id");
    let short = json!({"investor_type": "professional", "basis": "organisation_assets",
        "net_assets": "20000000", "financial_assets": "9999999", "experience_years": 2,
        "evidence": [proof("net_assets_proof", 1), proof("asset_proof", 1)]});
    let got = classify(&app, "risk", id, short).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "classification_criteria_not_met",
        Some("financial_assets"),
    );
    let licensed = json!({"investor_type": "professional", "basis": "institution_type",
        "institution_type": "licensed_financial_institution", "evidence": [proof("license", 100)]});
    let (status, k) = classify(&app, "risk", id, licensed).await;
    assert_eq!(status, StatusCode::CREATED, "{k}");
}

/// A classification that lapses at once (valid for 0 months): the investor is professional in
/// name only, and the shipped rules reject the sale as `classification_invalid`.
async fn a_lapsed_classification_is_not_professional(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.policy.classification_validity_months = 0).await;
    let investor = unassessed(&app).await;
    let (status, k) = classify(&app, "risk", &investor, by_assets("5000000", 2)).await;
    assert_eq!(status, StatusCode::CREATED, "{k}");
    let r5 = product(&app, "R5LAPSE", "R5").await;
    let (_, d) = check(&app, &investor, &r5, json!(1000000)).await;
    assert_eq!(d["verdict"], "reject", "{d}");
    assert_eq!(d["facts"]["investor"]["classification_valid"], false);
    let codes: Vec<&str> = d["reasons"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["code"].as_str())
        .collect();
    assert!(codes.contains(&"classification_invalid"), "{codes:?}");
}

mod a_lapsed_classification {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::a_lapsed_classification_is_not_professional(crate::common::Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::a_lapsed_classification_is_not_professional(crate::common::Backend::Postgres).await
    }
}

/// A sale is decided as of its signing: a professional classification granted since does not
/// make an ordinary investor's earlier purchase suitable; one signed after it does count.
async fn a_classification_granted_after_signing_does_not_count_for_that_sale(app: TestApp) {
    let assessed = (chrono::Utc::now() - chrono::Duration::days(3)).to_rfc3339();
    let investor = investor_at(&app, "C2", "1980-01-01", Some(&assessed)).await;
    let r5 = product(&app, "R5LATE", "R5").await;
    let signed = (chrono::Utc::now() - chrono::Duration::hours(30)).to_rfc3339();
    let (status, k) = classify(&app, "risk", &investor, by_assets("5000000", 2)).await;
    assert_eq!(status, StatusCode::CREATED, "{k}");
    // Now: a professional, who may buy R5.
    let (_, now) = check(&app, &investor, &r5, json!(1000000)).await;
    assert_eq!(now["verdict"], "match", "{now}");
    // Signed 30 hours ago, before the classification: the C2 ordinary investor it was then.
    let got = app
        .post(
            "/v1/orders",
            "sales",
            order_body(&investor, &r5, &signed, &signed, json!([])),
        )
        .await;
    assert_eq!(got.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", got.1);
    let decision = &got.1["error"]["decision"];
    assert_eq!(
        decision["facts"]["investor"]["investor_type"], "ordinary",
        "{}",
        got.1
    );
    assert_ne!(decision["verdict"], "match", "{}", got.1);
    // Signed now: the classification stands.
    let t = chrono::Utc::now().to_rfc3339();
    let (status, placed) = app
        .post(
            "/v1/orders",
            "sales",
            order_body(&investor, &r5, &t, &t, json!([])),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    assert_eq!(placed["decision"]["verdict"], "match", "{placed}");

    // Back to ordinary at the investor's request: a sale backdated to when they were professional
    // is decided as ordinary all the same.
    let back = json!({"investor_type": "ordinary", "basis": "investor_request", "evidence": [proof("written_request", 0)]});
    let (status, k) = classify(&app, "risk", &investor, back).await;
    assert_eq!(status, StatusCode::CREATED, "{k}");
    let r5b = product(&app, "R5LATE2", "R5").await;
    let got = app
        .post(
            "/v1/orders",
            "sales",
            order_body(&investor, &r5b, &t, &t, json!([])),
        )
        .await;
    assert_eq!(got.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", got.1);
    assert_eq!(
        got.1["error"]["decision"]["facts"]["investor"]["investor_type"], "ordinary",
        "{}",
        got.1
    );
}
