//! Complaints (投诉) for compliance: intake, the archive of a period by category with a chart,
//! and each complaint assigned and resolved (a resolution plans the follow-up callback). All
//! through `workflow::complaints`, as the API.

use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;

use super::desk_reports::{bars, start_of};
use super::form::{self, Fields, Problems};
use super::layout::{self, day, may, when};
use super::profile::{category_zh, channel_zh};
use super::session::Signed;
use crate::http::AppState;
use crate::http::complaints::{AssignRequest, ResolveComplaintRequest};
use crate::store::complaints::Complaint;
use crate::workflow::complaints::{self, CATEGORIES, CHANNELS, NewComplaint};
use crate::workflow::{WorkflowError, staff};

const SECTION: &str = "/console/complaints";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/complaints", get(archive).post(intake))
        .route("/console/complaints/{id}/assign", post(assign))
        .route("/console/complaints/{id}/resolve", post(resolve))
}

#[derive(Deserialize, Default)]
pub struct Period {
    from: Option<String>,
    to: Option<String>,
    category: Option<String>,
}

async fn archive(
    State(state): State<AppState>,
    signed: Signed,
    Query(q): Query<Period>,
) -> Response {
    let reads = may(&signed.staff, "GET", "/v1/complaints/archive");
    if !reads && !may(&signed.staff, "POST", "/v1/complaints") {
        return layout::forbidden(&signed);
    }
    show(&state, &signed, &q, None, StatusCode::OK).await
}

/// The page; `refused` is a form to show again: (which form, its fields, the problems).
async fn show(
    state: &AppState,
    signed: &Signed,
    q: &Period,
    refused: Option<(&str, &Fields, &Problems)>,
    status: StatusCode,
) -> Response {
    // Sales and planners take complaints but do not read the archive: the form alone.
    if !may(&signed.staff, "GET", "/v1/complaints/archive") {
        let (fields, p) = match refused {
            Some((_, f, p)) => (f, Some(p)),
            None => (&Fields::new(), None),
        };
        let body = html! { @if let Some(p) = p { (p.banner()) } (intake_form(signed, fields, p)) };
        return layout::respond(
            status,
            layout::page(Some(signed), SECTION, "登记投诉", body),
        );
    }
    let category = q.category.as_deref().filter(|c| !c.is_empty());
    // The end day is inclusive on the page: the archive's `to` is the start of the next day.
    let to = start_of(q.to.as_deref()).map(|t| t + chrono::Duration::days(1));
    let loaded = async {
        let mut pooled = state.db.acquire().await?;
        let a = complaints::archive(
            &mut pooled.conn(),
            start_of(q.from.as_deref()),
            to,
            category,
        )
        .await?;
        let names = staff::names(&mut pooled.conn()).await?;
        Ok::<_, WorkflowError>((a, names))
    }
    .await;
    let (a, names) = match loaded {
        Ok(x) => x,
        Err(e) => match form::refusal(&e) {
            Some(p) => {
                let body = html! { (p.banner()) p { a href=(SECTION) { "返回" } } };
                return layout::respond(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    layout::page(Some(signed), SECTION, "投诉", body),
                );
            }
            None => return layout::failure(&e.to_string()),
        },
    };
    let rows: Vec<(String, usize)> = a
        .by_category
        .iter()
        .map(|(k, n)| (category_zh(k).to_string(), *n))
        .collect();
    let compliance = names.iter().collect::<Vec<_>>();
    let none = Fields::new();
    let form_of = |which: &str| match refused {
        Some((w, f, p)) if w == which => (f, Some(p)),
        _ => (&none, None),
    };
    let body = html! {
        @if let Some((_, _, p)) = refused { (p.banner()) }
        form.card.filters method="get" action=(SECTION) {
            label.inline for="from" { "自" } input #from type="date" name="from" value=(day(a.from));
            label.inline for="to" { "至" } input #to type="date" name="to" value=(day(a.to - chrono::Duration::seconds(1)));
            label.inline for="category" { "类别" }
            select #category name="category" {
                option value="" { "全部" }
                @for c in CATEGORIES { option value=(c) selected[category == Some(*c)] { (category_zh(c)) } }
            }
            " " button type="submit" { "查询" }
        }
        div.counts {
            div { "投诉总数" strong data-field="total" { (a.total) } }
            div { "未办结" strong data-field="open" { (a.open) } }
        }
        @if !rows.is_empty() { (bars("按类别", &rows)) }
        @for k in &a.items { (complaint(signed, k, &compliance, form_of(&k.id))) }
        @let (fields, p) = form_of("new");
        (intake_form(signed, fields, p))
    };
    layout::respond(status, layout::page(Some(signed), SECTION, "投诉", body))
}

