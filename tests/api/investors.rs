//! Onboarding investors: qualification, age, validation, pagination.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, assert_error, credit_code, resident_id};
use crate::on_both;

on_both!(
    an_individual_is_created_with_qualification_and_age,
    qualification_follows_the_thresholds,
    each_bad_field_is_named_and_nothing_is_stored,
    malformed_json_is_400_and_stores_nothing,
    an_unknown_investor_is_404,
    the_list_is_paginated,
);

fn individual(extra: Value) -> Value {
    let mut base = json!({"kind": "individual", "name": "李四", "id_number": resident_id("1980-01-01"), "birth_date": "1980-01-01"});
    if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    base
}

async fn count(app: &TestApp) -> usize {
    let (_, list) = app.get("/v1/investors?limit=200", "sales").await;
    list["items"].as_array().map(Vec::len).unwrap_or(0)
}

async fn an_individual_is_created_with_qualification_and_age(app: TestApp) {
    let (status, created) = app
        .post("/v1/investors", "sales", individual(json!({"financial_assets": 3000000, "phone": "138-0013-8000", "email": "li@example.cn"})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["qualified"], true);
    assert_eq!(created["investor_type"], "ordinary");
    assert_eq!(created["financial_assets"], "3000000");
    let age = created["age"].as_i64().expect("age");
    assert!((45..=47).contains(&age), "{age}");
    let id = created["id"].as_str().expect("id");
    let (status, got) = app.get(&format!("/v1/investors/{id}"), "compliance").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["name"], "李四");
    assert_eq!(got["assessment"], Value::Null);
    // The sales owner is the caller.
    let (_, other) = app
        .post("/v1/investors", "sales2", individual(json!({})))
        .await;
    assert_ne!(other["sales_owner_id"], got["sales_owner_id"]);
    assert_eq!(other["qualified"], false);
}

async fn qualification_follows_the_thresholds(app: TestApp) {
    let cases = [
        (individual(json!({"financial_assets": "2999999.99"})), false),
        (individual(json!({"financial_assets": "3000000.00"})), true),
        (individual(json!({"avg_income_3y": "499999.99"})), false),
        (individual(json!({"avg_income_3y": 500000})), true),
        (
            json!({"kind": "institution", "name": "某某资产", "id_number": credit_code(), "net_assets": "9999999.99"}),
            false,
        ),
        (
            json!({"kind": "institution", "name": "某某资产", "id_number": credit_code(), "net_assets": "10000000"}),
            true,
        ),
    ];
    for (body, qualified) in cases {
        let (status, created) = app.post("/v1/investors", "sales", body.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["qualified"], qualified, "{body}");
        if body["kind"] == "institution" {
            assert_eq!(created["age"], Value::Null);
        }
    }
}

