//! The console's sessions over the real HTTP stack: sign-in by token to a cookie that is
//! HttpOnly, SameSite=Strict (and Secure behind TLS); a form without its CSRF secret changes
//! nothing; a revoked token, an idle session and sign-out each end the session; the sign-in never
//! redirects off the site; a page a role may not open answers 403 in the console's frame.

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Client, StatusCode, redirect};
use serde_json::json;

use crate::common::{Backend, TestApp};
use crate::on_both;

on_both!(
    sign_in_sets_a_strict_http_only_cookie_and_is_on_the_trail,
    forms_without_their_csrf_secret_change_nothing,
    a_revoked_token_ends_its_sessions,
    a_page_a_role_may_not_open_is_403_in_the_frame,
);

fn client() -> Client {
    Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .expect("client")
}

/// The value of `name=…` in a response's Set-Cookie headers, with the whole header line.
fn set_cookie(resp: &reqwest::Response, name: &str) -> Option<(String, String)> {
    resp.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|line| {
            let value = line[name.len() + 1..]
                .split(';')
                .next()
                .unwrap_or("")
                .to_string();
            (value, line.to_string())
        })
}

fn csrf_in(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..at + 64].to_string()
}

/// Signs `who` in; returns the session cookie's value and its Set-Cookie line.
pub async fn sign_in(app: &TestApp, token: &str, https: bool) -> (String, String) {
    let c = client();
    let page = c
        .get(format!("{}/console/login", app.base))
        .send()
        .await
        .expect("login page");
    let (login, _) = set_cookie(&page, "suitability_login").expect("login cookie");
    let csrf = csrf_in(&page.text().await.expect("html"));
    assert_eq!(csrf, login, "the form's secret is the cookie's");
    let mut req = c
        .post(format!("{}/console/login", app.base))
        .header(COOKIE, format!("suitability_login={login}"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("token", token),
            ("next", "/console/investors"),
        ]);
    if https {
        req = req.header("x-forwarded-proto", "https");
    }
    let resp = req.send().await.expect("signs in");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()[LOCATION], "/console/investors");
    set_cookie(&resp, "suitability_session").expect("session cookie")
}

pub async fn get_page(app: &TestApp, session: &str, path: &str) -> (StatusCode, String, String) {
    let resp = client()
        .get(format!("{}{path}", app.base))
        .header(COOKIE, format!("suitability_session={session}"))
        .send()
        .await
        .expect("page");
    let status = resp.status();
    let location = resp
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, location, resp.text().await.unwrap_or_default())
}

async fn sign_in_sets_a_strict_http_only_cookie_and_is_on_the_trail(app: TestApp) {
    let (session, line) = sign_in(&app, app.token("sales"), false).await;
    assert!(
        line.contains("HttpOnly") && line.contains("SameSite=Strict"),
        "{line}"
    );
    assert!(!line.contains("Secure"), "plain HTTP: {line}");
    let (_, tls) = sign_in(&app, app.token("sales"), true).await;
    assert!(tls.contains("; Secure"), "{tls}");
    let (status, _, html) = get_page(&app, &session, "/console/investors").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<h1>我的投资者</h1>"));
    assert_eq!(html.matches("<h1").count(), 1, "one h1 per page");
    let me = &app.actor("sales").id;
    let (_, trail) = app
        .get(
            &format!("/v1/audit?entity=staff&entity_id={me}"),
            "compliance",
        )
        .await;
    let signed_in = trail["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["action"] == "console.sign_in" && e["actor_id"] == me.as_str())
        .count();
    assert_eq!(signed_in, 2, "{trail}");
    // A bad token: 401 on the form, no session.
    let c = client();
    let page = c
        .get(format!("{}/console/login?next=//evil.example/", app.base))
        .send()
        .await
        .expect("page");
    let (login, _) = set_cookie(&page, "suitability_login").expect("cookie");
    let html = page.text().await.expect("html");
    assert!(!html.contains("evil.example"), "the next page is ours only");
    let resp = c
        .post(format!("{}/console/login", app.base))
        .header(COOKIE, format!("suitability_login={login}"))
        .form(&[
            ("csrf", login.as_str()),
            ("token", "sut_wrong"),
            ("next", "https://evil.example/"),
        ])
        .send()
        .await
        .expect("refused");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookie(&resp, "suitability_session").is_none());
    // Without the sign-in form's own secret, not even a good token signs in.
    let resp = c
        .post(format!("{}/console/login", app.base))
        .form(&[("csrf", login.as_str()), ("token", app.token("sales"))])
        .send()
        .await
        .expect("refused");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    // And a good sign-in never leaves the site.
    let resp = c
        .post(format!("{}/console/login", app.base))
        .header(COOKIE, format!("suitability_login={login}"))
        .form(&[
            ("csrf", login.as_str()),
            ("token", app.token("sales")),
            ("next", "//evil.example/"),
        ])
        .send()
        .await
        .expect("signs in");
    assert_eq!(resp.headers()[LOCATION], "/console/");
}

