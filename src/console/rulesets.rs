//! Rule sets for risk staff: every version with its status, author and note; one version's files
//! and its diff against the active one; the impact preview over every holding; activation by a
//! second risk officer (the author sees why the button is disabled) and rollback, which is the
//! activation of a retired version. All through `workflow::rulesets`, as the API.

use std::collections::HashMap;

use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};

use super::diff;
use super::form::{self, Fields, Problems};
use super::layout::{self, may, when};
use super::session::Signed;
use crate::batch::ImpactReport;
use crate::domain::state::RuleSetStatus;
use crate::http::AppState;
use crate::workflow::rulesets::{self, RuleSetDetail, RuleSetSummary};
use crate::workflow::{WorkflowError, staff};

pub const SECTION: &str = "/console/rulesets";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/rulesets", get(list))
        .route("/console/rulesets/{version}", get(one))
        .route("/console/rulesets/{version}/impact", get(impact))
        .route("/console/rulesets/{version}/activate", post(activate))
}

pub fn status_zh(s: RuleSetStatus) -> Markup {
    match s {
        RuleSetStatus::Draft => html! { span.badge.warn data-status="draft" { "草稿" } },
        RuleSetStatus::Active => html! { span.badge.ok data-status="active" { "生效中" } },
        RuleSetStatus::Retired => html! { span.badge data-status="retired" { "已停用" } },
    }
}

fn author(names: &HashMap<String, String>, s: &RuleSetSummary) -> String {
    match &s.author_id {
        Some(id) => names.get(id).cloned().unwrap_or_else(|| id.clone()),
        None => "系统（随程序发布）".into(),
    }
}

async fn list(State(state): State<AppState>, signed: Signed) -> Response {
    if !may(&signed.staff, "GET", "/v1/rulesets") {
        return layout::forbidden(&signed);
    }
    let loaded = async {
        let mut pooled = state.db.acquire().await?;
        let items = rulesets::list(&mut pooled.conn()).await?;
        let names = staff::names(&mut pooled.conn()).await?;
        Ok::<_, WorkflowError>((items, names))
    }
    .await;
    let (items, names) = match loaded {
        Ok(x) => x,
        Err(e) => return layout::failure(&e.to_string()),
    };
    let body = html! {
        @if may(&signed.staff, "POST", "/v1/rulesets") {
            p { a.button href="/console/rulesets/new" { "基于生效版本新建草稿" } }
        }
        table {
            thead { tr { th { "版本" } th { "状态" } th { "作者" } th { "说明" } th { "上传" } th { "生效" } th { "停用" } } }
            tbody {
                @for r in &items {
                    tr data-version=(r.version) {
                        td { a href={ "/console/rulesets/" (r.version) } { "v" (r.version) } }
                        td { (status_zh(r.status)) }
                        td { (author(&names, r)) }
                        td { (r.note) }
                        td { (when(r.created_at)) }
                        td { @if let Some(t) = r.activated_at { (when(t)) } @else { "—" } }
                        td { @if let Some(t) = r.retired_at { (when(t)) } @else { "—" } }
                    }
                }
            }
        }
    };
    layout::respond(
        StatusCode::OK,
        layout::page(Some(&signed), SECTION, "规则版本", body),
    )
}

/// The version and the active one (None when the version is the active one).
async fn load_pair(
    state: &AppState,
    version: &str,
) -> Result<
    (
        RuleSetDetail,
        Option<RuleSetDetail>,
        HashMap<String, String>,
    ),
    WorkflowError,
> {
    let version = rulesets::parse_version(version)?;
    let mut pooled = state.db.acquire().await?;
    let this = rulesets::detail(rulesets::load(&mut pooled.conn(), version).await?);
    let active = rulesets::detail(rulesets::active(&mut pooled.conn()).await?);
    let names = staff::names(&mut pooled.conn()).await?;
    let active = (active.summary.version != this.summary.version).then_some(active);
    Ok((this, active, names))
}

async fn one(State(state): State<AppState>, signed: Signed, Path(v): Path<String>) -> Response {
    if !may(&signed.staff, "GET", "/v1/rulesets/{version}") {
        return layout::forbidden(&signed);
    }
    show(&state, &signed, &v, &Problems::default(), StatusCode::OK).await
}

