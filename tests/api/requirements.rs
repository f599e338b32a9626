//! Evidence behind requirements: a requirement's words alone satisfy nothing; each names the
//! evidence kinds an order must carry (`GET /v1/requirements`).

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{TestApp, assert_error};
use crate::on_both;
use crate::orders::ago;
use crate::suitability::{investor_at, product};

on_both!(acknowledging_a_requirement_needs_its_evidence);

async fn acknowledging_a_requirement_needs_its_evidence(app: TestApp) {
    let (status, reqs) = app.get("/v1/requirements", "sales").await;
    assert_eq!(status, StatusCode::OK, "{reqs}");
    let items = reqs["items"].as_array().expect("items");
    let of = |code: &str| {
        items
            .iter()
            .find(|r| r["code"] == code)
            .map(|r| r["evidence"].clone())
    };
    assert_eq!(of("dual_recording"), Some(json!(["recording"])));
    assert_eq!(
        of("mismatch_warning_signed"),
        Some(json!(["warning_letter", "investor_confirmation"]))
    );
    // C3 buying R4: a mismatch that needs the signed warning and dual recording.
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let r4 = product(&app, "EVD4", "R4").await;
    let t = ago(Duration::hours(1));
    let acks = json!(["mismatch_warning_signed", "dual_recording"]);
    let bare = json!({"investor_id": investor, "product_id": r4, "amount": 1000000, "signed_at": t, "paid_at": t,
        "acknowledgments": acks, "recording_ref": null});
    let got = app.post("/v1/orders", "sales", bare.clone()).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "evidence_missing",
        Some("evidence.dual_recording"),
    );
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "evidence_missing",
        Some("evidence.mismatch_warning_signed"),
    );
    let (_, orders) = app
        .get(&format!("/v1/investors/{investor}/orders"), "sales")
        .await;
    assert_eq!(
        orders["items"].as_array().map(Vec::len),
        Some(0),
        "nothing stored"
    );
    // Evidence for something not acknowledged is refused.
    let mut odd = bare.clone();
    odd["evidence"] = json!({"something_else": [{"kind": "x", "ref": "y"}]});
    let got = app.post("/v1/orders", "sales", odd).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("evidence.something_else"),
    );
    // The recording_ref counts as the recording; the warning needs both its documents.
    let mut full = bare.clone();
    full["recording_ref"] = json!("双录/2026/0099.mp4");
    full["evidence"] = json!({"mismatch_warning_signed": [
        {"kind": "warning_letter", "ref": "警示函/0099.pdf"}, {"kind": "investor_confirmation", "ref": "确认书/0099.pdf"}]});
    let (status, placed) = app.post("/v1/orders", "sales", full).await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    assert_eq!(
        placed["evidence"]["dual_recording"][0]["ref"],
        "双录/2026/0099.mp4"
    );
    assert_eq!(
        placed["evidence"]["mismatch_warning_signed"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}
