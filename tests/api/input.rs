//! Bodies read exactly: one JSON object, nothing after it, no key twice, JSON only, within the
//! size limit; amounts from their text; methods answered truly.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, assert_error, resident_id};
use crate::on_both;
use crate::suitability::{investor_at, product};

on_both!(
    a_body_is_one_json_object_and_nothing_else,
    a_duplicate_key_anywhere_is_refused_naming_it,
    only_json_within_the_size_limit_is_read,
    amounts_are_read_from_their_text,
    head_answers_like_get_and_other_methods_get_405_with_allow,
    the_same_identity_number_twice_is_a_conflict,
);

fn investor_body() -> Value {
    json!({"kind": "individual", "name": "赵六", "id_number": resident_id("1985-05-05"), "birth_date": "1985-05-05"})
}

async fn investors(app: &TestApp) -> usize {
    let (_, list) = app.get("/v1/investors?limit=200", "compliance").await;
    list["items"].as_array().map(Vec::len).unwrap_or(0)
}

async fn post_raw(
    app: &TestApp,
    path: &str,
    ct: Option<&str>,
    body: impl Into<Vec<u8>>,
) -> (StatusCode, Value) {
    let (status, _, text) = app
        .raw(Method::POST, path, Some("sales"), ct, body.into())
        .await;
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn a_body_is_one_json_object_and_nothing_else(app: TestApp) {
    let body = investor_body().to_string();
    for bad in [
        format!("{body} GARBAGE"),
        format!("{body}{body}"),
        format!("[{body}]"),
        "[\"individual\", \"赵六\"]".to_string(),
        String::new(),
    ] {
        let got = post_raw(&app, "/v1/investors", Some("application/json"), bad.clone()).await;
        assert_error(&got, StatusCode::BAD_REQUEST, "malformed_request", None);
    }
    assert_eq!(investors(&app).await, 0, "nothing was stored");
    let got = post_raw(
        &app,
        "/v1/investors",
        Some("application/json; charset=utf-8"),
        body,
    )
    .await;
    assert_eq!(got.0, StatusCode::CREATED, "{}", got.1);
}

async fn a_duplicate_key_anywhere_is_refused_naming_it(app: TestApp) {
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    // A knock-out answer followed by a harmless one for the same question.
    let body = r#"{"questionnaire_id": "individual", "answers": {"q15": "a", "q15": "c"}}"#;
    let got = post_raw(
        &app,
        &format!("/v1/investors/{investor}/assessments"),
        Some("application/json"),
        body,
    )
    .await;
    assert_error(
        &got,
        StatusCode::BAD_REQUEST,
        "malformed_request",
        Some("answers.q15"),
    );
    let top = r#"{"kind": "individual", "kind": "institution"}"#;
    let got = post_raw(&app, "/v1/investors", Some("application/json"), top).await;
    assert_error(
        &got,
        StatusCode::BAD_REQUEST,
        "malformed_request",
        Some("kind"),
    );
}

async fn only_json_within_the_size_limit_is_read(app: TestApp) {
    let body = investor_body().to_string();
    for ct in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let got = post_raw(&app, "/v1/investors", ct, body.clone()).await;
        assert_error(
            &got,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            None,
        );
        // Orders read their bytes themselves (for Idempotency-Key): the same rule.
        let got = post_raw(&app, "/v1/orders", ct, "{}").await;
        assert_error(
            &got,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            None,
        );
    }
    // A multi-byte first character where a permit number's letter belongs: refused, no panic.
    let got = app
        .post(
            "/v1/investors/lookup",
            "sales",
            json!({"id_number": "é", "id_type": "hk_macau_permit"}),
        )
        .await;
    assert_eq!(got.0, StatusCode::OK, "{}", got.1);
    let huge = format!(
        r#"{{"kind": "individual", "name": "{}"}}"#,
        "x".repeat(5 << 20)
    );
    // On a client of its own: the server closes a connection whose body it did not read.
    let resp = reqwest::Client::new()
        .post(format!("{}/v1/investors", app.base))
        .bearer_auth(app.token("sales"))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .expect("sent");
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    assert_error(
        &(status, body),
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        None,
    );
    assert_eq!(investors(&app).await, 0);
}

