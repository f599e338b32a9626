//! The callback desk in the browser: the queue (counts at the top, filters, overdue highlighted),
//! and one callback: claim it, see the investor's contact (the assignee only, audited), read the
//! opening script, ask each check, read the closing, record the outcome; the record afterwards.

use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::html;
use serde::Deserialize;

use super::callback_form;
use super::form::{self, Fields, Problems};
use super::layout::{self, may, when};
use super::session::Signed;
use crate::callbacks::export::{method_zh, purpose};
use crate::domain::state::{CallbackKind, CallbackStatus};
use crate::http::AppState;
use crate::store::now;
use crate::workflow::WorkflowError;
use crate::workflow::callbacks::outcome::{self, Report};
use crate::workflow::callbacks::{self as desk, CallbackDetail, CallbackView, Query as DeskQuery};
use crate::workflow::callbacks::{contact, summary};

const SECTION: &str = "/console/callbacks";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/callbacks", get(queue))
        .route("/console/callbacks/{id}", get(one))
        .route("/console/callbacks/{id}/claim", post(claim))
        .route("/console/callbacks/{id}/outcome", post(record))
}

#[derive(Deserialize)]
pub struct QueueQuery {
    kind: Option<String>,
    status: Option<String>,
    mine: Option<String>,
}

pub fn status_zh(s: CallbackStatus) -> &'static str {
    match s {
        CallbackStatus::Open => "待回访",
        CallbackStatus::Overdue => "已逾期",
        CallbackStatus::Completed => "已完成",
        CallbackStatus::Failed => "未通过",
        CallbackStatus::Escalated => "已上报",
        CallbackStatus::Cancelled => "已取消",
    }
}

pub fn kind_zh(k: CallbackKind) -> &'static str {
    match k {
        CallbackKind::Confirmation => "确认回访",
        CallbackKind::Periodic => "定期回访",
        CallbackKind::Special => "特定回访",
    }
}

fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

fn late(cb: &CallbackView) -> bool {
    cb.status == CallbackStatus::Overdue || (cb.status.is_workable() && cb.due_by < now())
}