fn complaint(
    signed: &Signed,
    k: &Complaint,
    staff: &[(&String, &String)],
    (fields, p): (&Fields, Option<&Problems>),
) -> Markup {
    let name = |id: &Option<String>| {
        id.as_ref()
            .and_then(|id| staff.iter().find(|(sid, _)| *sid == id))
            .map_or("—".to_string(), |(_, n)| n.to_string())
    };
    let none = Problems::default();
    let p = p.unwrap_or(&none);
    html! {
        section.card data-complaint=(k.id) {
            h2 { (category_zh(&k.category)) " · " (channel_zh(&k.channel)) " · " (when(k.received_at))
                " " @if k.resolved_at.is_some() { span.badge.ok data-field="state" { "已办结" } } @else { span.badge.bad data-field="state" { "处理中" } } }
            p.quote { (k.content) }
            dl.facts {
                dt { "投资者" } dd { a href={ "/console/investors/" (k.investor_id) "/archive" } { "客户档案" } }
                @if let Some(o) = &k.order_id { dt { "订单" } dd { a href={ "/console/orders/" (o) "/evidence" } { "销售证据" } } }
                dt { "经办人" } dd data-field="assignee" { (name(&k.assignee_id)) }
                @if let Some(r) = &k.resolution { dt { "处理结果" } dd data-field="resolution" { (r) } }
            }
            @if k.resolved_at.is_none() {
                @if may(&signed.staff, "POST", "/v1/complaints/{id}/assign") {
                    form.inline method="post" action={ "/console/complaints/" (k.id) "/assign" } {
                        (form::csrf_input(signed))
                        label.inline for={ "assignee-" (k.id) } { "指派给" }
                        select #{ "assignee-" (k.id) } name="assignee_id" {
                            @for (id, n) in staff { option value=(id) selected[k.assignee_id.as_ref() == Some(*id)] { (n) } }
                        }
                        " " button type="submit" { "指派" }
                        (p.at("assignee_id"))
                    }
                }
                @if may(&signed.staff, "POST", "/v1/complaints/{id}/resolve") {
                    form method="post" action={ "/console/complaints/" (k.id) "/resolve" } {
                        (form::csrf_input(signed))
                        label for={ "resolution-" (k.id) } { "处理结果（办结后 7 个工作日内安排回访）" }
                        textarea #{ "resolution-" (k.id) } name="resolution" maxlength=(complaints::MAX_TEXT) { (form::value(fields, "resolution").unwrap_or("")) }
                        (p.at("resolution"))
                        p { button type="submit" { "办结" } }
                    }
                }
            }
        }
    }
}

fn intake_form(signed: &Signed, fields: &Fields, p: Option<&Problems>) -> Markup {
    if !may(&signed.staff, "POST", "/v1/complaints") {
        return html! {};
    }
    let none = Problems::default();
    let p = p.unwrap_or(&none);
    let v = |n: &str| form::value(fields, n).unwrap_or("").to_string();
    html! {
        form.card method="post" action=(SECTION) {
            h2 { "登记投诉" }
            (form::csrf_input(signed))
            label for="investor_id" { "投资者编号" }
            input #investor_id type="text" name="investor_id" required value=(v("investor_id"));
            (p.at("investor_id"))
            label for="order_id" { "订单编号（如涉及）" }
            input #order_id type="text" name="order_id" value=(v("order_id"));
            (p.at("order_id"))
            label for="channel" { "渠道" }
            select #channel name="channel" { @for c in CHANNELS { option value=(c) selected[v("channel") == *c] { (channel_zh(c)) } } }
            label for="new-category" { "类别" }
            select #new-category name="category" { @for c in CATEGORIES { option value=(c) selected[v("category") == *c] { (category_zh(c)) } } }
            label for="received_at" { "收到时间" }
            input #received_at type="datetime-local" name="received_at" required value=(v("received_at"));
            (p.at("received_at"))
            label for="content" { "投诉内容" }
            textarea #content name="content" required maxlength=(complaints::MAX_TEXT) { (v("content")) }
            (p.at("content"))
            p { button type="submit" { "登记" } }
        }
    }
}

