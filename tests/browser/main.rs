//! The console in a real browser (headless chromium): sales sign in, onboard an investor (a
//! mistake shown beside its field first), and see the profile; a planner works a callback from
//! the queue to the record; sales take the questionnaire with the investor, check a product and
//! place the order (a requirement shown first); a page a role may not open answers 403 in the
//! console's frame; then risk, compliance and admin work the back office (`back_office`).
//! Screenshots under target/screenshots/.

mod back_office;
#[allow(dead_code)]
#[path = "../api/common.rs"]
mod common;
mod driver;
mod keyboard;

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
    let id_number = resident_id("1980-01-01");
    b.fill("id_number", &id_number).await;
    b.fill("financial_assets", "5000000").await;
    b.choose("evidence[0].kind", "asset_proof").await;
    b.fill("evidence[0].ref", "资产证明/2026/001").await;
    b.fill(
        "evidence[0].issued_at",
        &(Utc::now() - Duration::days(10))
            .format("%Y-%m-%d")
            .to_string(),
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

    // The investor's own link: sent by the sales owner, opened without a staff account.
    b.open(&format!("/console/investors/{investor}")).await;
    b.submit(&format!(
        "form[action=\"/console/investors/{investor}/invite\"]"
    ))
    .await;
    let url = b.text("[data-field=invitation_url]").await;
    let link = &url[url.find("/i/").expect("a link")..];
    b.client
        .delete_all_cookies()
        .await
        .expect("cookies cleared");
    b.open(link).await;
    assert_eq!(b.h1().await, "核验身份");
    b.fill("id_last4", "0000").await;
    b.fill("birth_date", "1980-01-01").await;
    b.submit("form.card").await;
    assert!(
        b.exists("[data-error-for=id_last4]").await,
        "a wrong check is refused"
    );
    b.fill("id_last4", &id_number[id_number.len() - 4..]).await;
    b.fill("birth_date", "1980-01-01").await;
    b.screenshot("investor-link-identity").await;
    b.submit("form.card").await;
    assert_eq!(b.h1().await, "风险承受能力评估问卷");
    b.client
        .execute(
            "document.querySelectorAll('fieldset.question').forEach(function (f) {
                f.querySelector('input').click(); });",
            vec![],
        )
        .await
        .expect("answers");
    b.screenshot("investor-link-questionnaire").await;
    b.submit("form#questionnaire").await;
    assert_eq!(b.h1().await, "风险揭示与签署");
    assert!(b.text("[data-field=level]").await.starts_with('C'));
    b.fill("typed_name", "王大明").await;
    b.click("input[name=agreed]").await;
    b.submit("section[data-document=risk_disclosure] form")
        .await;
    assert!(
        b.exists("[data-error-for=typed_name]").await,
        "the full name as registered"
    );
    b.fill("typed_name", "王小明").await;
    b.click("input[name=agreed]").await;
    b.screenshot("investor-link-disclosure").await;
    b.submit("section[data-document=risk_disclosure] form")
        .await;
    assert_eq!(b.h1().await, "签署完成");
    b.open(link).await;
    assert!(
        b.text("[role=alert]").await.contains("已使用完毕"),
        "one-time"
    );
    let (_, assessed) = app
        .get(&format!("/v1/investors/{investor}/assessments"), "sales")
        .await;
    assert_eq!(assessed["items"][0]["submitted_by"], "investor");
    b.sign_in(app.token("sales")).await;

    // Sales may not open the callback desk: 403 in the console's own frame.
    b.open("/console/callbacks").await;
    assert_eq!(b.h1().await, "无权访问");

    // The questionnaire with the investor: one answer per question (the last option each).
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
    assert_eq!(b.text("[data-field=level]").await, "C4");
    b.screenshot("assessment-result").await;

    // Check an R4 product, then order it once, signed and paid two days ago.
    let body = json!({"code": "JQ4", "name": "进取四号", "kind": "private_securities", "risk_rating": "R4",
        "min_subscription": 1000000});
    let (status, product) = app.post("/v1/products", "risk", body).await;
    assert_eq!(status, StatusCode::CREATED, "{product}");
    let product = product["id"].as_str().expect("id").to_string();
    b.open(&format!("/console/investors/{investor}/check"))
        .await;
    b.choose("product_id", &product).await;
    b.fill("amount", "1000000").await;
    b.submit("form.card").await;
    assert_eq!(b.text("[data-field=verdict]").await, "适当：可以销售");
    assert!(b.exists("li[data-requirement=dual_recording]").await);
    b.screenshot("suitability-check").await;
    b.follow("a.button[href^=\"/console/orders/new\"]").await;
    assert_eq!(b.h1().await, "下单");
    let two_days_ago = (Utc::now() - Duration::days(2))
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("offset"))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    b.set_value("signed_at", &two_days_ago).await;
    b.set_value("paid_at", &two_days_ago).await;
    b.click("fieldset[data-requirement=dual_recording] input[type=checkbox]")
        .await;
    b.fill("recording_ref", "双录/2026/12/0003.mp4").await;
    // Signed two days ago, the sale rests on the assessment the investor had then: the paper one
    // an administrator imported (the same answers, taken five days ago).
    b.submit("form.card").await;
    assert!(
        b.text("[role=alert]")
            .await
            .contains("合同签署时间早于投资者的风险评估")
    );
    let (_, assessed) = app
        .get(&format!("/v1/investors/{investor}/assessments"), "sales")
        .await;
    let online = &assessed["items"][0];
    let answers: serde_json::Map<String, serde_json::Value> = online["answers"]
        .as_object()
        .expect("answers")
        .iter()
        .map(|(q, picked)| {
            let picked = picked.as_array().expect("options");
            let v = if picked.len() == 1 {
                picked[0].clone()
            } else {
                json!(picked)
            };
            (q.clone(), v)
        })
        .collect();
    let paper = json!({"questionnaire_id": online["questionnaire_id"], "answers": answers,
        "assessed_at": (Utc::now() - Duration::days(5)).to_rfc3339()});
    let (status, paper) = app
        .post(
            &format!("/v1/investors/{investor}/assessments"),
            "admin",
            paper,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{paper}");
    // Its answers contradict the investor's age: it needs its risk review before any sale.
    b.submit("form.card").await;
    assert!(
        b.exists("[data-error-for=\"evidence.assessment_review\"]")
            .await
    );
    b.screenshot("order-requirement").await;
    let assessment = paper["id"].as_str().expect("an assessment").to_string();
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
    let order = b.text("[data-field=order_id]").await;
    b.screenshot("order").await;
    let (_, orders) = app
        .get(&format!("/v1/investors/{investor}/orders"), "sales")
        .await;
    assert_eq!(
        orders["items"].as_array().map(Vec::len),
        Some(1),
        "one order: {orders}"
    );

    // Cooling-off is over (it ended a day ago): a planner confirms the order by phone.
    b.sign_in(app.token("planner")).await;
    assert_eq!(b.path().await, "/console/callbacks");
    b.screenshot("callback-queue").await;
    b.open("/console/callbacks?kind=confirmation").await;
    b.follow("tr[data-callback] a").await;
    assert!(b.h1().await.contains("王小明"));
    let cb = b.text("[data-field=callback_id]").await;
    b.submit(&format!("form[action=\"/console/callbacks/{cb}/claim\"]"))
        .await;
    assert_eq!(b.text("[data-field=contact_phone]").await, "13800138000");
    assert!(
        b.text("[data-field=script_opening]")
            .await
            .contains("王小明")
    );
    b.client
        .execute(
            "document.querySelectorAll('input[type=radio][id$=\".yes\"]').forEach(function (r) { r.click(); });",
            vec![],
        )
        .await
        .expect("answers every check");
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
    b.open("/console/callbacks/report").await;
    assert_eq!(b.h1().await, "回访报告");
    assert_eq!(b.text("[data-field=outcomes]").await, "1");
    assert!(b.exists("figure svg rect").await, "the chart is drawn");
    b.screenshot("callback-report").await;

    // The same record through the API: completed by this planner, and the order confirmed.
    let (_, detail) = app.get(&format!("/v1/callbacks/{cb}"), "compliance").await;
    assert_eq!(detail["status"], "completed");
    assert_eq!(
        detail["outcomes"][0]["recorded_by"],
        app.actor("planner").id.as_str()
    );
    assert_eq!(detail["outcomes"][0]["satisfaction"]["overall"], 5);
    let (_, o) = app.get(&format!("/v1/orders/{order}"), "sales").await;
    assert_eq!(o["status"], "confirmed");

    // The same flows again with the keyboard alone.
    keyboard::main_flows_work_with_the_keyboard(&app, &b).await;

    // Risk staff, compliance and admin at their work (console part 2).
    back_office::risk_compliance_and_admin_work(&app, &b, &investor, &order).await;

    // Sign-out ends the session.
    b.submit("header form").await;
    b.open("/console/callbacks").await;
    assert_eq!(b.path().await, "/console/login");
    b.client.clone().close().await.expect("browser closes");
}
