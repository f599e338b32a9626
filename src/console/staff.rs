//! Staff and tokens for admin: every member with roles and state, every token (never the token
//! itself), issuing a token (shown once, on the answer's page only), revoking a token and
//! disabling a member. All through `workflow::staff`, as the API and the CLI.

use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};

use super::form::{self, Fields, Problems};
use super::layout::{self, may, when};
use super::session::Signed;
use crate::domain::Role;
use crate::http::AppState;
use crate::store::now;
use crate::workflow::WorkflowError;
use crate::workflow::staff::{self, IssueRequest, IssuedToken};

const SECTION: &str = "/console/staff";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/staff", get(list))
        .route("/console/staff/tokens", post(issue))
        .route("/console/staff/tokens/{id}/revoke", post(revoke))
        .route("/console/staff/{id}/disable", post(disable))
}

pub fn role_zh(r: Role) -> &'static str {
    match r {
        Role::Sales => "销售",
        Role::Risk => "风险管理",
        Role::Planner => "回访",
        Role::Compliance => "合规",
        Role::Admin => "管理员",
    }
}

async fn list(State(state): State<AppState>, signed: Signed) -> Response {
    if !may(&signed.staff, "GET", "/v1/staff") {
        return layout::forbidden(&signed);
    }
    show(
        &state,
        &signed,
        None,
        &Fields::new(),
        &Problems::default(),
        StatusCode::OK,
    )
    .await
}

