//! A holding's life: the investor rescinds before a successful confirmation (refund due,
//! callbacks cancelled), and the investor's holdings list.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, assert_error};
use crate::on_both;
use crate::orders::place;
use crate::suitability::{investor_at, product};

on_both!(an_investor_rescinds_before_confirmation_and_the_holding_ends);

async fn holding_ids(app: &TestApp, investor: &str, who: &str) -> (StatusCode, Vec<String>) {
    let (status, list) = app
        .get(&format!("/v1/investors/{investor}/holdings"), who)
        .await;
    let ids = list["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|h| h["id"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    (status, ids)
}

async fn an_investor_rescinds_before_confirmation_and_the_holding_ends(app: TestApp) {
    let investor = investor_at(&app, "C4", "1980-01-01", None).await;
    let p = product(&app, "HLD3", "R3").await;
    let order = place(&app, &investor, &p, Duration::hours(30), json!([])).await;
    let id = order["id"].as_str().expect("id").to_string();
    assert_eq!(
        holding_ids(&app, &investor, "sales").await,
        (StatusCode::OK, vec![id.clone()])
    );
    assert_eq!(
        holding_ids(&app, &investor, "sales2").await.0,
        StatusCode::NOT_FOUND
    );
    let path = format!("/v1/orders/{id}/rescind");
    let got = app
        .post(&path, "sales", json!({"reason": " ", "request_ref": ""}))
        .await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("reason"),
    );
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("request_ref"),
    );
    let body = json!({"reason": "投资者改变主意，申请撤销", "request_ref": "撤销申请书/2026/0007"});
    assert_error(
        &app.post(&path, "sales2", body.clone()).await,
        StatusCode::NOT_FOUND,
        "not_found",
        None,
    );
    let (status, rescinded) = app.post(&path, "sales", body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{rescinded}");
    assert_eq!(rescinded["status"], "rescinded");
    let (_, detail) = app.get(&format!("/v1/orders/{id}"), "sales").await;
    let statuses: Vec<&str> = detail["callbacks"]
        .as_array()
        .expect("callbacks")
        .iter()
        .filter_map(|c| c["status"].as_str())
        .collect();
    assert!(
        !statuses.is_empty() && statuses.iter().all(|s| *s == "cancelled"),
        "{statuses:?}"
    );
    assert_eq!(
        holding_ids(&app, &investor, "sales").await.1,
        Vec::<String>::new()
    );
    assert_error(
        &app.post(&path, "sales", body.clone()).await,
        StatusCode::CONFLICT,
        "order_settled",
        None,
    );
    // A confirmed order is no longer rescinded this way.
    let second = place(&app, &investor, &p, Duration::hours(30), json!([])).await;
    let (status, out) = crate::callbacks::confirm(&app, &second, "tel/h.wav").await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let sid = second["id"].as_str().expect("id");
    let got = app
        .post(&format!("/v1/orders/{sid}/rescind"), "sales", body)
        .await;
    assert_error(&got, StatusCode::CONFLICT, "order_settled", None);
    let (_, trail) = app
        .get(
            &format!("/v1/audit?entity=order&entity_id={id}"),
            "compliance",
        )
        .await;
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e: &Value| e["action"].as_str())
        .collect();
    assert!(actions.contains(&"order.rescind"), "{actions:?}");
    let mut pooled = app.db.acquire().await.expect("conn");
    let unexplained = suitability::store::audit::verify_rows(&mut pooled.conn())
        .await
        .expect("rows");
    assert_eq!(unexplained, Vec::new());
}
