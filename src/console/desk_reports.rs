//! The planners' documents in the browser: the callback plan (回访计划表) downloaded as CSV or
//! XLSX, and the report (回访报告) of a period with a chart of outcomes by kind and method drawn on
//! the server as SVG. Both come from `workflow::callbacks::exports`, as the API's do.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::form;
use super::layout::{self, day, may};
use super::session::Signed;
use crate::callbacks::export::method_zh;
use crate::config::business_offset;
use crate::http::AppState;
use crate::workflow::callbacks::exports;

const SECTION: &str = "/console/callbacks";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/callbacks/plan", get(plan))
        .route("/console/callbacks/report", get(report))
}

#[derive(Deserialize)]
pub struct Period {
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

/// A YYYY-MM-DD date as the start of that day in Beijing; an empty or bad value is none.
pub fn start_of(d: Option<&str>) -> Option<DateTime<Utc>> {
    let d = NaiveDate::parse_from_str(d?.trim(), "%Y-%m-%d").ok()?;
    let t = business_offset()
        .from_local_datetime(&d.and_hms_opt(0, 0, 0)?)
        .single()?;
    Some(t.with_timezone(&Utc))
}

async fn plan(State(state): State<AppState>, signed: Signed, Query(p): Query<Period>) -> Response {
    if !may(&signed.staff, "GET", "/v1/callbacks/plan") {
        return layout::forbidden(&signed);
    }
    let made = async {
        let mut pooled = state.db.acquire().await?;
        let (from, to) = (start_of(p.from.as_deref()), start_of(p.to.as_deref()));
        exports::plan(
            &mut pooled.conn(),
            &signed.staff,
            from,
            to,
            p.format.as_deref(),
        )
        .await
    }
    .await;
    match made {
        Ok(file) => {
            let name = format!("attachment; filename=\"callback-plan.{}\"", file.extension);
            (
                [
                    (CONTENT_TYPE, file.content_type.to_string()),
                    (CONTENT_DISPOSITION, name),
                ],
                file.bytes,
            )
                .into_response()
        }
        Err(e) => match form::refusal(&e) {
            Some(problems) => {
                let body = problems.banner();
                layout::respond(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    layout::page(Some(&signed), SECTION, "回访计划表", body),
                )
            }
            None => layout::failure(&e.to_string()),
        },
    }
}

/// Horizontal bars, one per (label, count), drawn as SVG with the counts written beside them.
pub fn bars(title: &str, rows: &[(String, usize)]) -> Markup {
    let max = rows.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let height = 28 * rows.len() + 8;
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"{}\" viewBox=\"0 0 520 {height}\" width=\"520\" height=\"{height}\" xmlns=\"http://www.w3.org/2000/svg\">",
        maud::html! { (title) }.into_string()
    );
    for (i, (label, n)) in rows.iter().enumerate() {
        let y = 4 + 28 * i;
        let w = 300 * n / max;
        let label = maud::html! { (label) }.into_string();
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{}\" font-size=\"13\">{label}</text><rect x=\"130\" y=\"{y}\" width=\"{w}\" height=\"20\" fill=\"#1f5fa8\"></rect><text x=\"{}\" y=\"{}\" font-size=\"13\">{n}</text>",
            y + 15,
            136 + w,
            y + 15
        ));
    }
    svg.push_str("</svg>");
    html! { figure { figcaption { (title) } (PreEscaped(svg)) } }
}

fn zh(rows: &BTreeMap<String, usize>, name: fn(&str) -> &str) -> Vec<(String, usize)> {
    rows.iter()
        .map(|(k, n)| (name(k).to_string(), *n))
        .collect()
}

fn kind_name(k: &str) -> &str {
    match k {
        "confirmation" => "确认回访",
        "periodic" => "定期回访",
        "special" => "特定回访",
        other => other,
    }
}

fn result_name(r: &str) -> &str {
    match r {
        "completed" => "确认无误",
        "failed" => "存在异议",
        "not_reached" => "未接通",
        other => other,
    }
}

async fn report(
    State(state): State<AppState>,
    signed: Signed,
    Query(p): Query<Period>,
) -> Response {
    if !may(&signed.staff, "GET", "/v1/callbacks/report") {
        return layout::forbidden(&signed);
    }
    let made = async {
        let mut pooled = state.db.acquire().await?;
        let to = start_of(p.to.as_deref()).map(|t| t + chrono::Duration::days(1));
        exports::report(
            &mut pooled.conn(),
            &signed.staff,
            start_of(p.from.as_deref()),
            to,
        )
        .await
    }
    .await;
    let (r, problems) = match made {
        Ok(r) => (Some(r), form::Problems::default()),
        Err(e) => match form::refusal(&e) {
            Some(problems) => (None, problems),
            None => return layout::failure(&e.to_string()),
        },
    };
    let body = html! {
        (problems.banner())
        form.card.filters method="get" action="/console/callbacks/report" {
            label.inline for="from" { "起" } input #from type="date" name="from" value=(p.from.clone().unwrap_or_default());
            label.inline for="to" { "止" } input #to type="date" name="to" value=(p.to.clone().unwrap_or_default());
            " " button type="submit" { "生成报告" }
            " " a href="/console/callbacks/plan?format=xlsx" { "下载回访计划表（XLSX）" }
            " · " a href="/console/callbacks/plan?format=csv" { "CSV" }
        }
        @if let Some(r) = &r {
            section.card {
                dl.facts {
                    dt { "期间" } dd { (day(r.from)) " 至 " (day(r.to)) }
                    dt { "回访记录" } dd data-field="outcomes" { (r.outcomes) }
                    dt { "上报合规" } dd data-field="escalations_opened" { (r.escalations_opened) }
                    @if let Some(s) = &r.satisfaction {
                        dt { "满意度（" (s.rated) " 份）" } dd data-field="satisfaction" { "服务态度 " (s.service) "，响应速度 " (s.responsiveness) "，整体 " (s.overall) }
                    }
                    dt { "遗留问题" } dd { (r.open_issues_raised) "（未关闭 " (r.open_issues_still_open) "）" }
                }
            }
            (bars("回访结果（按类型）", &zh(&r.by_kind, kind_name)))
            (bars("回访结果（按方式）", &zh(&r.by_method, method_zh)))
            (bars("回访结果", &zh(&r.by_result, result_name)))
            @if !r.opinions.is_empty() {
                h2 { "客户主要意见" }
                ul { @for o in &r.opinions { li { (o.text) } } }
            }
        }
    };
    layout::respond(
        StatusCode::OK,
        layout::page(Some(&signed), SECTION, "回访报告", body),
    )
}
