//! A holding's end (issue: the sale as the regulation has it, point 9): redemption in part or in
//! full, and the product wound up; a holding with nothing left ends its periodic callbacks
//! (cancelled, with the reason) and a wound-up product is sold no more.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::callbacks::confirm;
use crate::common::{TestApp, assert_error};
use crate::on_both;
use crate::orders::place;
use crate::suitability::{check, investor_at, product};

on_both!(
    a_redemption_in_full_ends_the_holding_and_its_callbacks,
    redemptions_are_checked_and_change_nothing_when_refused,
    a_wound_up_product_ends_every_holding_and_is_sold_no_more,
);

/// A confirmed holding of 1,000,000 of an R3 product: its investor, product and order.
async fn confirmed(app: &TestApp, code: &str) -> (String, String, Value) {
    let investor = investor_at(app, "C3", "1980-01-01", None).await;
    let p = product(app, code, "R3").await;
    let order = place(app, &investor, &p, Duration::hours(30), json!([])).await;
    let (status, body) = confirm(app, &order, "录音/confirm.mp3").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (investor, p, order)
}

async fn redeem(app: &TestApp, order: &Value, who: &str, body: Value) -> (StatusCode, Value) {
    let id = order["id"].as_str().expect("id");
    app.post(&format!("/v1/holdings/{id}/redeem"), who, body)
        .await
}

/// The open and cancelled callbacks of an order: (kind, status, cancel_reason).
async fn callbacks_of(app: &TestApp, order: &Value) -> Vec<(String, String, Value)> {
    let id = order["id"].as_str().expect("id");
    let (_, o) = app.get(&format!("/v1/orders/{id}"), "compliance").await;
    o["callbacks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["status"] == "open" || c["status"] == "cancelled")
        .map(|c| {
            (
                c["kind"].as_str().unwrap_or("").to_string(),
                c["status"].as_str().unwrap_or("").to_string(),
                c["cancel_reason"].clone(),
            )
        })
        .collect()
}

async fn holdings(app: &TestApp, investor: &str) -> Vec<Value> {
    let (_, list) = app
        .get(&format!("/v1/investors/{investor}/holdings"), "sales")
        .await;
    list["items"].as_array().cloned().unwrap_or_default()
}

async fn a_redemption_in_full_ends_the_holding_and_its_callbacks(app: TestApp) {
    let (investor, _, order) = confirmed(&app, "RDM1").await;
    let open = callbacks_of(&app, &order).await;
    assert!(
        open.iter().any(|(k, s, _)| k == "periodic" && s == "open"),
        "{open:?}"
    );
    let (status, part) = redeem(&app, &order, "sales", json!({"amount": "400000"})).await;
    assert_eq!(status, StatusCode::OK, "{part}");
    assert_eq!(part["holding"]["amount"], "600000");
    assert_eq!(part["holding"]["status"], "confirmed");
    let held = holdings(&app, &investor).await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0]["amount"], "600000");
    // Something is still held: the periodic callbacks go on.
    assert!(
        callbacks_of(&app, &order)
            .await
            .iter()
            .any(|(k, s, _)| k == "periodic" && s == "open")
    );
    let (status, rest) = redeem(&app, &order, "sales", json!({"all": true})).await;
    assert_eq!(status, StatusCode::OK, "{rest}");
    assert_eq!(rest["redemption"]["amount"], "600000");
    assert_eq!(rest["holding"]["amount"], "0");
    assert_eq!(rest["holding"]["status"], "redeemed");
    assert!(holdings(&app, &investor).await.is_empty());
    let after = callbacks_of(&app, &order).await;
    assert!(!after.is_empty());
    for (kind, status, why) in &after {
        assert_eq!(status, "cancelled", "{kind}");
        assert_eq!(why, &json!("holding redeemed in full"));
    }
    let got = redeem(&app, &order, "sales", json!({"all": true})).await;
    assert_error(&got, StatusCode::CONFLICT, "order_settled", None);
    let id = order["id"].as_str().expect("id");
    let (_, o) = app.get(&format!("/v1/orders/{id}"), "sales").await;
    assert_eq!(o["status"], "redeemed");
}

async fn redemptions_are_checked_and_change_nothing_when_refused(app: TestApp) {
    let (investor, p, order) = confirmed(&app, "RDM2").await;
    for (body, field) in [
        (json!({"amount": "1000000.01"}), "amount"),
        (json!({"amount": 0}), "amount"),
        (json!({"amount": "-1"}), "amount"),
        (json!({}), "amount"),
        (json!({"amount": 1, "all": true}), "amount"),
    ] {
        let got = redeem(&app, &order, "sales", body.clone()).await;
        assert_error(
            &got,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some(field),
        );
    }
    assert_eq!(
        redeem(&app, &order, "sales2", json!({"all": true})).await.0,
        StatusCode::NOT_FOUND
    );
    for who in ["planner", "risk"] {
        assert_eq!(
            redeem(&app, &order, who, json!({"all": true})).await.0,
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!(holdings(&app, &investor).await[0]["amount"], "1000000");
    // Still cooling off: rescinding is the way out, not a redemption.
    let cooling = place(&app, &investor, &p, Duration::hours(1), json!([])).await;
    let got = redeem(&app, &cooling, "sales", json!({"all": true})).await;
    assert_error(&got, StatusCode::CONFLICT, "not_confirmed", None);
}

async fn a_wound_up_product_ends_every_holding_and_is_sold_no_more(app: TestApp) {
    let (investor, p, order) = confirmed(&app, "LIQ1").await;
    let cooling = place(&app, &investor, &p, Duration::hours(1), json!([])).await;
    let path = format!("/v1/products/{p}/liquidate");
    assert_eq!(
        app.post(&path, "sales", json!({})).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, done) = app.post(&path, "risk", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["holdings_ended"], 2);
    assert!(done["product"]["liquidated_at"].is_string());
    assert!(holdings(&app, &investor).await.is_empty());
    for o in [&order, &cooling] {
        for (kind, status, why) in callbacks_of(&app, o).await {
            assert_eq!(status, "cancelled", "{kind}");
            assert_eq!(why, json!("product liquidated"));
        }
        let id = o["id"].as_str().expect("id");
        let (_, got) = app.get(&format!("/v1/orders/{id}"), "sales").await;
        assert_eq!(got["status"], "liquidated");
    }
    let got = check(&app, &investor, &p, json!(1000000)).await;
    assert_error(&got, StatusCode::CONFLICT, "product_liquidated", None);
    let got = app.post(&path, "admin", json!({})).await;
    assert_error(&got, StatusCode::CONFLICT, "product_liquidated", None);
}
