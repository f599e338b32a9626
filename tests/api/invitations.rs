//! The investor's own link over HTTP: only the sales owner sends one; five wrong identity checks
//! lock it (and the right answer after that changes nothing); an expired link is gone.

use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::{Client, StatusCode, redirect};
use serde_json::json;

use crate::common::{TestApp, assert_error, exec};
use crate::on_both;
use crate::suitability::investor_at;

on_both!(
    only_the_sales_owner_sends_a_link,
    five_wrong_checks_lock_the_link,
    an_expired_link_is_gone,
);

async fn send(app: &TestApp, investor: &str) -> String {
    let (status, sent) = app
        .post(
            &format!("/v1/investors/{investor}/invitations"),
            "sales",
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    sent["url"].as_str().expect("url").to_string()
}

async fn only_the_sales_owner_sends_a_link(app: TestApp) {
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let url = send(&app, &investor).await;
    assert!(url.starts_with("/i/") && url.len() > 40, "{url}");
    let path = format!("/v1/investors/{investor}/invitations");
    let got = app.post(&path, "sales2", json!({})).await;
    assert!(
        got.0 == StatusCode::FORBIDDEN || got.0 == StatusCode::NOT_FOUND,
        "{}",
        got.1
    );
    assert_error(
        &app.post(&path, "planner", json!({})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
        None,
    );
    let got = app
        .post(&path, "sales", json!({"product_id": "nope"}))
        .await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("product_id"),
    );
}

/// One identity check with wrong answers; returns the status.
async fn wrong_check(app: &TestApp, client: &Client, url: &str) -> StatusCode {
    let page = client
        .get(format!("{}{url}", app.base))
        .send()
        .await
        .expect("page");
    let cookie = page
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("suitability_link_check="))
        .map(|v| {
            v["suitability_link_check=".len()..]
                .split(';')
                .next()
                .unwrap_or("")
                .to_string()
        });
    let Some(cookie) = cookie else {
        return page.status();
    };
    client
        .post(format!("{}{url}/verify", app.base))
        .header(COOKIE, format!("suitability_link_check={cookie}"))
        .form(&[
            ("csrf", cookie.as_str()),
            ("id_last4", "0000"),
            ("birth_date", "1999-09-09"),
        ])
        .send()
        .await
        .expect("checked")
        .status()
}

async fn five_wrong_checks_lock_the_link(app: TestApp) {
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let url = send(&app, &investor).await;
    let client = Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .expect("client");
    for _ in 0..4 {
        assert_eq!(
            wrong_check(&app, &client, &url).await,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    // The fifth locks it; from then on the link is gone, whatever is answered.
    assert_eq!(wrong_check(&app, &client, &url).await, StatusCode::GONE);
    let page = client
        .get(format!("{}{url}", app.base))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::GONE);
    assert!(page.text().await.expect("html").contains("已锁定"));
    let (_, trail) = app
        .get(
            &format!("/v1/audit?entity=investor&entity_id={investor}"),
            "compliance",
        )
        .await;
    let failed = trail["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["action"] == "invitation.identity_failed")
        .count();
    assert_eq!(failed, 5, "every wrong check is on the trail");
}

async fn an_expired_link_is_gone(app: TestApp) {
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let url = send(&app, &investor).await;
    exec(
        &app,
        "UPDATE invitations SET expires_at = '2001-01-01T00:00:00+00:00'",
    )
    .await;
    let page = reqwest::get(format!("{}{url}", app.base))
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::GONE);
    assert!(page.text().await.expect("html").contains("已过期"));
    let unknown = reqwest::get(format!("{}/i/{}", app.base, "0".repeat(64)))
        .await
        .expect("page");
    assert_eq!(unknown.status(), StatusCode::GONE);
}