/// A `datetime-local` value (Beijing time, no zone) as RFC 3339, as the API's field expects.
fn received_at(fields: &mut Fields) {
    for (k, v) in fields.iter_mut() {
        if k == "received_at"
            && let Some(t) = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
                .iter()
                .find_map(|f| chrono::NaiveDateTime::parse_from_str(v.trim(), f).ok())
            && let Some(t) = t
                .and_local_timezone(crate::config::business_offset())
                .single()
        {
            *v = t.to_rfc3339();
        }
    }
}

async fn intake(
    State(state): State<AppState>,
    signed: Signed,
    Form(mut fields): Form<Fields>,
) -> Response {
    if !may(&signed.staff, "POST", "/v1/complaints") {
        return layout::forbidden(&signed);
    }
    if let Some(refused) = form::csrf_refused(&signed, &fields) {
        return refused;
    }
    let shown = fields.clone();
    received_at(&mut fields);
    let done = match form::parse::<NewComplaint>(form::to_json(&fields, &[], &[])) {
        Err(p) => Err(p),
        Ok(new) => async {
            let mut tx = state.db.begin().await?;
            complaints::record(&mut tx.conn(), &state.ctx(), &signed.staff, new).await?;
            tx.commit().await?;
            Ok::<_, WorkflowError>(())
        }
        .await
        .map_err(problems),
    };
    after(&state, &signed, "new", &shown, done).await
}

/// A step on one complaint, as the API's body names it.
enum Step {
    Assign,
    Resolve,
}

async fn assign(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    if !may(&signed.staff, "POST", "/v1/complaints/{id}/assign") {
        return layout::forbidden(&signed);
    }
    if let Some(refused) = form::csrf_refused(&signed, &fields) {
        return refused;
    }
    let done = step(&state, &signed, &id, &fields, Step::Assign).await;
    after(&state, &signed, &id, &fields, done).await
}

async fn resolve(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    if !may(&signed.staff, "POST", "/v1/complaints/{id}/resolve") {
        return layout::forbidden(&signed);
    }
    if let Some(refused) = form::csrf_refused(&signed, &fields) {
        return refused;
    }
    let done = step(&state, &signed, &id, &fields, Step::Resolve).await;
    after(&state, &signed, &id, &fields, done).await
}

/// Parses the step's body as the API does and takes it in one transaction.
async fn step(
    state: &AppState,
    signed: &Signed,
    id: &str,
    fields: &Fields,
    step: Step,
) -> Result<(), Problems> {
    let body = form::to_json(fields, &[], &[]);
    let (ctx, actor) = (state.ctx(), &signed.staff);
    let mut tx = state.db.begin().await.map_err(|e| problems(e.into()))?;
    let done = match step {
        Step::Assign => {
            let req: AssignRequest = form::parse(body)?;
            complaints::assign(&mut tx.conn(), &ctx, actor, id, &req.assignee_id)
                .await
                .map(|_| ())
        }
        Step::Resolve => {
            let req: ResolveComplaintRequest = form::parse(body)?;
            complaints::resolve(&mut tx.conn(), &ctx, actor, id, &req.resolution)
                .await
                .map(|_| ())
        }
    };
    done.map_err(problems)?;
    tx.commit().await.map_err(|e| problems(e.into()))
}

/// A refusal as the page shows it; a failure logged and told in general terms.
fn problems(e: WorkflowError) -> Problems {
    form::refusal(&e).unwrap_or_else(|| {
        tracing::error!(cause = %e, "complaint form failed");
        Problems::notice("系统暂时无法完成操作，请稍后重试。")
    })
}

/// Back to the archive after a change, or the archive with the refused form shown again.
async fn after(
    state: &AppState,
    signed: &Signed,
    which: &str,
    fields: &Fields,
    done: Result<(), Problems>,
) -> Response {
    match done {
        Ok(()) => Redirect::to(SECTION).into_response(),
        Err(p) => {
            let period = Period::default();
            let refused = Some((which, fields, &p));
            show(
                state,
                signed,
                &period,
                refused,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}
