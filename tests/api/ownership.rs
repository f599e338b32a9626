//! Records belong to their owner: another sales person's investor, its assessments, orders and
//! checks answer 404 as if they did not exist; planners reach investors through callbacks;
//! compliance and admin reassign, audited.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::assessments::{answers_scoring, options};
use crate::common::{TestApp, assert_error};
use crate::on_both;
use crate::orders::{ago, order_body, place};
use crate::suitability::{investor_at, product};

on_both!(
    another_sales_persons_investor_is_not_found_and_cannot_be_acted_on,
    planners_reach_investors_through_the_callbacks_they_work,
    compliance_reassigns_an_investor_and_the_trail_says_so,
);

async fn ids(app: &TestApp, who: &str) -> Vec<String> {
    let (_, list) = app.get("/v1/investors?limit=200", who).await;
    list["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i["id"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn not_found(got: &(StatusCode, Value)) {
    assert_error(got, StatusCode::NOT_FOUND, "not_found", None);
}

async fn another_sales_persons_investor_is_not_found_and_cannot_be_acted_on(app: TestApp) {
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let r3 = product(&app, "OWN3", "R3").await;
    let r5 = product(&app, "OWN5", "R5").await;
    let order = place(&app, &investor, &r3, Duration::hours(1), json!([])).await;
    let order_id = order["id"].as_str().expect("id");
    assert_eq!(ids(&app, "sales").await, std::slice::from_ref(&investor));
    assert_eq!(ids(&app, "sales2").await, Vec::<String>::new());
    assert_eq!(ids(&app, "risk").await, std::slice::from_ref(&investor));
    // Reading: exactly as for an id that does not exist.
    let unknown = app.get("/v1/investors/nope", "sales2").await;
    not_found(&unknown);
    let got = app
        .get(&format!("/v1/investors/{investor}"), "sales2")
        .await;
    // The same answer as for no investor, but for the request's own id.
    let without_id = |v: &Value| {
        let mut v = v.clone();
        v["error"].as_object_mut().map(|e| e.remove("request_id"));
        v
    };
    assert_eq!(
        without_id(&got.1),
        without_id(&unknown.1),
        "the same answer as for no investor"
    );
    not_found(
        &app.get(&format!("/v1/investors/{investor}/assessments"), "sales2")
            .await,
    );
    not_found(
        &app.get(&format!("/v1/investors/{investor}/orders"), "sales2")
            .await,
    );
    not_found(&app.get(&format!("/v1/orders/{order_id}"), "sales2").await);
    // Acting: raising them to C5 and selling them R5 are refused, and nothing is stored.
    let qs = options(&app, "individual").await;
    let body = json!({"questionnaire_id": "individual", "answers": answers_scoring(&qs, 90)});
    not_found(
        &app.post(
            &format!("/v1/investors/{investor}/assessments"),
            "sales2",
            body,
        )
        .await,
    );
    let check = json!({"investor_id": investor, "product_id": r5, "amount": 1000000});
    not_found(&app.post("/v1/suitability/check", "sales2", check).await);
    // With a product that does not exist, the answer must not tell that the investor does.
    let check = json!({"investor_id": investor, "product_id": "01938a1e-7c00-7000-8000-00000000dead", "amount": 1000000});
    let (status, body) = app
        .post("/v1/suitability/check", "sales2", check.clone())
        .await;
    assert_eq!(status, 404);
    let (_, own) = app.post("/v1/suitability/check", "sales", check).await;
    assert_ne!(
        body["error"]["message"], own["error"]["message"],
        "{body} {own}"
    );
    let t = ago(Duration::hours(1));
    not_found(
        &app.post(
            "/v1/orders",
            "sales2",
            order_body(&investor, &r5, &t, &t, json!([])),
        )
        .await,
    );
    let (_, assessments) = app
        .get(&format!("/v1/investors/{investor}/assessments"), "sales")
        .await;
    assert_eq!(assessments["items"].as_array().map(Vec::len), Some(1));
    let (_, orders) = app
        .get(&format!("/v1/investors/{investor}/orders"), "sales")
        .await;
    assert_eq!(orders["items"].as_array().map(Vec::len), Some(1));
    let complaint = json!({"investor_id": investor, "channel": "phone", "category": "service",
        "content": "x", "received_at": chrono::Utc::now().to_rfc3339()});
    not_found(&app.post("/v1/complaints", "sales2", complaint).await);
}

async fn planners_reach_investors_through_the_callbacks_they_work(app: TestApp) {
    let with_callback = investor_at(&app, "C3", "1980-01-01", None).await;
    let without = investor_at(&app, "C3", "1981-01-01", None).await;
    let r3 = product(&app, "PLN3", "R3").await;
    place(&app, &with_callback, &r3, Duration::hours(30), json!([])).await;
    let (status, _) = app
        .get(&format!("/v1/investors/{with_callback}"), "planner")
        .await;
    assert_eq!(status, StatusCode::OK);
    not_found(
        &app.get(&format!("/v1/investors/{without}"), "planner")
            .await,
    );
    assert_eq!(
        ids(&app, "planner").await,
        std::slice::from_ref(&with_callback)
    );
    // Once planner claims the callbacks, planner2 no longer sees them or their investor.
    let (_, queue) = app.get("/v1/callbacks?limit=200", "planner").await;
    let cbs: Vec<String> = queue["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|c| c["id"].as_str().map(String::from))
        .collect();
    assert!(!cbs.is_empty());
    for cb in &cbs {
        let (status, body) = app
            .post(&format!("/v1/callbacks/{cb}/claim"), "planner", json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (_, other) = app.get("/v1/callbacks?limit=200", "planner2").await;
    assert_eq!(other["items"].as_array().map(Vec::len), Some(0), "{other}");
    not_found(
        &app.get(&format!("/v1/callbacks/{}", cbs[0]), "planner2")
            .await,
    );
    let (status, _) = app
        .get(&format!("/v1/callbacks/{}", cbs[0]), "planner")
        .await;
    assert_eq!(status, StatusCode::OK);
    not_found(
        &app.get(&format!("/v1/investors/{with_callback}"), "planner2")
            .await,
    );
    let (_, desk) = app.get("/v1/callbacks?limit=200", "compliance").await;
    assert_eq!(desk["items"].as_array().map(Vec::len), Some(cbs.len()));
    // A complaint of that investor: not for planner2.
    let complaint = json!({"investor_id": with_callback, "channel": "phone", "category": "service",
        "content": "x", "received_at": chrono::Utc::now().to_rfc3339()});
    let (status, created) = app.post("/v1/complaints", "sales", complaint).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id");
    not_found(&app.get(&format!("/v1/complaints/{id}"), "planner2").await);
    let (status, _) = app.get(&format!("/v1/complaints/{id}"), "planner").await;
    assert_eq!(status, StatusCode::OK);
}

async fn compliance_reassigns_an_investor_and_the_trail_says_so(app: TestApp) {
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let to = app.actor("sales2").id.clone();
    let path = format!("/v1/investors/{investor}/owner");
    assert_error(
        &app.post(&path, "sales", json!({"staff_id": to})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
        None,
    );
    let planner = app.actor("planner").id.clone();
    let got = app
        .post(&path, "compliance", json!({"staff_id": planner}))
        .await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("staff_id"),
    );
    let (status, moved) = app.post(&path, "compliance", json!({"staff_id": to})).await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["sales_owner_id"], to.as_str());
    assert_eq!(ids(&app, "sales2").await, std::slice::from_ref(&investor));
    assert_eq!(ids(&app, "sales").await, Vec::<String>::new());
    let (_, trail) = app
        .get(
            &format!("/v1/audit?entity=investor&entity_id={investor}"),
            "compliance",
        )
        .await;
    let last = trail["items"]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["action"] == "investor.reassign"))
        .cloned();
    assert!(last.is_some(), "{trail}");
}
