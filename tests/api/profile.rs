//! The investor's profile beyond orders: callbacks and complaints as lines of a list, to whoever
//! sees the investor and to no one else, without the call record, contact or complaint text; the
//! console's profile shows the same lines.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::callbacks::settled_order;
use crate::common::TestApp;
use crate::console::{get_page, sign_in};
use crate::on_both;

on_both!(the_profile_lists_callbacks_and_complaints_to_whoever_sees_the_investor,);

async fn the_profile_lists_callbacks_and_complaints_to_whoever_sees_the_investor(app: TestApp) {
    let (investor, order) = settled_order(&app).await;
    let order_id = order["id"].as_str().expect("order id");
    let (status, complaint) = app
        .post(
            "/v1/complaints",
            "sales",
            json!({"investor_id": investor, "order_id": order_id, "channel": "phone", "category": "fees",
                   "content": "客户认为管理费过高", "received_at": (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{complaint}");

    let (status, cbs) = app
        .get(&format!("/v1/investors/{investor}/callbacks"), "sales")
        .await;
    assert_eq!(status, StatusCode::OK, "{cbs}");
    let items = cbs["items"].as_array().expect("items");
    let confirmation = items
        .iter()
        .find(|c| c["kind"] == "confirmation")
        .expect("confirmation");
    assert_eq!(confirmation["order_id"], order_id);
    assert_eq!(confirmation["status"], "open");
    for hidden in ["checks", "contact", "outcomes", "assignee_id"] {
        assert!(
            confirmation.get(hidden).is_none(),
            "{hidden} in {confirmation}"
        );
    }

    let (status, cs) = app
        .get(&format!("/v1/investors/{investor}/complaints"), "sales")
        .await;
    assert_eq!(status, StatusCode::OK, "{cs}");
    let line: &Value = &cs["items"][0];
    assert_eq!(line["id"], complaint["id"]);
    assert_eq!(line["category"], "fees");
    assert!(line.get("content").is_none(), "{line}");

    // Another sales person's investor is not there at all; compliance sees every investor.
    for path in ["callbacks", "complaints"] {
        let url = format!("/v1/investors/{investor}/{path}");
        assert_eq!(app.get(&url, "sales2").await.0, StatusCode::NOT_FOUND);
        assert_eq!(app.get(&url, "compliance").await.0, StatusCode::OK);
    }

    let (session, _) = sign_in(&app, app.token("sales"), false).await;
    let (status, _, html) =
        get_page(&app, &session, &format!("/console/investors/{investor}")).await;
    assert_eq!(status, StatusCode::OK);
    let cb_id = confirmation["id"].as_str().expect("id");
    assert!(
        html.contains(&format!("data-callback=\"{cb_id}\"")),
        "{html}"
    );
    assert!(html.contains("确认回访") && html.contains("费用"), "{html}");
    // The owner's link form names the product to consider (its warning letter is signed there).
    assert!(
        html.contains("select id=\"invite_product_id\" name=\"product_id\""),
        "{html}"
    );
    // Sales do not open the desk's record: the id is not a link for them.
    assert!(!html.contains(&format!("href=\"/console/callbacks/{cb_id}\"")));
    let (session2, _) = sign_in(&app, app.token("sales2"), false).await;
    let (status, _, _) = get_page(&app, &session2, &format!("/console/investors/{investor}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
