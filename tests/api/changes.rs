//! Investors change, with history (issue: the sale as the regulation has it, point 8): the sales
//! owner or risk change contacts, address, occupation, assets, income and capacity; every change
//! is a version; one that alters qualification or capacity re-evaluates every holding, with an
//! `investor_info_changed` callback where a holding no longer matches.

use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{TestApp, assert_error};
use crate::on_both;
use crate::orders::place;
use crate::suitability::{investor_at, product};

on_both!(
    every_change_is_a_version_with_personal_data_masked,
    bad_changes_are_named_and_change_nothing,
    lower_assets_reevaluate_every_holding,
    a_loss_of_capacity_reevaluates_every_holding,
    a_new_classification_reevaluates_every_holding,
);

async fn patch(app: &TestApp, id: &str, who: &str, body: Value) -> (StatusCode, Value) {
    app.request(
        Method::PATCH,
        &format!("/v1/investors/{id}"),
        Some(who),
        Some(&body),
    )
    .await
}

async fn history(app: &TestApp, id: &str) -> Vec<Value> {
    let (status, h) = app
        .get(&format!("/v1/investors/{id}/history"), "compliance")
        .await;
    assert_eq!(status, StatusCode::OK, "{h}");
    h["items"].as_array().cloned().unwrap_or_default()
}

/// The reasons of the investor's special callbacks on `order`.
async fn specials(app: &TestApp, order: &Value) -> Vec<String> {
    let id = order["id"].as_str().expect("id");
    let (_, o) = app.get(&format!("/v1/orders/{id}"), "compliance").await;
    o["callbacks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["kind"] == "special")
        .filter_map(|c| c["reason"].as_str().map(String::from))
        .collect()
}

async fn every_change_is_a_version_with_personal_data_masked(app: TestApp) {
    let id = app.individual("1980-01-01").await;
    let body = json!({"phone": "13900139000", "address": "上海市浦东新区世纪大道100号",
        "occupation": "工程师", "reason": "客户来电更新联系方式"});
    let (status, inv) = patch(&app, &id, "sales", body).await;
    assert_eq!(status, StatusCode::OK, "{inv}");
    assert_eq!(inv["phone"], "139****9000");
    assert_eq!(inv["address"], "上海市浦东新****");
    assert_eq!(inv["occupation"], "工程师");
    let (_, revealed) = app
        .get(&format!("/v1/investors/{id}?reveal=true"), "compliance")
        .await;
    assert_eq!(revealed["address"], "上海市浦东新区世纪大道100号");
    assert_eq!(revealed["phone"], "13900139000");
    let versions = history(&app, &id).await;
    assert_eq!(versions.len(), 2, "{versions:?}");
    assert_eq!(versions[0]["version"], 1);
    assert_eq!(versions[1]["version"], 2);
    assert_eq!(versions[1]["reason"], "客户来电更新联系方式");
    assert_eq!(versions[1]["changed_by"], app.actor("sales").id.as_str());
    let fields: Vec<&str> = versions[1]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c["field"].as_str())
        .collect();
    assert_eq!(fields, ["phone", "address", "occupation"]);
    let phone = &versions[1]["changes"][0];
    assert_eq!(phone["from"], "138****8000");
    assert_eq!(phone["to"], "139****9000");
    assert!(
        !versions
            .iter()
            .any(|v| v.to_string().contains("13900139000"))
    );
    // Risk may change it too; the audit trail has each change.
    let (status, _) = patch(&app, &id, "risk", json!({"occupation": "教师"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(history(&app, &id).await.len(), 3);
    let (_, page) = app
        .get(
            &format!("/v1/audit?entity=investor&entity_id={id}"),
            "compliance",
        )
        .await;
    let changes = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["action"] == "investor.change")
        .count();
    assert_eq!(changes, 2);
}

async fn bad_changes_are_named_and_change_nothing(app: TestApp) {
    let id = app.individual("1980-01-01").await;
    for (body, field) in [
        (json!({"financial_assets": "-5"}), "financial_assets"),
        (json!({"net_assets": "1"}), "net_assets"),
        (json!({"civil_capacity": "partial"}), "civil_capacity"),
        (json!({"email": "nope"}), "email"),
        (json!({"phone": "call me"}), "phone"),
        (json!({}), "body"),
        (json!({"occupation": ""}), "occupation"),
    ] {
        let got = patch(&app, &id, "sales", body).await;
        assert_error(
            &got,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some(field),
        );
    }
    // What may not change by this route (name, identity) is an unknown field.
    let got = patch(&app, &id, "sales", json!({"name": "改名"})).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("name"),
    );
    assert_eq!(
        patch(&app, &id, "sales2", json!({"occupation": "x"}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    for who in ["planner", "compliance", "admin"] {
        assert_eq!(
            patch(&app, &id, who, json!({"occupation": "x"})).await.0,
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!(history(&app, &id).await.len(), 1);
}

async fn lower_assets_reevaluate_every_holding(app: TestApp) {
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let r3 = product(&app, "R3CHG", "R3").await;
    let order = place(&app, &investor, &r3, Duration::hours(2), json!([])).await;
    // An occupation is not what the rules read: nothing is re-evaluated.
    let (status, _) = patch(&app, &investor, "sales", json!({"occupation": "退休"})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(specials(&app, &order).await.is_empty());
    // Below both thresholds the investor is no longer qualified: the holding is re-evaluated.
    let body = json!({"financial_assets": "1000000", "avg_income_3y": "200000"});
    let (status, inv) = patch(&app, &investor, "sales", body).await;
    assert_eq!(status, StatusCode::OK, "{inv}");
    assert_eq!(inv["qualified"], false);
    assert_eq!(specials(&app, &order).await, ["investor_info_changed"]);
}

async fn a_loss_of_capacity_reevaluates_every_holding(app: TestApp) {
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let r3 = product(&app, "R3CAP", "R3").await;
    let order = place(&app, &investor, &r3, Duration::hours(2), json!([])).await;
    let body = json!({"civil_capacity": "limited", "reason": "法院宣告限制民事行为能力"});
    let (status, inv) = patch(&app, &investor, "risk", body).await;
    assert_eq!(status, StatusCode::OK, "{inv}");
    assert_eq!(inv["civil_capacity"], "limited");
    assert_eq!(specials(&app, &order).await, ["investor_info_changed"]);
}

async fn a_new_classification_reevaluates_every_holding(app: TestApp) {
    // A professional by classification holds an R5 without an assessment; back to ordinary on
    // their request, the holding no longer matches (no assessment).
    let investor = app.individual("1980-01-01").await;
    let grant = json!({"investor_type": "professional", "basis": "assets_and_experience",
        "financial_assets": "6000000", "experience_years": 3,
        "evidence": [{"kind": "asset_proof", "ref": "档案/1", "issued_at": crate::common::days_ago(2)}]});
    let path = format!("/v1/investors/{investor}/classification");
    assert_eq!(app.post(&path, "risk", grant).await.0, StatusCode::CREATED);
    let r5 = product(&app, "R5CLS", "R5").await;
    let order = place(
        &app,
        &investor,
        &r5,
        Duration::zero(),
        json!(["dual_recording"]),
    )
    .await;
    let request = json!({"investor_type": "ordinary", "basis": "investor_request",
        "evidence": [{"kind": "written_request", "ref": "申请书/1", "issued_at": crate::common::days_ago(0)}]});
    let (status, k) = app.post(&path, "compliance", request).await;
    assert_eq!(status, StatusCode::CREATED, "{k}");
    assert_eq!(specials(&app, &order).await, ["investor_info_changed"]);
}
