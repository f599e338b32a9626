//! The console in a real browser (headless chromium): sales sign in, onboard an investor (a
//! mistake shown beside its field first), and see the profile; a planner works a callback from
//! the queue to the record; a page a role may not open answers 403 in the console's frame.
//! Screenshots under target/screenshots/.

#[allow(dead_code)]
#[path = "../api/common.rs"]
mod common;
mod driver;

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::json;

use common::{Backend, TestApp, resident_id};
use driver::Browser;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sales_and_planners_work_in_the_console() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let b = Browser::start(&app.base).await;

    // Unsigned: every page leads to the sign-in, which leads back.
    b.open("/console/investors").await;
    assert_eq!(b.path().await, "/console/login");
    b.fill("token", "sut_not-a-token").await;
    b.submit("form.card").await;
    assert!(b.text("[role=alert]").await.contains("令牌无效"));
    b.sign_in(app.token("sales")).await;
    assert_eq!(b.path().await, "/console/investors");
    assert_eq!(b.h1().await, "我的投资者");

    // Onboarding: a wrong identity number is shown beside its field, nothing is created.
    b.follow("a[href=\"/console/investors/new\"]").await;
    assert_eq!(b.h1().await, "新建投资者");
    b.fill("name", "王小明").await;
    b.fill("id_number", "110101").await;
    b.fill("birth_date", "1980-01-01").await;
    b.fill("phone", "13800138000").await;
    b.submit("form.card").await;
    assert!(b.exists("[data-error-for=\"id_number\"]").await);
    b.screenshot("onboarding-error").await;
    b.fill("id_number", &resident_id("1980-01-01")).await;
    b.fill("financial_assets", "5000000").await;
    b.choose("evidence[0].kind", "asset_proof").await;
    b.fill("evidence[0].ref", "资产证明/2026/001").await;
    b.fill(
        "evidence[0].issued_at",
        &Utc::now().format("%Y-%m-%d").to_string(),
    )
    .await;
    b.submit("form.card").await;
    assert_eq!(b.h1().await, "王小明");
    assert_eq!(b.text("[data-field=phone]").await, "138****8000");
    let investor = b
        .path()
        .await
        .trim_start_matches("/console/investors/")
        .to_string();
    b.screenshot("investor-profile").await;
    b.open("/console/investors?name=小明").await;
    assert!(b.exists(&format!("tr[data-investor=\"{investor}\"]")).await);
    b.screenshot("investors").await;

    // Sales may not open the callback desk: 403 in the console's own frame.
    b.open("/console/callbacks").await;
    assert_eq!(b.h1().await, "无权访问");

    // A callback for the planner (planned through the API by compliance).
    let due_by = (Utc::now() + Duration::days(5)).to_rfc3339();
    let body = json!({"investor_id": investor, "reason": "market_turmoil",
        "checks": ["identity_confirmed", "loss_possibility_known"], "due_by": due_by});
    let (status, cb) = app.post("/v1/callbacks", "compliance", body).await;
    assert_eq!(status, StatusCode::CREATED, "{cb}");
    let cb = cb["id"].as_str().expect("id").to_string();

    b.sign_in(app.token("planner")).await;
    assert_eq!(b.path().await, "/console/callbacks");
    assert_eq!(b.text("[data-field=open]").await, "1");
    b.screenshot("callback-queue").await;
    b.follow(&format!("tr[data-callback=\"{cb}\"] a")).await;
    assert!(b.h1().await.contains("王小明"));
    b.submit(&format!("form[action=\"/console/callbacks/{cb}/claim\"]"))
        .await;
    assert_eq!(b.text("[data-field=contact_phone]").await, "13800138000");
    assert!(
        b.text("[data-field=script_opening]")
            .await
            .contains("王小明")
    );
    b.click("input[id=\"answers.identity_confirmed.yes\"]")
        .await;
    b.click("input[id=\"answers.loss_possibility_known.yes\"]")
        .await;
    for (aspect, score) in [("service", "5"), ("responsiveness", "4"), ("overall", "5")] {
        b.choose(&format!("satisfaction.{aspect}"), score).await;
    }
    b.fill("opinions", "希望多提供产品资料").await;
    // No recording: refused, and said beside the field.
    b.submit(&format!("form[action=\"/console/callbacks/{cb}/outcome\"]"))
        .await;
    assert!(b.exists("[data-error-for=\"recording_ref\"]").await);
    b.fill("recording_ref", "录音/2026/12/0001.wav").await;
    b.submit(&format!("form[action=\"/console/callbacks/{cb}/outcome\"]"))
        .await;
    assert_eq!(b.text("[data-field=status]").await, "已完成");
    b.screenshot("callback-recorded").await;

    // The same record through the API: one completed outcome, by this planner.
    let (_, detail) = app.get(&format!("/v1/callbacks/{cb}"), "compliance").await;
    assert_eq!(detail["status"], "completed");
    assert_eq!(
        detail["outcomes"][0]["recorded_by"],
        app.actor("planner").id.as_str()
    );
    assert_eq!(detail["outcomes"][0]["satisfaction"]["overall"], 5);

    // Sign-out ends the session.
    b.submit("header form").await;
    b.open("/console/callbacks").await;
    assert_eq!(b.path().await, "/console/login");
    b.client.clone().close().await.expect("browser closes");
}
