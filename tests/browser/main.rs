//! The console in a real browser (headless chromium): sales sign in, onboard an investor (a
//! mistake shown beside its field first), and see the profile; a planner works a callback from
//! the queue to the record; sales take the questionnaire with the investor, check a product and
//! place the order (a requirement shown first); a page a role may not open answers 403 in the
//! console's frame.
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

    b.sign_in(app.token("sales")).await;
    // Back as sales: the questionnaire, one answer per question (the last option each), with progress shown.
    b.open(&format!("/console/investors/{investor}/assess"))
        .await;
    assert!(b.h1().await.starts_with("风险承受能力评估"));
    b.client
        .execute(
            "document.querySelectorAll('fieldset.question').forEach(function (f) {
                var inputs = f.querySelectorAll('input'); inputs[inputs.length - 1].click(); });",
            vec![],
        )
        .await
        .expect("answers");
    assert!(b.text("#progress-text").await.starts_with("已答"));
    b.screenshot("questionnaire").await;
    b.submit("form#questionnaire").await;
    let level = b.text("[data-field=level]").await;
    assert!(level.starts_with('C'), "{level}");
    b.screenshot("assessment-result").await;

    // Check a product, then order it once.
    let body = json!({"code": "WJ1", "name": "稳健一号", "kind": "private_securities", "risk_rating": "R1",
        "min_subscription": 1000000});
    let (status, product) = app.post("/v1/products", "risk", body).await;
    assert_eq!(status, StatusCode::CREATED, "{product}");
    let product = product["id"].as_str().expect("id").to_string();
    b.open(&format!("/console/investors/{investor}/check"))
        .await;
    b.choose("product_id", &product).await;
    b.fill("amount", "1000000").await;
    b.submit("form.card").await;
    assert_eq!(
        b.client
            .find(fantoccini::Locator::Css("[data-field=verdict]"))
            .await
            .expect("verdict")
            .attr("class")
            .await
            .expect("class")
            .as_deref(),
        Some("badge ok")
    );
    b.screenshot("suitability-check").await;
    b.follow("a.button[href^=\"/console/orders/new\"]").await;
    assert_eq!(b.h1().await, "下单");
    // The answers contradict the investor's age: the rules want the assessment reviewed first.
    b.submit("form.card").await;
    assert!(
        b.exists("[data-error-for=\"evidence.assessment_review\"]")
            .await
    );
    b.screenshot("order-requirement").await;
    // Risk staff review it (through the API); then the order goes through.
    let (_, assessed) = app
        .get(&format!("/v1/investors/{investor}/assessments"), "sales")
        .await;
    let assessment = assessed["items"][0]["id"]
        .as_str()
        .expect("an assessment")
        .to_string();
    let review = json!({"accept": true, "note": "已与投资者核实年龄与资产"});
    let (status, reviewed) = app
        .post(
            &format!("/v1/assessments/{assessment}/review"),
            "risk",
            review,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reviewed}");
    b.click("fieldset[data-requirement=assessment_review] input[type=checkbox]")
        .await;
    b.submit("form.card").await;
    assert_eq!(b.h1().await, "订单");
    assert_eq!(b.text("[data-field=status]").await, "投资冷静期中");
    assert!(
        b.exists("tr[data-callback]").await,
        "the planned callbacks are shown"
    );
    b.screenshot("order").await;
    let (_, orders) = app
        .get(&format!("/v1/investors/{investor}/orders"), "sales")
        .await;
    assert_eq!(
        orders["items"].as_array().map(Vec::len),
        Some(1),
        "one order: {orders}"
    );

    // Sign-out ends the session.
    b.submit("header form").await;
    b.open("/console/callbacks").await;
    assert_eq!(b.path().await, "/console/login");
    b.client.clone().close().await.expect("browser closes");
}