/// The page; `issued` is a token just issued, shown this once.
async fn show(
    state: &AppState,
    signed: &Signed,
    issued: Option<&IssuedToken>,
    fields: &Fields,
    p: &Problems,
    status: StatusCode,
) -> Response {
    let loaded = async {
        let mut pooled = state.db.acquire().await?;
        let members = staff::list(&mut pooled.conn()).await?.items;
        let tokens = staff::tokens(&mut pooled.conn()).await?.items;
        Ok::<_, WorkflowError>((members, tokens))
    }
    .await;
    let (members, tokens) = match loaded {
        Ok(x) => x,
        Err(e) => return layout::failure(&e.to_string()),
    };
    let t = now();
    let body = html! {
        (p.banner())
        @if let Some(i) = issued {
            div.notice.ok role="status" {
                p { "已为 " strong { (i.staff.name) } " 签发令牌，有效期至 " (when(i.expires_at)) "。"
                    "令牌只显示这一次，系统只保存其摘要：请现在复制并通过安全渠道交给本人。" }
                p { code.token data-field="token" { (i.token) } }
            }
        }
        h2 { "人员" }
        table {
            thead { tr { th { "姓名" } th { "角色" } th { "状态" } th { "操作" } } }
            tbody {
                @for m in &members {
                    tr data-staff=(m.id) {
                        td { (m.name) }
                        td { (m.roles.iter().map(|r| role_zh(*r)).collect::<Vec<_>>().join("、")) }
                        td { @if m.disabled { span.badge.bad data-field="disabled" { "已停用" } } @else { span.badge.ok { "在用" } } }
                        td {
                            @if !m.disabled && m.id != signed.staff.id {
                                form.inline method="post" action={ "/console/staff/" (m.id) "/disable" } {
                                    (form::csrf_input(signed))
                                    button.secondary type="submit" aria-label={ "停用 " (m.name) } { "停用" }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "令牌" }
        table {
            thead { tr { th { "人员" } th { "签发" } th { "到期" } th { "最近使用" } th { "状态" } th { "操作" } } }
            tbody {
                @for k in &tokens {
                    tr data-token=(k.id) {
                        td { (k.staff_name) }
                        td { (when(k.created_at)) }
                        td { (when(k.expires_at)) }
                        td { @if let Some(u) = k.last_used_at { (when(u)) } @else { "—" } }
                        td {
                            @if k.revoked_at.is_some() { span.badge.bad data-field="token_state" { "已吊销" } }
                            @else if k.expires_at <= t { span.badge data-field="token_state" { "已过期" } }
                            @else { span.badge.ok data-field="token_state" { "有效" } }
                        }
                        td {
                            @if k.revoked_at.is_none() && k.expires_at > t {
                                form.inline method="post" action={ "/console/staff/tokens/" (k.id) "/revoke" } {
                                    (form::csrf_input(signed))
                                    button.secondary type="submit" aria-label={ "吊销 " (k.staff_name) " 的令牌" } { "吊销" }
                                }
                            }
                        }
                    }
                }
            }
        }
        (issue_form(signed, fields, p))
    };
    layout::respond(
        status,
        layout::page(Some(signed), SECTION, "人员与令牌", body),
    )
}

fn issue_form(signed: &Signed, fields: &Fields, p: &Problems) -> Markup {
    let ticked = |r: Role| fields.iter().any(|(k, v)| k == "roles" && v == r.as_str());
    html! {
        form.card method="post" action="/console/staff/tokens" {
            h2 { "签发令牌" }
            (form::csrf_input(signed))
            label for="name" { "姓名（已有人员按姓名追加角色）" }
            input #name type="text" name="name" maxlength=(staff::MAX_NAME) required
                value=(form::value(fields, "name").unwrap_or(""));
            (p.at("name"))
            fieldset {
                legend { "角色" }
                @for r in Role::ALL {
                    label.inline { input type="checkbox" name="roles" value=(r.as_str()) checked[ticked(r)]; " " (role_zh(r)) }
                }
                (p.at("roles"))
            }
            // The form's own key: sent again, it issues no second token.
            input type="hidden" name="issue_key" value=(crate::store::new_id());
            label for="expires_in_days" { "有效天数（1–" (staff::MAX_TOKEN_DAYS) "）" }
            input #expires_in_days type="number" name="expires_in_days" min="1" max=(staff::MAX_TOKEN_DAYS)
                value=(form::value(fields, "expires_in_days").unwrap_or("90"));
            (p.at("expires_in_days"))
            p { button type="submit" { "签发令牌" } }
        }
    }
}

/// The form as the API's body: `roles` may repeat, so it is gathered into a list.
fn request(fields: &Fields) -> Result<IssueRequest, Problems> {
    let mut body = form::to_json(
        fields,
        &["roles", "issue_key"],
        &[("expires_in_days", "int")],
    );
    let roles: Vec<serde_json::Value> = fields
        .iter()
        .filter(|(k, _)| k == "roles")
        .map(|(_, v)| serde_json::Value::String(v.clone()))
        .collect();
    if let Some(o) = body.as_object_mut() {
        o.insert("roles".into(), serde_json::Value::Array(roles));
        o.entry("name").or_insert_with(|| "".into());
    }
    form::parse(body)
}

async fn issue(
    State(state): State<AppState>,
    signed: Signed,
    Form(fields): Form<Fields>,
) -> Response {
    if !may(&signed.staff, "POST", "/v1/tokens") {
        return layout::forbidden(&signed);
    }
    if let Some(refused) = form::csrf_refused(&signed, &fields) {
        return refused;
    }
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let req = match request(&fields) {
        Ok(r) => r,
        Err(p) => return show(&state, &signed, None, &fields, &p, unprocessable).await,
    };
    let key = form::value(&fields, "issue_key").unwrap_or("");
    match staff::issue_once(&state.db, &signed.staff, req, key).await {
        Ok(issued) => {
            let none = Problems::default();
            show(
                &state,
                &signed,
                Some(&issued),
                &Fields::new(),
                &none,
                StatusCode::CREATED,
            )
            .await
        }
        Err(e) => match form::refusal(&e) {
            Some(p) => {
                let status = match e {
                    WorkflowError::Conflict { .. } => StatusCode::CONFLICT,
                    _ => unprocessable,
                };
                show(&state, &signed, None, &fields, &p, status).await
            }
            None => layout::failure(&e.to_string()),
        },
    }
}

async fn revoke(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    if !may(&signed.staff, "POST", "/v1/tokens/{id}/revoke") {
        return layout::forbidden(&signed);
    }
    if let Some(refused) = form::csrf_refused(&signed, &fields) {
        return refused;
    }
    let done = async {
        let mut tx = state.db.begin().await?;
        staff::revoke(&mut tx.conn(), Some(&signed.staff), &id).await?;
        tx.commit().await?;
        Ok::<_, WorkflowError>(())
    }
    .await;
    after(&state, &signed, done).await
}

async fn disable(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    if !may(&signed.staff, "POST", "/v1/staff/{id}/disable") {
        return layout::forbidden(&signed);
    }
    if let Some(refused) = form::csrf_refused(&signed, &fields) {
        return refused;
    }
    let done = async {
        let mut tx = state.db.begin().await?;
        staff::disable(&mut tx.conn(), &signed.staff, &id).await?;
        tx.commit().await?;
        Ok::<_, WorkflowError>(())
    }
    .await;
    after(&state, &signed, done).await
}

/// Back to the list after a change, or the list with the refusal.
async fn after(state: &AppState, signed: &Signed, done: Result<(), WorkflowError>) -> Response {
    match done {
        Ok(()) => Redirect::to(SECTION).into_response(),
        Err(e) => match form::refusal(&e) {
            Some(p) => {
                let status = match e {
                    WorkflowError::NotFound(_) => StatusCode::NOT_FOUND,
                    _ => StatusCode::CONFLICT,
                };
                show(state, signed, None, &Fields::new(), &p, status).await
            }
            None => layout::failure(&e.to_string()),
        },
    }
}
