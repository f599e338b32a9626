//! The main flows with the keyboard alone (Tab, Space, arrows, Enter; no clicks, no scripts that
//! set values): the investor's link (identity check, questionnaire, signing), the sign-in, and a
//! suitability check. Each control must be reachable with Tab and work from the keyboard.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::TestApp;
use crate::driver::{Browser, DOWN, ENTER, SPACE, TAB};

/// What has the focus: its tag, type, name, and whether its question is answered yet.
const FOCUS: &str = r#"
var e = document.activeElement;
var group = e.name ? document.querySelectorAll('input[name="' + e.name + '"]:checked').length : 0;
return [e.tagName.toLowerCase(), e.type || '', e.name || '', group > 0];
"#;

pub async fn main_flows_work_with_the_keyboard(app: &TestApp, b: &Browser) {
    let birth = "1975-06-15";
    let (investor, id_number) = app.individual_named("李键盘", birth).await;
    let (status, sent) = app
        .post(
            &format!("/v1/investors/{investor}/invitations"),
            "sales",
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    let link = sent["url"].as_str().expect("url").to_string();

    // The identity check: typed, the date typed segment by segment, Enter.
    b.client
        .delete_all_cookies()
        .await
        .expect("cookies cleared");
    b.open(&link).await;
    b.tab_to("id_last4").await;
    b.press(&id_number[id_number.len() - 4..]).await;
    b.press(TAB).await;
    assert_eq!(b.focused().await, "birth_date");
    b.type_date(birth).await;
    b.press_and_wait(ENTER).await;
    assert_eq!(b.h1().await, "风险承受能力评估问卷");

    // The questionnaire: Tab from question to question, Space on the first option of each,
    // Enter on the submit button.
    let mut answered = 0;
    for _ in 0..400 {
        let f = b.client.execute(FOCUS, vec![]).await.expect("focus");
        let (tag, kind, done) = (f[0].as_str(), f[1].as_str(), f[3].as_bool());
        match (tag, kind, done) {
            (Some("input"), Some("radio" | "checkbox"), Some(false)) => {
                b.press(SPACE).await;
                answered += 1;
            }
            (Some("button"), Some("submit"), _) => {
                b.press_and_wait(ENTER).await;
                break;
            }
            _ => b.press(TAB).await,
        }
    }
    assert!(answered > 5, "answered {answered} questions by keyboard");
    assert_eq!(b.h1().await, "风险揭示与签署");

    // Signing: the name typed, the box ticked with Space, Enter on 签署.
    b.tab_to("typed_name").await;
    b.press("李键盘").await;
    b.press(TAB).await;
    assert_eq!(b.focused().await, "agreed");
    b.press(SPACE).await;
    b.press(TAB).await;
    assert_eq!(b.focused().await, "button", "签署 follows the box");
    b.press_and_wait(ENTER).await;
    assert_eq!(b.h1().await, "签署完成");

    // Sign-in: the token typed, Enter.
    b.client
        .delete_all_cookies()
        .await
        .expect("cookies cleared");
    b.open("/console/login").await;
    b.tab_to("token").await;
    b.press(app.token("sales")).await;
    b.press_and_wait(ENTER).await;
    assert_eq!(b.path().await, "/console/investors");

    // A suitability check: the product chosen with the arrow key, the amount typed, Enter.
    b.open(&format!("/console/investors/{investor}/check"))
        .await;
    b.tab_to("product_id").await;
    b.press(DOWN).await;
    b.tab_to("amount").await;
    b.press("1000000").await;
    b.press_and_wait(ENTER).await;
    assert!(
        b.exists("[data-field=verdict]").await,
        "the decision is shown"
    );
    b.screenshot("keyboard-check").await;
}
