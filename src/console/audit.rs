//! The audit trail for compliance and admin: searched by entity, record, actor and time, a page
//! at a time, and verified on request (the chain end to end and the newest checkpoint kept
//! outside the database). `workflow::audit`, as the API.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;

use super::desk_reports::start_of;
use super::form;
use super::layout::{self, may, when};
use super::session::Signed;
use crate::http::AppState;
use crate::store::audit::Filter;
use crate::workflow::audit::{self, TrailStatus};
use crate::workflow::{WorkflowError, staff};

const SECTION: &str = "/console/audit";

pub fn router() -> Router<AppState> {
    Router::new().route("/console/audit", get(page))
}

#[derive(Deserialize, Default)]
pub struct Search {
    entity: Option<String>,
    entity_id: Option<String>,
    actor: Option<String>,
    from: Option<String>,
    to: Option<String>,
    after: Option<i64>,
    verify: Option<String>,
}

fn given(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

const ENTITIES: &[(&str, &str)] = &[
    ("investor", "投资者"),
    ("assessment", "风险测评"),
    ("classification", "投资者分类"),
    ("product", "产品"),
    ("order", "订单"),
    ("callback", "回访"),
    ("escalation", "合规上报"),
    ("complaint", "投诉"),
    ("ruleset", "规则版本"),
    ("staff", "人员"),
    ("token", "令牌"),
    ("session", "控制台会话"),
];

async fn page(State(state): State<AppState>, signed: Signed, Query(q): Query<Search>) -> Response {
    if !may(&signed.staff, "GET", "/v1/audit") {
        return layout::forbidden(&signed);
    }
    let filter = Filter {
        entity: given(&q.entity),
        entity_id: given(&q.entity_id),
        actor_id: given(&q.actor),
        from: start_of(q.from.as_deref()),
        to: start_of(q.to.as_deref()).map(|t| t + chrono::Duration::days(1)),
        after_seq: q.after.unwrap_or(0).max(0),
        limit: 0,
    };
    let verifying = q.verify.as_deref() == Some("1");
    let loaded = async {
        let found = {
            let mut pooled = state.db.acquire().await?;
            audit::search(&mut pooled.conn(), filter, Some(100)).await?
        };
        let names = {
            let mut pooled = state.db.acquire().await?;
            staff::names(&mut pooled.conn()).await?
        };
        let status = if verifying {
            let dir = state.config.checkpoints.as_ref().map(|(d, _)| d.as_path());
            Some(audit::verify(&state.db, dir).await?)
        } else {
            None
        };
        Ok::<_, WorkflowError>((found, names, status))
    }
    .await;
    let (found, names, status) = match loaded {
        Ok(x) => x,
        Err(e) => return layout::failed(&signed, e),
    };
    let mut staff: Vec<(&String, &String)> = names.iter().collect();
    staff.sort_by_key(|(_, n)| n.as_str());
    let keep = |name: &str, v: &Option<String>| {
        given(v).map(|v| format!("&{name}={}", form::url_encode(&v)))
    };
    let query: String = [
        keep("entity", &q.entity),
        keep("entity_id", &q.entity_id),
        keep("actor", &q.actor),
        keep("from", &q.from),
        keep("to", &q.to),
    ]
    .into_iter()
    .flatten()
    .collect();
    let body = html! {
        @if let Some(s) = &status { (verified(s)) }
        form.card.filters method="get" action=(SECTION) {
            label.inline for="entity" { "对象" }
            select #entity name="entity" {
                option value="" { "全部" }
                @for (e, zh) in ENTITIES { option value=(e) selected[given(&q.entity).as_deref() == Some(*e)] { (zh) } }
            }
            label.inline for="entity_id" { "记录编号" }
            input #entity_id type="text" name="entity_id" value=(given(&q.entity_id).unwrap_or_default());
            label.inline for="actor" { "操作人" }
            select #actor name="actor" {
                option value="" { "全部" }
                @for (id, n) in &staff { option value=(id) selected[given(&q.actor).as_deref() == Some(id.as_str())] { (n) } }
            }
            label.inline for="from" { "自" } input #from type="date" name="from" value=(given(&q.from).unwrap_or_default());
            label.inline for="to" { "至" } input #to type="date" name="to" value=(given(&q.to).unwrap_or_default());
            " " button type="submit" { "查询" }
            " " button.secondary type="submit" name="verify" value="1" { "校验审计链" }
        }
        table {
            thead { tr { th { "序号" } th { "时间" } th { "操作人" } th { "动作" } th { "对象" } th { "记录" } th { "摘要" } } }
            tbody {
                @for e in &found.items {
                    tr data-seq=(e.seq) {
                        td { (e.seq) }
                        td { (when(e.at)) }
                        td { @match &e.actor_id { Some(id) => { (names.get(id).cloned().unwrap_or_else(|| id.clone())) }, None => { "系统" } } " " span.muted { (e.actor_roles) } }
                        td { code { (e.action) } }
                        td { (e.entity) }
                        td { code { (e.entity_id) } }
                        td { code.hash title=(e.hash) { (e.digest.chars().take(12).collect::<String>()) "…" } }
                    }
                }
            }
        }
        @if found.items.is_empty() { p.muted { "没有符合条件的记录。" } }
        @if let Some(next) = found.next_after {
            p { a href={ (SECTION) "?after=" (next) (query) } { "下一页" } }
        }
    };
    layout::respond(
        StatusCode::OK,
        layout::page(Some(&signed), SECTION, "审计记录", body),
    )
}

fn verified(s: &TrailStatus) -> Markup {
    html! {
        @if s.intact {
            div.notice.ok role="status" data-field="trail" data-intact="true" {
                "审计链完整：共 " (s.entries) " 条记录。"
                @if let Some(c) = &s.checkpoint { "并延续库外检查点 " code { (c.file) } "（" (c.entries) " 条，" (when(c.at)) "）。" }
                @else { "服务未配置库外检查点目录，无法发现尾部被截断。" }
            }
        } @else {
            div.notice.bad role="alert" data-field="trail" data-intact="false" {
                "审计链校验未通过"
                @if let Some(n) = s.broken_at { "：第 " (n) " 条" }
                @if let Some(r) = &s.reason { "，" (r) }
                @if let Some(c) = &s.checkpoint { @if let Some(r) = &c.reason { "；检查点 " code { (c.file) } "：" (r) } }
                @if !s.unexplained_rows.is_empty() {
                    "；以下记录被绕过审计链直接修改："
                    ul { @for r in &s.unexplained_rows { li { code { (r) } } } }
                }
            }
        }
    }
}
