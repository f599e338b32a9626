//! Products: rating, validation, roles.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{TestApp, assert_error};
use crate::on_both;

on_both!(
    products_are_created_read_updated_and_listed,
    bad_products_are_named_and_refused
);

async fn products_are_created_read_updated_and_listed(app: TestApp) {
    let body = json!({"code": "SF001", "name": "稳健一号", "kind": "private_securities", "risk_rating": "R3", "min_subscription": 1000000});
    let (status, created) = app.post("/v1/products", "risk", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["risk_rating"], "R3");
    assert_eq!(created["min_subscription"], "1000000");
    let id = created["id"].as_str().expect("id");
    let got = app.post("/v1/products", "admin", body).await;
    assert_error(&got, StatusCode::CONFLICT, "duplicate_code", None);
    let (status, patched) = app
        .request(
            reqwest::Method::PATCH,
            &format!("/v1/products/{id}"),
            Some("risk"),
            Some(&json!({"risk_rating": "R4", "min_subscription": "3000000.00"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["risk_rating"], "R4");
    assert_eq!(patched["min_subscription"], "3000000");
    for who in ["sales", "planner", "compliance"] {
        let (status, got) = app.get(&format!("/v1/products/{id}"), who).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(got["risk_rating"], "R4");
    }
    let (_, list) = app.get("/v1/products", "sales").await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    let got = app.get("/v1/products/none", "sales").await;
    assert_error(&got, StatusCode::NOT_FOUND, "not_found", None);
}

async fn bad_products_are_named_and_refused(app: TestApp) {
    let good = json!({"code": "X1", "name": "x", "kind": "private_equity", "risk_rating": "R5", "min_subscription": "1000000"});
    let with = |k: &str, v: serde_json::Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    for (body, field) in [
        (with("risk_rating", json!("R6")), "risk_rating"),
        (with("risk_rating", json!("C3")), "risk_rating"),
        (
            with("min_subscription", json!("999999.99")),
            "min_subscription",
        ),
        (with("min_subscription", json!(-5)), "min_subscription"),
        (with("min_subscription", json!("abc")), "min_subscription"),
        (with("kind", json!("Private Equity")), "kind"),
        (with("code", json!("")), "code"),
    ] {
        let got = app.post("/v1/products", "risk", body).await;
        assert_error(
            &got,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some(field),
        );
    }
    let got = app.post("/v1/products", "sales", good.clone()).await;
    assert_error(&got, StatusCode::FORBIDDEN, "forbidden", None);
    let (_, list) = app.get("/v1/products", "sales").await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0));
    let (_, created) = app.post("/v1/products", "risk", good).await;
    let id = created["id"].as_str().expect("id");
    let got = app
        .request(
            reqwest::Method::PATCH,
            &format!("/v1/products/{id}"),
            Some("risk"),
            Some(&json!({"risk_rating": "R0"})),
        )
        .await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("risk_rating"),
    );
    let got = app
        .request(
            reqwest::Method::PATCH,
            &format!("/v1/products/{id}"),
            Some("sales"),
            Some(&json!({"risk_rating": "R1"})),
        )
        .await;
    assert_error(&got, StatusCode::FORBIDDEN, "forbidden", None);
    let (_, still) = app.get(&format!("/v1/products/{id}"), "sales").await;
    assert_eq!(still["risk_rating"], "R5");
}
