//! The console's page frame: one `<h1>` per page, a navigation bar showing what the member's
//! roles may open, a skip link for keyboard users, and the pages for refusals and failures in the
//! same frame. Text is Chinese; times are shown as 2026-12-02 14:30 in Beijing time.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, html};

use super::session::Signed;
use crate::config::business_offset;
use crate::store::staff::Staff;

/// The sections of the navigation: (label, page, the API route the page calls).
const NAV: &[(&str, &str, &str, &str)] = &[
    ("投资者", "/console/investors", "GET", "/v1/investors"),
    ("回访工作台", "/console/callbacks", "GET", "/v1/callbacks"),
    ("产品", "/console/products", "POST", "/v1/products"),
    ("规则", "/console/rulesets", "GET", "/v1/rulesets"),
    ("问卷", "/console/questionnaires", "POST", "/v1/rulesets"),
    ("合规上报", "/console/escalations", "GET", "/v1/escalations"),
    (
        "主管审阅",
        "/console/reviews",
        "POST",
        "/v1/callbacks/{id}/reviews",
    ),
    (
        "投诉",
        "/console/complaints",
        "GET",
        "/v1/complaints/archive",
    ),
    ("审计", "/console/audit", "GET", "/v1/audit"),
    (
        "自查报告",
        "/console/reports/self-check",
        "GET",
        "/v1/reports/self-check",
    ),
    ("人员与令牌", "/console/staff", "GET", "/v1/staff"),
];

/// Whether `staff` may call the API route `method path` (the access table, unchanged).
pub fn may(staff: &Staff, method: &str, path: &str) -> bool {
    let Ok(method) = method.parse::<axum::http::Method>() else {
        return false;
    };
    match crate::http::access::lookup(&method, path) {
        Some(crate::http::access::Access::Public) => true,
        Some(crate::http::access::Access::Roles(roles)) => staff.has_any(roles),
        None => false,
    }
}

/// A time as the console shows it.
pub fn when(t: DateTime<Utc>) -> String {
    t.with_timezone(&business_offset())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A date as the console shows it.
pub fn day(t: DateTime<Utc>) -> String {
    t.with_timezone(&business_offset())
        .format("%Y-%m-%d")
        .to_string()
}

/// The full page: `title` is the `<h1>` and the window title; `current` marks the section.
pub fn page(signed: Option<&Signed>, current: &str, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · 适当性管理" }
                link rel="stylesheet" href="/console/assets/console.css";
                script src="/console/assets/htmx.min.js" defer {}
                script src="/console/assets/console.js" defer {}
            }
            body {
                a.skip href="#main" { "跳到正文" }
                header.top {
                    span.brand { "适当性管理" }
                    @if let Some(s) = signed {
                        nav aria-label="主导航" {
                            @for (label, href, method, api) in NAV {
                                @if may(&s.staff, method, api) {
                                    a href=(href) aria-current=[(current == *href).then_some("page")] { (label) }
                                }
                            }
                        }
                        div.who {
                            span data-field="staff_name" { (s.staff.name) }
                            form method="post" action="/console/logout" {
                                input type="hidden" name="csrf" value=(s.csrf);
                                button type="submit" { "退出" }
                            }
                        }
                    }
                }
                main #main tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// A page answered with `status`.
pub fn respond(status: StatusCode, markup: Markup) -> Response {
    // Pages hold personal data and one-time links: never kept by a browser or proxy cache.
    (
        status,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Html(markup.into_string()),
    )
        .into_response()
}

/// 403 in the console's frame: the member's roles do not open this page.
pub fn forbidden(signed: &Signed) -> Response {
    let body = html! {
        p.notice.bad { "您的角色无权查看此页面。如需访问，请联系管理员调整角色。" }
        p { a href="/console/" { "返回首页" } }
    };
    respond(
        StatusCode::FORBIDDEN,
        page(Some(signed), "", "无权访问", body),
    )
}

/// 404 in the console's frame.
pub fn not_found(signed: &Signed, what: &str) -> Response {
    let body = html! {
        p.notice.bad { "未找到该" (what) "，或您无权查看。" }
        p { a href="/console/" { "返回首页" } }
    };
    respond(
        StatusCode::NOT_FOUND,
        page(Some(signed), "", "未找到", body),
    )
}

/// What a page shows when loading `what` failed: 404 for a record that does not exist or is not
/// the member's to see (the API answers the same), 500 for anything else.
pub fn unavailable(signed: &Signed, what: &str, e: crate::workflow::WorkflowError) -> Response {
    use crate::workflow::WorkflowError;
    match e {
        // A malformed id in the address names no record either.
        WorkflowError::NotFound(_)
        | WorkflowError::Forbidden { .. }
        | WorkflowError::Invalid(_) => not_found(signed, what),
        WorkflowError::Busy => busy(signed),
        e => failure(&e.to_string()),
    }
}

/// A workflow error that is no refusal: 503 when busy, else 500.
pub fn failed(signed: &Signed, e: crate::workflow::WorkflowError) -> Response {
    match e {
        crate::workflow::WorkflowError::Busy => busy(signed),
        e => failure(&e.to_string()),
    }
}

/// 503 in the console's frame: the work is queued behind others; try again shortly.
pub fn busy(signed: &Signed) -> Response {
    let body = html! {
        p.notice.bad role="alert" { "系统正忙（其他预览或校验正在进行），未做任何更改。请稍后重试。" }
    };
    let mut r = respond(
        StatusCode::SERVICE_UNAVAILABLE,
        page(Some(signed), "", "系统繁忙", body),
    );
    r.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from_static("2"),
    );
    r
}

/// 500 in the console's frame; the cause goes to the log only.
pub fn failure(cause: &str) -> Response {
    tracing::error!(cause, "console page failed");
    let body = html! {
        p.notice.bad { "系统暂时无法完成操作，请稍后重试。如持续出现，请联系管理员。" }
    };
    respond(
        StatusCode::INTERNAL_SERVER_ERROR,
        page(None, "", "系统错误", body),
    )
}
