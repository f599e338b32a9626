//! Qualified-investor evidence and coached answers (issue: the sale as the regulation has it,
//! points 2 and 4): a sale rests on recent proof of assets or income as of signing; answers that
//! contradict known facts need a risk reviewer's acceptance, and a rejected assessment is never
//! used.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Map, Value, json};

use crate::assessments::{all_options, answers_scoring};
use crate::common::{TestApp, assert_error, days_ago, resident_id};
use crate::on_both;
use crate::orders::{ago, order_body};
use crate::suitability::{check, investor_at, product};

on_both!(
    a_sale_rests_on_recent_proof_of_assets_or_income,
    proof_issued_after_signing_does_not_back_the_sale,
    a_proof_dated_the_signing_day_in_china_backs_it,
    answers_below_the_declared_assets_need_a_risk_review,
    a_rejected_assessment_is_never_used,
);

fn reasons(d: &Value) -> Vec<String> {
    d["reasons"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["code"].as_str().map(String::from))
        .collect()
}

/// An individual born in 1980 declaring 5,000,000 of assets and no proof, assessed C3 by a paper
/// record two years old.
async fn without_proof(app: &TestApp) -> String {
    let body = json!({"kind": "individual", "name": "钱七", "id_number": resident_id("1980-01-01"),
        "birth_date": "1980-01-01", "financial_assets": "5000000"});
    let (status, created) = app.post("/v1/investors", "sales", body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id").to_string();
    let qs = crate::assessments::options(app, "individual").await;
    let body = json!({"questionnaire_id": "individual", "answers": answers_scoring(&qs, 45),
        "assessed_at": ago(Duration::days(730))});
    let (status, a) = app
        .post(&format!("/v1/investors/{id}/assessments"), "risk", body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    id
}

async fn add_proof(app: &TestApp, investor: &str, who: &str, body: Value) -> (StatusCode, Value) {
    app.post(&format!("/v1/investors/{investor}/evidence"), who, body)
        .await
}

async fn a_sale_rests_on_recent_proof_of_assets_or_income(app: TestApp) {
    let investor = without_proof(&app).await;
    let r3 = product(&app, "R3PROOF", "R3").await;
    let (_, d) = check(&app, &investor, &r3, json!(1000000)).await;
    assert_eq!(reasons(&d), ["qualification_evidence_missing"], "{d}");
    assert_eq!(
        d["facts"]["investor"]["qualification_evidence_age_days"],
        -1
    );
    let stale = json!({"kind": "asset_proof", "ref": "资产证明/2025", "issued_at": days_ago(200)});
    let (status, q) = add_proof(&app, &investor, "sales", stale).await;
    assert_eq!(status, StatusCode::CREATED, "{q}");
    let (_, d) = check(&app, &investor, &r3, json!(1000000)).await;
    assert_eq!(reasons(&d), ["qualification_evidence_stale"], "{d}");
    let fresh = json!({"kind": "income_proof", "ref": "收入证明/2026", "issued_at": days_ago(3)});
    assert_eq!(
        add_proof(&app, &investor, "risk", fresh).await.0,
        StatusCode::CREATED
    );
    let (_, d) = check(&app, &investor, &r3, json!(1000000)).await;
    assert_eq!(d["verdict"], "match", "{d}");
    // Bad proofs are named and stored nowhere; another sales person cannot see the investor.
    for (body, field) in [
        (
            json!({"kind": "selfie", "ref": "x", "issued_at": days_ago(1)}),
            "kind",
        ),
        (
            json!({"kind": "asset_proof", "ref": " ", "issued_at": days_ago(1)}),
            "ref",
        ),
        (
            json!({"kind": "asset_proof", "ref": "x", "issued_at": days_ago(-5)}),
            "issued_at",
        ),
        (
            json!({"kind": "asset_proof", "ref": "x", "issued_at": "yesterday"}),
            "issued_at",
        ),
    ] {
        let got = add_proof(&app, &investor, "sales", body).await;
        assert_error(
            &got,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some(field),
        );
    }
    // A request carries at most 20 documents.
    let many: Vec<Value> = (0..21)
        .map(|n| json!({"kind": "asset_proof", "ref": format!("x{n}"), "issued_at": days_ago(1)}))
        .collect();
    let body = json!({"kind": "individual", "name": "孙八", "id_number": resident_id("1980-01-01"),
        "birth_date": "1980-01-01", "evidence": many});
    let got = app.post("/v1/investors", "sales", body).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("evidence"),
    );
    let ok = json!({"kind": "asset_proof", "ref": "x", "issued_at": days_ago(1)});
    assert_eq!(
        add_proof(&app, &investor, "sales2", ok.clone()).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        add_proof(&app, &investor, "planner", ok).await.0,
        StatusCode::FORBIDDEN
    );
    let (_, list) = app
        .get(&format!("/v1/investors/{investor}/evidence"), "compliance")
        .await;
    let kinds: Vec<&str> = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|q| q["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["income_proof", "asset_proof"], "{list}");
}

async fn proof_issued_after_signing_does_not_back_the_sale(app: TestApp) {
    let investor = without_proof(&app).await;
    let fresh = json!({"kind": "asset_proof", "ref": "资产证明/今日", "issued_at": days_ago(0)});
    assert_eq!(
        add_proof(&app, &investor, "sales", fresh).await.0,
        StatusCode::CREATED
    );
    let r3 = product(&app, "R3LATE", "R3").await;
    let signed = ago(Duration::days(5));
    let got = app
        .post(
            "/v1/orders",
            "sales",
            order_body(&investor, &r3, &signed, &signed, json!([])),
        )
        .await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "suitability_rejected",
        None,
    );
    assert_eq!(
        reasons(&got.1["error"]["decision"]),
        ["qualification_evidence_missing"]
    );
    let now = ago(Duration::minutes(1));
    let got = app
        .post(
            "/v1/orders",
            "sales",
            order_body(&investor, &r3, &now, &now, json!([])),
        )
        .await;
    assert_eq!(got.0, StatusCode::CREATED, "{}", got.1);
}

/// Proofs are dated in China: one dated the day of a signing at 07:00 China time (23:00 the
/// evening before in UTC) backs it; one dated the day after does not.
async fn a_proof_dated_the_signing_day_in_china_backs_it(app: TestApp) {
    let evening = (chrono::Utc::now() - Duration::days(5))
        .date_naive()
        .and_hms_opt(23, 0, 0)
        .expect("a time")
        .and_utc();
    let signed = evening.to_rfc3339();
    let china_day = |days: i64| (evening.date_naive() + Duration::days(days)).to_string();
    let r3 = product(&app, "R3MORN", "R3").await;
    for (proof_day, backed) in [(1, true), (2, false)] {
        let investor = without_proof(&app).await;
        let proof = json!({"kind": "asset_proof", "ref": "资产证明/早晨", "issued_at": china_day(proof_day)});
        let (status, added) = add_proof(&app, &investor, "sales", proof).await;
        assert_eq!(status, StatusCode::CREATED, "{added}");
        let got = app
            .post(
                "/v1/orders",
                "sales",
                order_body(&investor, &r3, &signed, &signed, json!([])),
            )
            .await;
        if backed {
            assert_eq!(got.0, StatusCode::CREATED, "{}", got.1);
            assert_eq!(
                got.1["decision"]["facts"]["investor"]["qualification_evidence_age_days"], 0,
                "{}",
                got.1
            );
        } else {
            assert_eq!(
                reasons(&got.1["error"]["decision"]),
                ["qualification_evidence_missing"],
                "{}",
                got.1
            );
        }
    }
}

/// Answers for an investor born in 1980 that say their investable assets are at most 500,000.
async fn poor_answers(app: &TestApp, score: i64) -> Map<String, Value> {
    let mut qs = all_options(app, "individual", |o| {
        o["age_range"]
            .as_array()
            .is_none_or(|r| r[0].as_i64() == Some(41))
    })
    .await;
    for (id, opts) in &mut qs {
        if id == "q4" {
            opts.retain(|o| o.0 == "a");
        }
    }
    answers_scoring(&qs, score)
}

async fn answers_below_the_declared_assets_need_a_risk_review(app: TestApp) {
    let investor = app.individual("1980-01-01").await;
    let answers = poor_answers(&app, 45).await;
    assert_eq!(answers["q4"], "a");
    let (status, a) = app
        .post(
            &format!("/v1/investors/{investor}/assessments"),
            "sales",
            json!({"questionnaire_id": "individual", "answers": answers}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let flags: Vec<&str> = a["flags"]
        .as_array()
        .expect("flags")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(flags.contains(&"answers_contradict_facts"), "{flags:?}");
    assert!(
        flags.contains(&"contradiction:q4:financial_assets=5000000"),
        "{flags:?}"
    );
    let assessment = a["id"].as_str().expect("id").to_string();
    let r3 = product(&app, "R3COACH", "R3").await;
    let (_, d) = check(&app, &investor, &r3, json!(1000000)).await;
    assert_eq!(d["requirements"], json!(["assessment_review"]), "{d}");
    assert_eq!(d["investor"]["assessment_id"], assessment.as_str());
    // Signed after the assessment (the sale rests on it).
    let t = ago(Duration::zero());
    let got = app
        .post(
            "/v1/orders",
            "sales",
            order_body(&investor, &r3, &t, &t, json!([])),
        )
        .await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "requirements_missing",
        None,
    );
    assert_eq!(got.1["error"]["missing"], json!(["assessment_review"]));
    // Sales cannot satisfy it by saying so, nor by forging the review as evidence.
    let mut forged = order_body(&investor, &r3, &t, &t, json!(["assessment_review"]));
    let got = app.post("/v1/orders", "sales", forged.clone()).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "requirements_missing",
        None,
    );
    forged["evidence"] = json!({"assessment_review": [{"kind": "risk_review", "ref": "我说的"}]});
    let got = app.post("/v1/orders", "sales", forged).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("evidence.assessment_review"),
    );
    // Only risk reviews, once, and a note is needed.
    let path = format!("/v1/assessments/{assessment}/review");
    let verdict = json!({"accept": true, "note": "已电话核实：问卷填写时误选，资产证明为准"});
    assert_eq!(
        app.post(&path, "sales", verdict.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post(&path, "compliance", verdict.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    let got = app
        .post(&path, "risk", json!({"accept": true, "note": ""}))
        .await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("note"),
    );
    let (status, r) = app.post(&path, "risk", verdict.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(r["verdict"], "accepted");
    let got = app.post(&path, "risk2", verdict).await;
    assert_error(&got, StatusCode::CONFLICT, "already_reviewed", None);
    let (status, placed) = app
        .post(
            "/v1/orders",
            "sales",
            order_body(&investor, &r3, &t, &t, json!([])),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    assert_eq!(
        placed["evidence"]["assessment_review"][0]["kind"], "risk_review",
        "{placed}"
    );
    assert!(
        placed["acknowledgments"]
            .as_array()
            .expect("acks")
            .contains(&json!("assessment_review"))
    );
}

async fn a_rejected_assessment_is_never_used(app: TestApp) {
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let (_, list) = app
        .get(&format!("/v1/investors/{investor}/assessments"), "sales")
        .await;
    let first = list["items"][0]["id"].as_str().expect("id").to_string();
    let answers = poor_answers(&app, 90).await;
    let (status, coached) = app
        .post(
            &format!("/v1/investors/{investor}/assessments"),
            "sales",
            json!({"questionnaire_id": "individual", "answers": answers}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{coached}");
    assert_eq!(coached["level"], "C5");
    let r5 = product(&app, "R5COACH", "R5").await;
    let (_, d) = check(&app, &investor, &r5, json!(1000000)).await;
    assert_eq!(d["investor"]["level"], "C5", "{d}");
    let path = format!(
        "/v1/assessments/{}/review",
        coached["id"].as_str().expect("id")
    );
    let (status, r) = app
        .post(
            &path,
            "risk",
            json!({"accept": false, "note": "资产答案与申报不符，疑似诱导填写"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let (_, d) = check(&app, &investor, &r5, json!(1000000)).await;
    assert_eq!(d["investor"]["level"], "C3", "{d}");
    assert_eq!(d["investor"]["assessment_id"], first.as_str());
    assert_eq!(d["verdict"], "mismatch");
    let (_, inv) = app.get(&format!("/v1/investors/{investor}"), "sales").await;
    assert_eq!(inv["assessment"]["level"], "C3", "{inv}");
}