async fn queue(
    State(state): State<AppState>,
    signed: Signed,
    Query(q): Query<QueueQuery>,
) -> Response {
    if !may(&signed.staff, "GET", "/v1/callbacks") {
        return layout::forbidden(&signed);
    }
    let status = nonempty(&q.status)
        .map(str::parse::<CallbackStatus>)
        .transpose();
    let kind = nonempty(&q.kind)
        .map(str::parse::<CallbackKind>)
        .transpose();
    let (Ok(status), Ok(kind)) = (status, kind) else {
        return layout::not_found(&signed, "筛选条件");
    };
    let mine = q.mine.as_deref() == Some("1");
    let query = DeskQuery {
        status,
        kind,
        mine,
        limit: Some(200),
        ..DeskQuery::default()
    };
    let loaded = async {
        let mut pooled = state.db.acquire().await?;
        let counts = summary::summary(&mut pooled.conn(), &signed.staff).await?;
        let page = desk::list(&mut pooled.conn(), &state.ctx(), &signed.staff, query).await?;
        Ok::<_, WorkflowError>((counts, page))
    }
    .await;
    let (counts, page) = match loaded {
        Ok(x) => x,
        Err(e) => return layout::failure(&e.to_string()),
    };
    let total = |f: fn(&summary::Counts) -> i64| counts.by_kind.values().map(f).sum::<i64>();
    let chosen = |v: &Option<String>, x: &str| v.as_deref() == Some(x);
    let body = html! {
        div.counts {
            div { "待办" strong data-field="open" { (total(|c| c.open)) } }
            div { "今日到期" strong data-field="due_today" { (total(|c| c.due_today)) } }
            div { "已逾期" strong data-field="overdue" { (total(|c| c.overdue)) } }
            div { "已认领" strong data-field="claimed" { (total(|c| c.claimed)) } }
            div { "待审阅" strong data-field="awaiting_review" { (total(|c| c.awaiting_review)) } }
        }
        form.card.filters method="get" action="/console/callbacks" {
            label.inline for="kind" { "类型" }
            select #kind name="kind" {
                option value="" { "全部" }
                @for k in CallbackKind::ALL { option value=(k) selected[chosen(&q.kind, k.as_str())] { (kind_zh(*k)) } }
            }
            label.inline for="status" { "状态" }
            select #status name="status" {
                option value="" { "全部" }
                @for s in CallbackStatus::ALL { option value=(s) selected[chosen(&q.status, s.as_str())] { (status_zh(*s)) } }
            }
            label.inline for="mine" { input #mine type="checkbox" name="mine" value="1" checked[mine]; " 只看我的" }
            " "
            button type="submit" { "筛选" }
            @if may(&signed.staff, "GET", "/v1/callbacks/report") {
                " " a href="/console/callbacks/report" { "回访报告与计划表" }
            }
        }
        @if page.items.is_empty() {
            p.muted { "没有符合条件的回访。" }
        } @else {
            table {
                thead { tr { th { "投资者" } th { "产品" } th { "类型" } th { "回访目的" } th { "最早" } th { "最迟" } th { "状态" } th { "负责人" } } }
                tbody {
                    @for cb in &page.items {
                        tr.overdue[late(cb)] data-callback=(cb.id) {
                            td { a href={ "/console/callbacks/" (cb.id) } { (cb.investor.name) } }
                            td { @if let Some(p) = &cb.product { (p.name) } @else { "—" } }
                            td { (kind_zh(cb.kind)) }
                            td { (purpose(cb.kind, &cb.reason)) }
                            td { (when(cb.due_from)) }
                            td { (when(cb.due_by)) }
                            td data-field="status" { (status_zh(cb.status)) }
                            td { @if let Some(a) = &cb.assignee { (a.name) } @else { "未认领" } }
                        }
                    }
                }
            }
        }
    };
    layout::respond(
        StatusCode::OK,
        layout::page(Some(&signed), SECTION, "回访工作台", body),
    )
}

async fn load(
    state: &AppState,
    signed: &Signed,
    id: &str,
) -> Result<CallbackDetail, WorkflowError> {
    let mut pooled = state.db.acquire().await?;
    desk::detail(&mut pooled.conn(), &state.ctx(), &signed.staff, id).await
}

