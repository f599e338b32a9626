//! The self-check report (适当性自查报告) as a page with charts, and as the XLSX workbook the API
//! gives (`workflow::self_check`): a period chosen by day in Beijing time, half a year by default.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::html;
use serde::Deserialize;

use super::desk_reports::{bars, start_of};
use super::form;
use super::layout::{self, day, may};
use super::profile::category_zh;
use super::session::Signed;
use crate::http::AppState;
use crate::http::reports::XLSX;
use crate::workflow::self_check::{self, SelfCheck};

const SECTION: &str = "/console/reports/self-check";
const API: &str = "/v1/reports/self-check";

pub fn router() -> Router<AppState> {
    Router::new().route(SECTION, get(page))
}

#[derive(Deserialize, Default)]
pub struct Period {
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

fn zh(m: &BTreeMap<String, i64>, name: impl Fn(&str) -> String) -> Vec<(String, usize)> {
    m.iter()
        .map(|(k, n)| (name(k), (*n).max(0) as usize))
        .collect()
}

fn plain(k: &str) -> String {
    match k {
        "none" => "未测评".into(),
        "expired" => "测评已过期".into(),
        "ordinary" => "普通投资者".into(),
        "professional" => "专业投资者".into(),
        "match" => "匹配".into(),
        "mismatch" => "不匹配".into(),
        "reject" => "拒绝".into(),
        "open" => "待回访".into(),
        "completed" => "已完成".into(),
        "failed" => "未通过".into(),
        "escalated" => "已上报".into(),
        "overdue" => "逾期".into(),
        "cancelled" => "已取消".into(),
        "not_reached" => "未接通".into(),
        "failed_checks" => "回访未通过".into(),
        "unreachable" => "多次无法联系".into(),
        other => other.to_string(),
    }
}

async fn page(State(state): State<AppState>, signed: Signed, Query(q): Query<Period>) -> Response {
    if !may(&signed.staff, "GET", API) {
        return layout::forbidden(&signed);
    }
    let to = start_of(q.to.as_deref()).map(|t| t + chrono::Duration::days(1));
    let made = async {
        let mut pooled = state.db.acquire().await?;
        self_check::report(&mut pooled.conn(), start_of(q.from.as_deref()), to).await
    }
    .await;
    let r = match made {
        Ok(r) => r,
        Err(e) => {
            return form::or_again(e, |p| {
                let body = html! { (p.banner()) p { a href=(SECTION) { "返回" } } };
                layout::respond(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    layout::page(Some(&signed), SECTION, "适当性自查报告", body),
                )
            });
        }
    };
    if q.format.as_deref() == Some("xlsx") {
        return match self_check::xlsx(&r) {
            Ok(bytes) => (
                [
                    (CONTENT_TYPE, XLSX),
                    (
                        CONTENT_DISPOSITION,
                        "attachment; filename=\"self-check.xlsx\"",
                    ),
                ],
                bytes,
            )
                .into_response(),
            Err(e) => layout::failure(&e.to_string()),
        };
    }
    layout::respond(
        StatusCode::OK,
        layout::page(Some(&signed), SECTION, "适当性自查报告", body(&r)),
    )
}

fn body(r: &SelfCheck) -> maud::Markup {
    let last_day = day(r.to - chrono::Duration::seconds(1));
    let s = &r.sales;
    let e = &r.escalations;
    let hours = |h: Option<f64>| h.map_or("—".to_string(), |h| format!("{h} 小时"));
    html! {
        form.card.filters method="get" action=(SECTION) {
            label.inline for="from" { "自" } input #from type="date" name="from" value=(day(r.from));
            label.inline for="to" { "至" } input #to type="date" name="to" value=(last_day);
            " " button type="submit" { "生成" }
            " " a.button href={ (SECTION) "?from=" (day(r.from)) "&to=" (last_day) "&format=xlsx" } { "下载 XLSX" }
        }
        div.counts {
            div { "销售笔数" strong data-field="sales_total" { (s.total) } }
            div { "不匹配销售" strong data-field="mismatch" { (s.mismatch) } }
            div { "其中已签署风险警示" strong data-field="mismatch_warning_signed" { (s.mismatch_warning_signed) } }
            div { "双录" strong data-field="dual_recorded" { (s.dual_recorded) } }
            div { "合规上报" strong data-field="escalations_opened" { (e.opened) } }
            div { "已处理" strong { (e.resolved) } }
        }
        @if s.mismatch > s.mismatch_warning_signed {
            p.notice.bad role="alert" { "有 " (s.mismatch - s.mismatch_warning_signed) " 笔不匹配销售没有签署风险警示的记录，请逐笔核查。" }
        }
        p { "上报平均处理时长 " (hours(e.mean_hours_to_resolve)) "，最长 " (hours(e.max_hours_to_resolve)) "。" }
        div.charts {
            (bars("投资者风险等级（期末最近一次测评）", &zh(&r.investors_by_level, plain)))
            (bars("投资者分类", &zh(&r.investors_by_type, plain)))
            (bars("在售产品风险等级", &zh(&r.products_by_rating, plain)))
            (bars("销售的适当性结论", &zh(&s.by_verdict, plain)))
            (bars("期间到期回访的状态", &zh(&r.callbacks_by_status, plain)))
            (bars("期间记录的回访结果", &zh(&r.outcomes_by_result, plain)))
            (bars("合规上报原因", &zh(&e.by_reason, plain)))
            (bars("投诉类别", &zh(&r.complaints_by_category, |k| category_zh(k).to_string())))
        }
    }
}