async fn show(
    state: &AppState,
    signed: &Signed,
    v: &str,
    p: &Problems,
    status: StatusCode,
) -> Response {
    let (this, active, names) = match load_pair(state, v).await {
        Ok(x) => x,
        Err(e) => return layout::unavailable(signed, "规则版本", e),
    };
    let s = &this.summary;
    let body = html! {
        (p.banner())
        section.card {
            dl.facts {
                dt { "状态" } dd data-field="status" { (status_zh(s.status)) }
                dt { "作者" } dd data-field="author" { (author(&names, s)) }
                dt { "说明" } dd { (s.note) }
                dt { "上传时间" } dd { (when(s.created_at)) }
                @if let Some(t) = s.activated_at { dt { "生效时间" } dd { (when(t)) } }
                @if let Some(t) = s.retired_at { dt { "停用时间" } dd { (when(t)) } }
            }
            p {
                @if s.status != RuleSetStatus::Active {
                    a href={ "/console/rulesets/" (s.version) "/impact" } { "预览对存量持仓的影响" } " · "
                }
                @if may(&signed.staff, "POST", "/v1/rulesets") {
                    a href={ "/console/rulesets/new?from=" (s.version) } { "以此版本为基础编辑" }
                }
            }
            (activation(signed, s))
        }
        @if let Some(active) = &active {
            h2 { "与生效版本 v" (active.summary.version) " 的差异" }
            (changes(&active.files, &this.files))
        }
        h2 { "文件" }
        @for (path, text) in &this.files {
            details.file data-file=(path) {
                summary { code { (path) } " · " (text.lines().count()) " 行" }
                pre.code { @for (n, line) in text.lines().enumerate() { span.ln { (n + 1) } (line) "\n" } }
            }
        }
    };
    let title = format!("规则版本 v{}", s.version);
    layout::respond(status, layout::page(Some(signed), SECTION, &title, body))
}

/// Every file that differs, added or removed, with its line diff.
fn changes(
    active: &std::collections::BTreeMap<String, String>,
    this: &std::collections::BTreeMap<String, String>,
) -> Markup {
    let mut paths: Vec<&String> = active.keys().chain(this.keys()).collect();
    paths.sort();
    paths.dedup();
    let changed: Vec<&String> = paths
        .into_iter()
        .filter(|p| active.get(*p) != this.get(*p))
        .collect();
    html! {
        @if changed.is_empty() {
            p.muted data-field="diff" { "与生效版本完全相同。" }
        }
        @for path in changed {
            section.card data-diff=(path) {
                h3 { code { (path) }
                    @match (active.get(path), this.get(path)) {
                        (None, _) => { " （新增文件）" },
                        (_, None) => { " （已删除）" },
                        _ => {},
                    }
                }
                (diff::render(active.get(path).map_or("", |s| s), this.get(path).map_or("", |s| s)))
            }
        }
    }
}

/// The activation form: for a draft, activation; for a retired version, rollback; the author
/// sees a disabled button and why (four eyes).
fn activation(signed: &Signed, s: &RuleSetSummary) -> Markup {
    if s.status == RuleSetStatus::Active
        || !may(&signed.staff, "POST", "/v1/rulesets/{version}/activate")
    {
        return html! {};
    }
    let label = if s.status == RuleSetStatus::Retired {
        "回滚到此版本"
    } else {
        "激活此版本"
    };
    let own = s.author_id.as_deref() == Some(signed.staff.id.as_str());
    html! {
        form.activate method="post" action={ "/console/rulesets/" (s.version) "/activate" } {
            (form::csrf_input(signed))
            @if own {
                button type="submit" disabled aria-describedby="four-eyes" { (label) }
                p #four-eyes .muted { "您是此版本的作者。按照双人复核要求，须由另一位风险管理人员激活。" }
            } @else {
                button type="submit" { (label) }
                p.muted { "激活后立即对新的适当性检查生效，原生效版本停用，存量持仓在后台重新评估。" }
            }
        }
    }
}

