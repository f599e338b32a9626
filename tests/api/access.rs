//! Authentication, the role table, and the OpenAPI document that mirrors it.

use reqwest::{Method, StatusCode};
use serde_json::json;
use suitability::http::access::{Access, ROUTES};

use crate::common::{TestApp, assert_error};
use crate::on_both;

on_both!(
    health_is_open_and_reports_the_database,
    requests_without_a_valid_token_are_401,
    callers_without_the_role_are_403,
    openapi_documents_exactly_the_routes_of_the_access_table,
    unknown_routes_are_404_in_the_error_shape,
);

async fn health_is_open_and_reports_the_database(app: TestApp) {
    let (status, body) = app.request(Method::GET, "/health", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "reachable");
}

async fn requests_without_a_valid_token_are_401(app: TestApp) {
    let got = app.request(Method::GET, "/v1/investors", None, None).await;
    assert_error(&got, StatusCode::UNAUTHORIZED, "unauthorized", None);
    let resp = app
        .client
        .get(format!("{}/v1/questionnaires", app.base))
        .bearer_auth("sut_not_a_real_token")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = app
        .client
        .get(format!("{}/v1/questionnaires", app.base))
        .header("Authorization", format!("Basic {}", app.token("admin")))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

async fn callers_without_the_role_are_403(app: TestApp) {
    let body = json!({"kind": "individual", "name": "x", "id_number": crate::common::resident_id("1980-01-01"), "birth_date": "1980-01-01"});
    for who in ["planner", "compliance", "risk", "admin"] {
        let got = app.post("/v1/investors", who, body.clone()).await;
        assert_error(&got, StatusCode::FORBIDDEN, "forbidden", None);
    }
    let (_, list) = app.get("/v1/investors", "sales").await;
    assert_eq!(
        list["items"].as_array().map(Vec::len),
        Some(0),
        "nothing was created"
    );
    let investor = app.individual("1980-01-01").await;
    let got = app
        .post(
            &format!("/v1/investors/{investor}/assessments"),
            "planner",
            json!({}),
        )
        .await;
    assert_error(&got, StatusCode::FORBIDDEN, "forbidden", None);
}

async fn openapi_documents_exactly_the_routes_of_the_access_table(app: TestApp) {
    let (status, doc) = app.get("/openapi.json", "sales").await;
    assert_eq!(status, StatusCode::OK);
    let mut documented = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            documented.push((method.to_uppercase(), path.clone()));
            let description = op["description"].as_str().unwrap_or("");
            assert!(
                description.contains("Access:"),
                "{method} {path} does not state its roles"
            );
        }
    }
    documented.sort();
    let mut table: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    table.sort();
    assert_eq!(documented, table);
    assert!(
        ROUTES
            .iter()
            .filter(|(_, _, a)| matches!(a, Access::Public))
            // `/metrics` asks for its own token (operations::metrics_answer_their_own_token…).
            .all(|(_, p, _)| ["/health", "/metrics", "/openapi.json"].contains(p))
    );
}

async fn unknown_routes_are_404_in_the_error_shape(app: TestApp) {
    let got = app.get("/v1/nothing-here", "sales").await;
    assert_error(&got, StatusCode::NOT_FOUND, "not_found", None);
    let got = app
        .request(Method::DELETE, "/v1/investors", Some("sales"), None)
        .await;
    assert_error(
        &got,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        None,
    );
}
