//! Sign-in with a staff token (a field named `token`), and sign-out. The sign-in form's CSRF
//! secret rides in a short-lived cookie of its own (there is no session yet); both sign-in and
//! sign-out are on the trail under the member's name.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::form::{Fields, value};
use super::layout;
use super::session::{self, LOGIN_COOKIE, Signed, same_secret};
use crate::http::AppState;
use crate::store::audit::{self, Actor};
use crate::store::staff;

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// Only a path of the console itself is a place to go back to.
fn safe_next(next: Option<&str>) -> &str {
    next.filter(|n| n.starts_with("/console/") && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or("/console/")
}

fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    next: &str,
    problem: Option<&str>,
) -> Response {
    let Ok(secret) = staff::random_secret() else {
        return layout::failure("no randomness");
    };
    let body = html! {
        form.card method="post" action="/console/login" {
            input type="hidden" name="csrf" value=(secret);
            input type="hidden" name="next" value=(next);
            @if let Some(p) = problem {
                div.notice.bad role="alert" { (p) }
            }
            label for="token" { "员工令牌" }
            input #token type="password" name="token" autocomplete="off" required autofocus;
            p.muted { "令牌由管理员通过 suitability token create 签发，仅显示一次。" }
            button type="submit" { "登录" }
        }
    };
    let status = if problem.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    let cookie = session::set_cookie(
        LOGIN_COOKIE,
        &secret,
        1800,
        session::over_tls(state, headers),
    );
    let mut response = layout::respond(status, layout::page(None, "", "登录", body));
    if let Ok(v) = cookie.parse() {
        response.headers_mut().insert(SET_COOKIE, v);
    }
    response
}

pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<Next>,
) -> Response {
    login_page(&state, &headers, safe_next(q.next.as_deref()), None)
}

pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    let next = safe_next(value(&fields, "next")).to_string();
    let expected = session::cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    let sent = value(&fields, "csrf").unwrap_or("");
    if expected.is_empty() || !same_secret(sent, expected) {
        return login_page(
            &state,
            &headers,
            &next,
            Some("登录表单已过期，请重新输入令牌。"),
        );
    }
    let token = value(&fields, "token").unwrap_or("");
    let opened = match session::open(&state, token).await {
        Ok(o) => o,
        Err(e) => return layout::failure(&e.to_string()),
    };
    let Some((member, secret)) = opened else {
        tracing::warn!("console sign-in refused");
        return login_page(
            &state,
            &headers,
            &next,
            Some("令牌无效、已过期或已被吊销。"),
        );
    };
    if let Err(e) = record(&state, &member, "console.sign_in").await {
        return layout::failure(&e.to_string());
    }
    let secure = session::over_tls(&state, &headers);
    // The browser may drop the cookie when the session can no longer be alive anyway.
    let max_age = state.config.console.lifetime.num_seconds();
    let mut response = Redirect::to(&next).into_response();
    for cookie in [
        session::set_cookie(session::COOKIE, &secret, max_age, secure),
        session::set_cookie(LOGIN_COOKIE, "", 0, secure),
    ] {
        if let Ok(v) = cookie.parse() {
            response.headers_mut().append(SET_COOKIE, v);
        }
    }
    response
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    signed: Signed,
    Form(fields): Form<Fields>,
) -> Response {
    if let Some(refused) = super::form::csrf_refused(&signed, &fields) {
        return refused;
    }
    if let Err(e) = session::close(&state, &signed).await {
        return layout::failure(&e.to_string());
    }
    if let Err(e) = record(&state, &signed.staff, "console.sign_out").await {
        return layout::failure(&e.to_string());
    }
    let mut response = Redirect::to("/console/login").into_response();
    let cookie = session::set_cookie(session::COOKIE, "", 0, session::over_tls(&state, &headers));
    if let Ok(v) = cookie.parse() {
        response.headers_mut().insert(SET_COOKIE, v);
    }
    response
}

async fn record(
    state: &AppState,
    member: &staff::Staff,
    action: &str,
) -> Result<(), crate::store::StoreError> {
    let mut tx = state.db.begin().await?;
    let change = serde_json::json!({"via": "console"});
    audit::append(
        &mut tx.conn(),
        &Actor::staff(member),
        action,
        "staff",
        &member.id,
        &change,
    )
    .await?;
    tx.commit().await
}
