//! Compliance's inbox of escalations (failed checks, unreachable investors, overdue callbacks):
//! filtered by reason and state, each open one resolved with a note (`workflow::escalations`).

use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::html;
use serde::Deserialize;

use super::form::{self, Fields, Problems};
use super::layout::{self, may, when};
use super::session::Signed;
use crate::domain::state::EscalationReason;
use crate::http::AppState;
use crate::workflow::{WorkflowError, escalations};

const SECTION: &str = "/console/escalations";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/escalations", get(inbox))
        .route("/console/escalations/{id}/resolve", post(resolve))
}

#[derive(Deserialize, Default)]
pub struct Filter {
    reason: Option<String>,
    all: Option<String>,
}

pub fn reason_zh(r: EscalationReason) -> &'static str {
    match r {
        EscalationReason::FailedChecks => "回访未通过",
        EscalationReason::Unreachable => "多次无法联系",
        EscalationReason::Overdue => "回访逾期",
    }
}

async fn inbox(State(state): State<AppState>, signed: Signed, Query(f): Query<Filter>) -> Response {
    if !may(&signed.staff, "GET", "/v1/escalations") {
        return layout::forbidden(&signed);
    }
    show(&state, &signed, &f, None, StatusCode::OK).await
}

async fn show(
    state: &AppState,
    signed: &Signed,
    f: &Filter,
    refused: Option<(&str, &Problems, &str)>,
    status: StatusCode,
) -> Response {
    let reason = match f.reason.as_deref().filter(|r| !r.is_empty()) {
        Some(r) => match r.parse::<EscalationReason>() {
            Ok(r) => Some(r),
            Err(_) => return layout::not_found(signed, "筛选条件"),
        },
        None => None,
    };
    let all = f.all.as_deref() == Some("1");
    let loaded = async {
        let mut pooled = state.db.acquire().await?;
        escalations::inbox(&mut pooled.conn(), &state.vault, all, reason).await
    }
    .await;
    let lines = match loaded {
        Ok(x) => x,
        Err(e) => return layout::failure(&e.to_string()),
    };
    let can_resolve = may(&signed.staff, "POST", "/v1/escalations/{id}/resolve");
    let body = html! {
        @if let Some((_, p, _)) = refused { (p.banner()) }
        form.card.filters method="get" action="/console/escalations" {
            label.inline for="reason" { "原因" }
            select #reason name="reason" {
                option value="" { "全部" }
                @for r in EscalationReason::ALL {
                    option value=(r) selected[reason == Some(*r)] { (reason_zh(*r)) }
                }
            }
            label.inline for="all" { input #all type="checkbox" name="all" value="1" checked[all]; " 包含已处理" }
            " " button type="submit" { "筛选" }
        }
        p data-field="count" { "共 " (lines.len()) " 条" }
        @for l in &lines {
            @let e = &l.escalation;
            section.card data-escalation=(e.id) {
                h2 { (l.investor_name) " · " (reason_zh(e.reason))
                    " " @if e.resolved_at.is_some() { span.badge.ok data-field="state" { "已处理" } } @else { span.badge.bad data-field="state" { "待处理" } } }
                dl.facts {
                    dt { "上报时间" } dd { (when(e.opened_at)) }
                    dt { "回访" } dd { a href={ "/console/callbacks/" (e.callback_id) } { "查看回访记录" } }
                    @if let Some(o) = &e.order_id {
                        dt { "订单" } dd { a href={ "/console/orders/" (o) "/evidence" } { "查看销售证据" } }
                    }
                    dt { "投资者" } dd { a href={ "/console/investors/" (e.investor_id) "/archive" } { "客户档案" } }
                    @if !e.failed_checks.0.is_empty() {
                        dt { "未通过的检查" } dd { (e.failed_checks.0.join("、")) }
                    }
                    @if let Some(i) = &e.instruction { dt { "处理期间" } dd { (i) } }
                    @if let Some(t) = e.resolved_at {
                        dt { "处理时间" } dd { (when(t)) }
                        dt { "处理意见" } dd data-field="resolution_note" { (e.resolution_note.clone().unwrap_or_default()) }
                    }
                }
                @if e.resolved_at.is_none() && can_resolve {
                    @let id = format!("note-{}", e.id);
                    @let mine = refused.filter(|(rid, _, _)| *rid == e.id);
                    form method="post" action={ "/console/escalations/" (e.id) "/resolve" } {
                        (form::csrf_input(signed))
                        label for=(id) { "处理意见" }
                        textarea #(id) name="note" maxlength=(escalations::MAX_NOTE) { @if let Some((_, _, note)) = mine { (note) } }
                        @if let Some((_, p, _)) = mine { (p.at("note")) }
                        p { button type="submit" { "标记为已处理" } }
                    }
                }
            }
        }
    };
    layout::respond(
        status,
        layout::page(Some(signed), SECTION, "合规上报", body),
    )
}

async fn resolve(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    if !may(&signed.staff, "POST", "/v1/escalations/{id}/resolve") {
        return layout::forbidden(&signed);
    }
    if let Some(refused) = form::csrf_refused(&signed, &fields) {
        return refused;
    }
    let note = form::value(&fields, "note").unwrap_or("");
    let done = async {
        let mut tx = state.db.begin().await?;
        escalations::resolve(&mut tx.conn(), &signed.staff, &id, note).await?;
        tx.commit().await?;
        Ok::<_, WorkflowError>(())
    }
    .await;
    match done {
        Ok(()) => Redirect::to("/console/escalations").into_response(),
        Err(e) => match form::refusal(&e) {
            Some(p) => {
                let status = match e {
                    WorkflowError::Conflict { .. } => StatusCode::CONFLICT,
                    WorkflowError::NotFound(_) => StatusCode::NOT_FOUND,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                };
                show(
                    &state,
                    &signed,
                    &Filter::default(),
                    Some((&id, &p, note)),
                    status,
                )
                .await
            }
            None => layout::failure(&e.to_string()),
        },
    }
}