async fn one(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Response {
    if !may(&signed.staff, "GET", "/v1/callbacks/{id}") {
        return layout::forbidden(&signed);
    }
    show(
        &state,
        &signed,
        &id,
        &Vec::new(),
        &Problems::default(),
        StatusCode::OK,
    )
    .await
}

pub(super) async fn show(
    state: &AppState,
    signed: &Signed,
    id: &str,
    fields: &Fields,
    p: &Problems,
    status: StatusCode,
) -> Response {
    let d = match load(state, signed, id).await {
        Ok(d) => d,
        Err(e) => return layout::unavailable(signed, "回访", e),
    };
    let cb = &d.callback;
    let mine = cb
        .assignee
        .as_ref()
        .is_some_and(|a| a.id == signed.staff.id);
    let reach = if mine
        && cb.status.is_workable()
        && may(&signed.staff, "GET", "/v1/callbacks/{id}/contact")
    {
        let found = async {
            let mut tx = state.db.begin().await?;
            let c = contact::contact(&mut tx.conn(), &state.ctx(), &signed.staff, id).await?;
            tx.commit().await?;
            Ok::<_, WorkflowError>(c)
        }
        .await;
        found.ok()
    } else {
        None
    };
    let title = format!("{}：{}", kind_zh(cb.kind), cb.investor.name);
    let body = html! {
        (p.banner())
        section.card {
            dl.facts {
                dt { "回访编号" } dd data-field="callback_id" { (cb.id) }
                dt { "回访目的" } dd { (purpose(cb.kind, &cb.reason)) }
                dt { "产品" } dd { @if let Some(pr) = &cb.product { (pr.name) "（" (pr.code) "）" } @else { "—" } }
                dt { "回访窗口" } dd { (when(cb.due_from)) " 至 " (when(cb.due_by)) }
                dt { "计划方式" } dd { (method_zh(&cb.planned_method)) }
                dt { "状态" } dd data-field="status" { (status_zh(cb.status)) }
                dt { "负责人" } dd data-field="assignee" { @if let Some(a) = &cb.assignee { (a.name) } @else { "未认领" } }
                dt { "未接通次数" } dd { (cb.attempts) }
                @if let Some(c) = &reach {
                    dt { "联系电话" } dd data-field="contact_phone" { (c.phone.clone().unwrap_or_default()) }
                    dt { "电子邮箱" } dd data-field="contact_email" { (c.email.clone().unwrap_or_default()) }
                } @else {
                    dt { "联系电话" } dd data-field="phone" { (cb.investor.phone.clone().unwrap_or_default()) }
                }
            }
            @if cb.status.is_workable() && cb.assignee.is_none() && may(&signed.staff, "POST", "/v1/callbacks/{id}/claim") {
                form method="post" action={ "/console/callbacks/" (cb.id) "/claim" } {
                    (form::csrf_input(signed))
                    button type="submit" { "认领此回访" }
                }
            }
        }
        @if mine && cb.status.is_workable() {
            (callback_form::outcome_form(signed, &d, fields, p))
        }
        (callback_form::records(&d))
        (super::reviews::review_form(signed, &d, fields, p))
    };
    layout::respond(status, layout::page(Some(signed), SECTION, &title, body))
}

async fn claim(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    if !may(&signed.staff, "POST", "/v1/callbacks/{id}/claim") {
        return layout::forbidden(&signed);
    }
    if let Some(refused) = form::csrf_refused(&signed, &fields) {
        return refused;
    }
    let done = async {
        let mut tx = state.db.begin().await?;
        desk::claim(&mut tx.conn(), &state.ctx(), &signed.staff, &id).await?;
        tx.commit().await?;
        Ok::<_, WorkflowError>(())
    }
    .await;
    match done {
        Ok(()) => Redirect::to(&format!("/console/callbacks/{id}")).into_response(),
        Err(e) => match form::refusal(&e) {
            Some(p) => show(&state, &signed, &id, &Vec::new(), &p, StatusCode::CONFLICT).await,
            None => layout::failure(&e.to_string()),
        },
    }
}

async fn record(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    if !may(&signed.staff, "POST", "/v1/callbacks/{id}/outcome") {
        return layout::forbidden(&signed);
    }
    if let Some(refused) = form::csrf_refused(&signed, &fields) {
        return refused;
    }
    let typed = [
        ("reached", "bool"),
        ("answers.*", "bool"),
        ("satisfaction.*", "int"),
    ];
    let mut body = form::to_json(&fields, &[], &typed);
    // Empty rows of open issues leave holes; the record takes only the issues written.
    if let Some(issues) = body.get_mut("open_issues").and_then(|v| v.as_array_mut()) {
        issues.retain(|i| !i.is_null());
    }
    let report: Report = match form::parse(body) {
        Ok(r) => r,
        Err(p) => {
            return show(
                &state,
                &signed,
                &id,
                &fields,
                &p,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let done = async {
        let mut tx = state.db.begin().await?;
        outcome::record(&mut tx.conn(), &state.ctx(), &signed.staff, &id, report).await?;
        tx.commit().await?;
        Ok::<_, WorkflowError>(())
    }
    .await;
    match done {
        Ok(()) => Redirect::to(&format!("/console/callbacks/{id}")).into_response(),
        Err(e) => match form::refusal(&e) {
            Some(p) => {
                let status = match e {
                    WorkflowError::Conflict { .. } => StatusCode::CONFLICT,
                    WorkflowError::Forbidden { .. } => StatusCode::FORBIDDEN,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                };
                show(&state, &signed, &id, &fields, &p, status).await
            }
            None => layout::failure(&e.to_string()),
        },
    }
}
