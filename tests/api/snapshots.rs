//! Snapshots of the large bodies clients and regulators rely on: a decision, a created order, the
//! evidence bundle and the OpenAPI document. Ids, times, digests and the investor's age (which
//! moves with the calendar) are redacted, so a snapshot changes only when the body's shape or
//! content does. Both backends must give the same snapshot.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::TestApp;
use crate::on_both;
use crate::orders::place;
use crate::suitability::{investor_at, product};

on_both!(the_large_bodies_keep_their_shape);

/// Replaces what differs from run to run: UUIDs, RFC 3339 times, SHA-256 hex digests, ages,
/// timings and identity numbers.
fn redact(v: &mut Value) {
    match v {
        Value::String(s) => {
            if uuid::Uuid::parse_str(s).is_ok() {
                *s = "[id]".into();
            } else if chrono::DateTime::parse_from_rfc3339(s).is_ok() {
                *s = "[time]".into();
            } else if s.len() == 64 && s.chars().all(|c| c.is_ascii_hexdigit()) {
                *s = "[sha256]".into();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                if k == "age" && x.is_number() {
                    *x = json!("[age]");
                } else if k == "qualification_evidence_age_days" && x.is_number() {
                    // Calendar days between the test's date and the business date (UTC+8).
                    *x = json!("[days]");
                } else if k == "elapsed_ms" {
                    *x = json!("[ms]");
                } else if k == "id_number" {
                    // Test identity numbers differ at every call (common::resident_id).
                    *x = json!("[id_number]");
                } else {
                    redact(x);
                }
            }
        }
        _ => {}
    }
}

fn redacted(mut v: Value) -> Value {
    redact(&mut v);
    v
}

async fn the_large_bodies_keep_their_shape(app: TestApp) {
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let r5 = product(&app, "SNAP5", "R5").await;
    let r3 = product(&app, "SNAP3", "R3").await;

    let (status, decision) = app
        .post(
            "/v1/suitability/check",
            "sales",
            json!({"investor_id": investor, "product_id": r5, "amount": "1000000"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{decision}");
    insta::assert_json_snapshot!("mismatch_decision", redacted(decision));

    let order = place(&app, &investor, &r3, Duration::hours(2), json!([])).await;
    let id = order["id"].as_str().expect("id").to_string();
    insta::assert_json_snapshot!("created_order", redacted(order));

    let (status, evidence) = app
        .get(&format!("/v1/orders/{id}/evidence"), "compliance")
        .await;
    assert_eq!(status, StatusCode::OK, "{evidence}");
    insta::assert_json_snapshot!("evidence_bundle", redacted(evidence));

    let (status, doc) = app.get("/openapi.json", "sales").await;
    assert_eq!(status, StatusCode::OK);
    insta::assert_json_snapshot!("openapi", doc);
}
