//! The console's order form is submitted once: the same form sent again places nothing new and
//! shows the order it placed; the form changed and sent again with its used key is refused with a
//! sentence and a fresh key, so the member can still place a second order deliberately.

use reqwest::header::{COOKIE, LOCATION};
use reqwest::{StatusCode, redirect};

use crate::common::TestApp;
use crate::console::{get_page, sign_in};
use crate::on_both;
use crate::suitability::{investor_at, product};

on_both!(an_order_form_sent_twice_places_one_order,);

fn field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = html.find(&marker).unwrap_or_else(|| panic!("no {name}")) + marker.len();
    html[at..].split('"').next().unwrap_or("").to_string()
}

async fn send(
    app: &TestApp,
    session: &str,
    form: &[(&str, String)],
) -> (StatusCode, String, String) {
    let resp = reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .expect("client")
        .post(format!("{}/console/orders/new", app.base))
        .header(COOKIE, format!("suitability_session={session}"))
        .form(form)
        .send()
        .await
        .expect("sent");
    let status = resp.status();
    let location = resp
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, location, resp.text().await.unwrap_or_default())
}

async fn an_order_form_sent_twice_places_one_order(app: TestApp) {
    let investor = investor_at(&app, "C3", "1980-01-01", None).await;
    let r3 = product(&app, &format!("F{}", uuid::Uuid::now_v7().simple()), "R3").await;
    let (session, _) = sign_in(&app, app.token("sales"), false).await;
    let path = format!("/console/orders/new?investor={investor}&product={r3}&amount=1000000");
    let (_, _, html) = get_page(&app, &session, &path).await;
    let (csrf, key) = (field(&html, "csrf"), field(&html, "idempotency_key"));
    let at = (chrono::Utc::now() - chrono::Duration::hours(1))
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("offset"))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let form = |amount: &'static str, key: &str| -> Vec<(&'static str, String)> {
        vec![
            ("csrf", csrf.clone()),
            ("idempotency_key", key.to_string()),
            ("investor_id", investor.clone()),
            ("product_id", r3.clone()),
            ("amount", amount.to_string()),
            ("signed_at", at.clone()),
            ("paid_at", at.clone()),
        ]
    };
    let first = form("1000000", &key);
    let (status, placed, _) = send(&app, &session, &first).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(placed.starts_with("/console/orders/"), "{placed}");
    // The same form again (a double click, a resend): the same order.
    let (status, again, _) = send(&app, &session, &first).await;
    assert_eq!(
        (status, again.as_str()),
        (StatusCode::SEE_OTHER, placed.as_str())
    );
    // Changed and sent with the used key: refused, nothing placed, and a fresh key to go on with.
    let changed = form("2000000", &key);
    let (status, _, html) = send(&app, &session, &changed).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("此表单已提交过另一笔订单"), "{html}");
    let fresh = field(&html, "idempotency_key");
    assert_ne!(fresh, key);
    let (_, orders) = app
        .get(&format!("/v1/investors/{investor}/holdings"), "sales")
        .await;
    assert_eq!(
        orders["items"].as_array().map(Vec::len),
        Some(1),
        "{orders}"
    );
    let (status, second, _) = send(&app, &session, &form("2000000", &fresh)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_ne!(second, placed);
}