async fn forms_without_their_csrf_secret_change_nothing(app: TestApp) {
    let (session, _) = sign_in(&app, app.token("sales"), false).await;
    let (_, _, html) = get_page(&app, &session, "/console/investors/new").await;
    let csrf = csrf_in(&html);
    let body = [("kind", "individual"), ("name", "赵六"), ("id_number", "x")];
    for sent in [None, Some("0".repeat(64))] {
        let mut form: Vec<(&str, &str)> = body.to_vec();
        if let Some(s) = &sent {
            form.push(("csrf", s.as_str()));
        }
        let resp = client()
            .post(format!("{}/console/investors/new", app.base))
            .header(COOKIE, format!("suitability_session={session}"))
            .form(&form)
            .send()
            .await
            .expect("refused");
        assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    }
    // With it, the same form reaches the workflow (and its validation).
    let mut form: Vec<(&str, &str)> = body.to_vec();
    form.push(("csrf", csrf.as_str()));
    let resp = client()
        .post(format!("{}/console/investors/new", app.base))
        .header(COOKIE, format!("suitability_session={session}"))
        .form(&form)
        .send()
        .await
        .expect("validated");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text()
            .await
            .expect("html")
            .contains("data-error-for=\"id_number\"")
    );
    // A field name nested twenty thousand deep is not one of ours: dropped, and the service lives.
    let deep = "a.".repeat(20_000) + "a";
    let mut form: Vec<(&str, &str)> = body.to_vec();
    form.push(("csrf", csrf.as_str()));
    form.push((deep.as_str(), "x"));
    form.push(("evidence[999].kind", "asset_proof"));
    let resp = client()
        .post(format!("{}/console/investors/new", app.base))
        .header(COOKIE, format!("suitability_session={session}"))
        .form(&form)
        .send()
        .await
        .expect("answered");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get("/health", "sales").await.0, StatusCode::OK);
    let (_, list) = app.get("/v1/investors", "sales").await;
    assert_eq!(list["items"], json!([]), "nothing was created");
    // Sign-out (with its secret) ends the session.
    let resp = client()
        .post(format!("{}/console/logout", app.base))
        .header(COOKIE, format!("suitability_session={session}"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("signs out");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (status, location, _) = get_page(&app, &session, "/console/investors").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.starts_with("/console/login"));
}

async fn a_revoked_token_ends_its_sessions(app: TestApp) {
    let (member, token) = suitability::store::staff::issue_token(
        &app.db,
        "临时销售",
        &[suitability::domain::Role::Sales],
        chrono::Duration::days(1),
    )
    .await
    .expect("token");
    let (session, _) = sign_in(&app, &token, false).await;
    assert_eq!(
        get_page(&app, &session, "/console/investors").await.0,
        StatusCode::OK
    );
    let (_, tokens) = app.get("/v1/tokens", "admin").await;
    let id = tokens["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|t| t["staff_id"] == member.id.as_str())
        .and_then(|t| t["id"].as_str())
        .expect("the token")
        .to_string();
    let (status, _) = app
        .post(&format!("/v1/tokens/{id}/revoke"), "admin", json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, location, _) = get_page(&app, &session, "/console/investors").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.starts_with("/console/login"), "{location}");
}

async fn a_page_a_role_may_not_open_is_403_in_the_frame(app: TestApp) {
    let (session, _) = sign_in(&app, app.token("planner"), false).await;
    let (status, _, html) = get_page(&app, &session, "/console/investors/new").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        html.contains("<h1>无权访问</h1>") && html.contains("回访工作台"),
        "{html}"
    );
    let (status, _, _) = get_page(&app, &session, "/console/callbacks").await;
    assert_eq!(status, StatusCode::OK);
    let (status, location, _) = get_page(&app, "not-a-session", "/console/callbacks").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/console/login?next=/console/callbacks");
}

/// An idle session is over (here after one second).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_session_is_over() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.console.idle = chrono::Duration::seconds(1);
    })
    .await;
    let (session, _) = sign_in(&app, app.token("sales"), false).await;
    assert_eq!(
        get_page(&app, &session, "/console/investors").await.0,
        StatusCode::OK
    );
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(
        get_page(&app, &session, "/console/investors").await.0,
        StatusCode::SEE_OTHER
    );
}

/// However busy, a session ends at its lifetime (here one second), and its cookie says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_ends_at_its_lifetime() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.console.lifetime = chrono::Duration::seconds(1);
    })
    .await;
    let (session, line) = sign_in(&app, app.token("sales"), false).await;
    assert!(line.contains("Max-Age=1"), "{line}");
    for _ in 0..3 {
        assert_eq!(
            get_page(&app, &session, "/console/investors").await.0,
            StatusCode::OK
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(
        get_page(&app, &session, "/console/investors").await.0,
        StatusCode::SEE_OTHER
    );
}