async fn amounts_are_read_from_their_text(app: TestApp) {
    // A float would round this to 3,000,000 and qualify the investor.
    // (Sent as text: serde_json in the test would round it too.)
    let body = investor_body().to_string();
    let body = format!(
        "{}, \"financial_assets\": 2999999.9999999999}}",
        body.trim_end_matches('}')
    );
    let got = post_raw(&app, "/v1/investors", Some("application/json"), body).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("financial_assets"),
    );
    let investor = investor_at(&app, "C5", "1980-01-01", None).await;
    let p = product(&app, "AMT", "R3").await;
    let now = chrono::Utc::now().to_rfc3339();
    let order = crate::orders::order_body(&investor, &p, &now, &now, json!([]))
        .to_string()
        .replace("\"1000000\"", "999999.9999999999");
    let got = post_raw(&app, "/v1/orders", Some("application/json"), order).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("amount"),
    );
}

async fn head_answers_like_get_and_other_methods_get_405_with_allow(app: TestApp) {
    let (status, _, text) = app
        .raw(Method::HEAD, "/health", None, None, Vec::new())
        .await;
    assert_eq!((status, text.as_str()), (StatusCode::OK, ""));
    let (status, _, text) = app
        .raw(
            Method::HEAD,
            "/v1/products",
            Some("sales"),
            None,
            Vec::new(),
        )
        .await;
    assert_eq!((status, text.as_str()), (StatusCode::OK, ""));
    let (status, _, _) = app
        .raw(Method::HEAD, "/v1/products", None, None, Vec::new())
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, headers, _) = app
        .raw(Method::PUT, "/health", None, None, Vec::new())
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let allow = |h: &reqwest::header::HeaderMap| -> Vec<String> {
        let text = h
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let mut m: Vec<String> = text.split(',').map(|m| m.trim().to_string()).collect();
        m.sort();
        m
    };
    assert_eq!(allow(&headers), ["GET", "HEAD"]);
    let (status, headers, _) = app
        .raw(
            Method::DELETE,
            "/v1/products",
            Some("risk"),
            None,
            Vec::new(),
        )
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(allow(&headers), ["GET", "HEAD", "POST"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_dates_before_2000_or_long_past_are_refused_sqlite() {
    order_dates_before_2000_or_long_past_are_refused(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_dates_before_2000_or_long_past_are_refused_postgres() {
    order_dates_before_2000_or_long_past_are_refused(Backend::Postgres).await
}

/// With the default policy: at most 90 days back.
async fn order_dates_before_2000_or_long_past_are_refused(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.policy.max_backdate_days = suitability::config::Policy::default().max_backdate_days
    })
    .await;
    let investor = investor_at(&app, "C5", "1980-01-01", None).await;
    let p = product(&app, "OLD", "R3").await;
    for (signed, field) in [
        ("0000-01-01T00:00:00Z", "signed_at"),
        ("1999-12-31T00:00:00Z", "signed_at"),
    ] {
        let body = json!({"investor_id": investor, "product_id": p, "amount": 1000000,
            "signed_at": signed, "paid_at": chrono::Utc::now().to_rfc3339(), "acknowledgments": []});
        let got = app.post("/v1/orders", "sales", body).await;
        assert_error(
            &got,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some(field),
        );
    }
    let long_ago = (chrono::Utc::now() - chrono::Duration::days(91)).to_rfc3339();
    let body = json!({"investor_id": investor, "product_id": p, "amount": 1000000,
        "signed_at": chrono::Utc::now().to_rfc3339(), "paid_at": long_ago, "acknowledgments": []});
    let got = app.post("/v1/orders", "sales", body).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("paid_at"),
    );
}

async fn the_same_identity_number_twice_is_a_conflict(app: TestApp) {
    let body = investor_body();
    let (status, first) = app.post("/v1/investors", "sales", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    // The same number in lower case, with spaces, by another sales person.
    let mut again = body.clone();
    again["id_number"] = json!(format!(
        "  {}  ",
        body["id_number"]
            .as_str()
            .unwrap_or_default()
            .to_lowercase()
    ));
    let got = app.post("/v1/investors", "sales2", again.clone()).await;
    assert_error(&got, StatusCode::CONFLICT, "duplicate_investor", None);
    // Another sales person's investor is not named to them; its owner is told which it is.
    let message = got.1["error"]["message"].as_str().unwrap_or_default();
    assert!(
        !message.contains(first["id"].as_str().unwrap_or("?")),
        "{message}"
    );
    let got = app.post("/v1/investors", "sales", again).await;
    assert_error(&got, StatusCode::CONFLICT, "duplicate_investor", None);
    let message = got.1["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(first["id"].as_str().unwrap_or("?")),
        "{message}"
    );
    assert_eq!(investors(&app).await, 1);
}
