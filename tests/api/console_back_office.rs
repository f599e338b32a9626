//! The back office's pages over the real HTTP stack: each role opens only what the API's role
//! table gives it, a refused complaint form never shows a salesperson the archive, and an
//! issued token is on its answer page once, never on the list.

use reqwest::header::COOKIE;
use reqwest::{Client, StatusCode, redirect};
use serde_json::json;

use crate::common::TestApp;
use crate::console::{get_page, sign_in};
use crate::on_both;

on_both!(
    each_role_opens_only_its_back_office_pages,
    a_refused_complaint_never_shows_sales_the_archive,
    a_token_form_sent_twice_issues_one_token,
);

fn csrf_in(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..at + 64].to_string()
}

async fn post_form(
    app: &TestApp,
    session: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    let resp = Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .expect("client")
        .post(format!("{}{path}", app.base))
        .header(COOKIE, format!("suitability_session={session}"))
        .form(form)
        .send()
        .await
        .expect("form sent");
    (resp.status(), resp.text().await.unwrap_or_default())
}

async fn each_role_opens_only_its_back_office_pages(app: TestApp) {
    let pages = [
        (
            "/console/products",
            &["sales", "risk", "planner", "compliance", "admin"][..],
        ),
        (
            "/console/questionnaires",
            &["sales", "risk", "planner", "compliance", "admin"][..],
        ),
        ("/console/rulesets", &["risk", "compliance", "admin"][..]),
        ("/console/rulesets/new", &["risk", "admin"][..]),
        ("/console/escalations", &["compliance", "admin"][..]),
        ("/console/reviews", &["compliance"][..]),
        ("/console/audit", &["compliance", "admin"][..]),
        ("/console/reports/self-check", &["compliance", "admin"][..]),
        ("/console/staff", &["admin"][..]),
    ];
    for who in ["sales", "risk", "planner", "compliance", "admin"] {
        let (session, _) = sign_in(&app, app.token(who), false).await;
        for (path, allowed) in pages {
            let (status, _, _) = get_page(&app, &session, path).await;
            // The page opens exactly when the API's role table lets the member do its work.
            if allowed.contains(&who) {
                assert_eq!(status, StatusCode::OK, "{who} {path}");
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{who} {path}");
            }
        }
    }
}

async fn a_refused_complaint_never_shows_sales_the_archive(app: TestApp) {
    let investor = app.individual("1980-01-01").await;
    let body = json!({"investor_id": investor, "channel": "phone", "category": "fees",
        "content": "管理费收取有误，机密投诉内容", "received_at": "2026-11-01T02:00:00Z"});
    let (status, made) = app.post("/v1/complaints", "compliance", body).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let (session, _) = sign_in(&app, app.token("sales"), false).await;
    let (status, _, page) = get_page(&app, &session, "/console/complaints").await;
    assert_eq!(status, StatusCode::OK, "sales take complaints");
    assert!(page.contains("登记投诉") && !page.contains("机密投诉内容"));
    let csrf = csrf_in(&page);
    let form = [
        ("csrf", csrf.as_str()),
        ("investor_id", investor.as_str()),
        ("channel", "phone"),
        ("category", "service"),
        ("received_at", "2026-11-02T10:00"),
        ("content", ""),
    ];
    let (status, refused) = post_form(&app, &session, "/console/complaints", &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.contains("data-error-for=\"content\""),
        "the problem is named"
    );
    assert!(
        !refused.contains("机密投诉内容"),
        "and the archive is not shown"
    );
    // With its content it is taken, the time read as Beijing time (seconds or not).
    let form = [
        ("csrf", csrf.as_str()),
        ("investor_id", investor.as_str()),
        ("channel", "phone"),
        ("category", "service"),
        ("received_at", "2026-11-02T10:00:30"),
        ("content", "回访太频繁"),
    ];
    let (status, _) = post_form(&app, &session, "/console/complaints", &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, archive) = app.get("/v1/complaints/archive", "compliance").await;
    let taken = archive["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|k| k["content"] == "回访太频繁")
        .cloned();
    assert_eq!(taken.expect("taken")["received_at"], "2026-11-02T02:00:30Z");
}

async fn a_token_form_sent_twice_issues_one_token(app: TestApp) {
    let (session, _) = sign_in(&app, app.token("admin"), false).await;
    let (_, _, page) = get_page(&app, &session, "/console/staff").await;
    let csrf = csrf_in(&page);
    let at = page
        .find("name=\"issue_key\" value=\"")
        .expect("the form's key")
        + 24;
    let key = page[at..].split('"').next().expect("key").to_string();
    let (_, before) = app.get("/v1/tokens", "admin").await;
    let form = [
        ("csrf", csrf.as_str()),
        ("issue_key", key.as_str()),
        ("name", "临时回访员"),
        ("roles", "planner"),
        ("expires_in_days", "7"),
    ];
    let (status, first) = post_form(&app, &session, "/console/staff/tokens", &form).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(first.contains("data-field=\"token\""));
    // A refresh sends the same form again: refused, and no token on the page.
    let (status, again) = post_form(&app, &session, "/console/staff/tokens", &form).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(!again.contains("data-field=\"token\"") && !again.contains("sut_"));
    let (_, after) = app.get("/v1/tokens", "admin").await;
    let count = |v: &serde_json::Value| v["items"].as_array().map_or(0, Vec::len);
    assert_eq!(count(&after), count(&before) + 1);
}