async fn impact(State(state): State<AppState>, signed: Signed, Path(v): Path<String>) -> Response {
    if !may(&signed.staff, "POST", "/v1/rulesets/{version}/impact") {
        return layout::forbidden(&signed);
    }
    let found = async {
        let version = rulesets::parse_version(&v)?;
        let summary = {
            let mut pooled = state.db.acquire().await?;
            rulesets::summary(&rulesets::load(&mut pooled.conn(), version).await?)
        };
        let report =
            rulesets::impact(&state.db, &state.rules, &state.config.policy, version).await?;
        Ok::<_, WorkflowError>((summary, report))
    }
    .await;
    let (summary, report) = match found {
        Ok(x) => x,
        Err(e) => return layout::unavailable(&signed, "规则版本", e),
    };
    let body = html! {
        p { a href={ "/console/rulesets/" (summary.version) } { "返回版本 v" (summary.version) } }
        (impact_report(&report))
        section.card { (activation(&signed, &summary)) }
    };
    let title = format!("v{} 的影响预览", summary.version);
    layout::respond(
        StatusCode::OK,
        layout::page(Some(&signed), SECTION, &title, body),
    )
}

fn impact_report(r: &ImpactReport) -> Markup {
    html! {
        p { "以 v" (r.draft_version) " 替换生效版本 v" (r.active_version) "，逐一重新评估 "
            strong data-field="holdings" { (r.holdings) } " 笔存量持仓（用时 " (r.elapsed_ms) " 毫秒）。" }
        div.counts {
            div { "有变化" strong data-field="changed_any" { (r.changed.any) } }
            div { "结论变化" strong data-field="changed_verdict" { (r.changed.verdict) } }
            div { "定期回访频率变化" strong data-field="changed_periodic" { (r.changed.periodic) } }
            div { "检查项变化" strong data-field="changed_checks" { (r.changed.checks) } }
            div { "特定回访变化" strong data-field="changed_special_callbacks" { (r.changed.special_callbacks) } }
        }
        @if r.errors > 0 {
            div.notice.bad role="alert" data-field="errors" {
                "有 " (r.errors) " 笔持仓在评估时规则出错"
                @if r.stopped { "（已提前停止）" }
                @if let Some(e) = &r.first_error { "：" code { (e.file) @if let Some(l) = e.line { ":" (l) } } " " (e.message) }
            }
        }
        @if !r.verdict_moves.is_empty() {
            h2 { "结论变化" }
            table { thead { tr { th { "由 → 至" } th { "笔数" } } }
                tbody { @for (mv, n) in &r.verdict_moves { tr { td { (mv) } td { (n) } } } } }
        }
        @if !r.examples.is_empty() {
            h2 { "示例（最多 20 笔）" }
            table {
                thead { tr { th { "订单" } th { "投资者" } th { "变化" } th { "生效版本" } th { "新版本" } } }
                tbody {
                    @for e in &r.examples {
                        tr data-order=(e.order_id) {
                            td { code { (e.order_id) } }
                            td { a href={ "/console/investors/" (e.investor_id) } { "查看" } }
                            td { (e.changes.join("、")) }
                            td { (e.active.verdict) @if let Some(p) = &e.active.periodic { " · " (p) } }
                            td { (e.draft.verdict) @if let Some(p) = &e.draft.periodic { " · " (p) } }
                        }
                    }
                }
            }
        }
    }
}

async fn activate(
    State(state): State<AppState>,
    signed: Signed,
    Path(v): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    if !may(&signed.staff, "POST", "/v1/rulesets/{version}/activate") {
        return layout::forbidden(&signed);
    }
    if let Some(refused) = form::csrf_refused(&signed, &fields) {
        return refused;
    }
    let done = async {
        let version = rulesets::parse_version(&v)?;
        let (activated, job) = rulesets::activate(
            &state.db,
            &state.rules,
            &state.config.policy,
            &signed.staff,
            version,
        )
        .await?;
        tokio::spawn(job.run(state.db.clone()));
        Ok::<_, WorkflowError>(activated.version)
    }
    .await;
    match done {
        Ok(version) => Redirect::to(&format!("/console/rulesets/{version}")).into_response(),
        Err(e) => match form::refusal(&e) {
            Some(p) => show(&state, &signed, &v, &p, StatusCode::CONFLICT).await,
            None => layout::failure(&e.to_string()),
        },
    }
}