async fn each_bad_field_is_named_and_nothing_is_stored(app: TestApp) {
    let cases: Vec<(Value, &str)> = vec![
        (individual(json!({"kind": "robot"})), "kind"),
        (individual(json!({"investor_type": "vip"})), "investor_type"),
        (individual(json!({"name": ""})), "name"),
        (individual(json!({"name": "   "})), "name"),
        (individual(json!({"id_number": ""})), "id_number"),
        (individual(json!({"email": "not-an-email"})), "email"),
        (individual(json!({"phone": "call me"})), "phone"),
        (
            individual(json!({"birth_date": "2999-01-01"})),
            "birth_date",
        ),
        (
            individual(json!({"birth_date": "01/02/1980"})),
            "birth_date",
        ),
        (
            individual(json!({"financial_assets": -1})),
            "financial_assets",
        ),
        (
            individual(json!({"financial_assets": "1.001"})),
            "financial_assets",
        ),
        (
            individual(json!({"avg_income_3y": "lots"})),
            "avg_income_3y",
        ),
        (individual(json!({"avg_income_3y": true})), "avg_income_3y"),
        (individual(json!({"net_assets": 1})), "net_assets"),
        (
            json!({"kind": "individual", "name": "x", "id_number": "1"}),
            "birth_date",
        ),
        (
            json!({"kind": "institution", "name": "x", "id_number": "1", "birth_date": "1980-01-01"}),
            "birth_date",
        ),
        (
            json!({"name": "x", "id_number": "1", "birth_date": "1980-01-01"}),
            "kind",
        ),
        (individual(json!({"nickname": "x"})), "nickname"),
        // Identity numbers are read exactly: a check digit, the birth date, plain ASCII digits.
        (individual(json!({"id_number": "x'--"})), "id_number"),
        (
            individual(json!({"id_number": "１１０１０５１９８００１０１００２X"})),
            "id_number",
        ),
        (
            individual(json!({"id_number": "110101198001010011"})),
            "id_number",
        ),
        (
            individual(json!({"id_number": resident_id("1981-01-01")})),
            "id_number",
        ),
        (individual(json!({"id_type": "driving_licence"})), "id_type"),
        (
            individual(json!({"id_type": "unified_social_credit_code"})),
            "id_type",
        ),
        (
            individual(json!({"id_type": "passport", "id_number": "E12-4567"})),
            "id_number",
        ),
        (
            json!({"kind": "institution", "name": "某某资产", "id_number": "91310000MA1FL0000A"}),
            "id_number",
        ),
        // Names: something visible, at most 100 characters, no control or bidi characters.
        (individual(json!({"name": "\u{200B}"})), "name"),
        (individual(json!({"name": "名".repeat(101)})), "name"),
        (individual(json!({"name": "李\u{202E}四"})), "name"),
        (individual(json!({"name": "a\u{0}b"})), "body"),
    ];
    for (body, field) in cases {
        let got = app.post("/v1/investors", "sales", body.clone()).await;
        assert_error(
            &got,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some(field),
        );
    }
    // Several bad fields are all named at once.
    let got = app
        .post(
            "/v1/investors",
            "sales",
            individual(json!({"email": "x", "phone": "?", "financial_assets": -5})),
        )
        .await;
    for field in ["email", "phone", "financial_assets"] {
        assert_error(
            &got,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some(field),
        );
    }
    assert_eq!(count(&app).await, 0);
}

async fn malformed_json_is_400_and_stores_nothing(app: TestApp) {
    for raw in ["{\"kind\": ", "not json", ""] {
        let resp = app
            .client
            .post(format!("{}/v1/investors", app.base))
            .bearer_auth(app.token("sales"))
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .expect("sent");
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{raw}");
        let body: Value = resp.json().await.expect("json error");
        assert_eq!(body["error"]["code"], "malformed_request");
    }
    assert_eq!(count(&app).await, 0);
}

async fn an_unknown_investor_is_404(app: TestApp) {
    let got = app.get("/v1/investors/no-such-id", "sales").await;
    assert_error(&got, StatusCode::NOT_FOUND, "not_found", None);
}

async fn the_list_is_paginated(app: TestApp) {
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(app.individual("1970-05-05").await);
    }
    let (_, first) = app.get("/v1/investors?limit=2", "compliance").await;
    let after = first["next_after"].as_str().expect("more pages");
    let (_, second) = app
        .get(
            &format!("/v1/investors?limit=2&after={after}"),
            "compliance",
        )
        .await;
    let after = second["next_after"].as_str().expect("more pages");
    let (_, third) = app
        .get(
            &format!("/v1/investors?limit=2&after={after}"),
            "compliance",
        )
        .await;
    assert_eq!(third["next_after"], Value::Null);
    let seen: Vec<String> = [first, second, third]
        .iter()
        .flat_map(|p| p["items"].as_array().cloned().unwrap_or_default())
        .map(|i| i["id"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(seen, ids);
    let got = app.get("/v1/investors?limit=0", "sales").await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("limit"),
    );
    let got = app.get("/v1/investors?limit=abc", "sales").await;
    assert_error(&got, StatusCode::BAD_REQUEST, "malformed_request", None);
}
