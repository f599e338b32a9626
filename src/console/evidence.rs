//! The evidence behind one sale as a printable page for compliance and a regulator: the key facts
//! in plain Chinese (the assessment with the questionnaire as presented and the answers given,
//! the decision and its explanation, acknowledgments and their evidence, cooling-off, signatures,
//! callbacks and reviews, escalations, complaints, the audit entries), then the whole bundle, the
//! digest, and the bundle as JSON to download (byte for byte what the API answers).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, html};
use serde_json::Value;

use super::layout::{self, may};
use super::record_view::{self, text};
use super::session::Signed;
use crate::domain::state::OrderStatus;
use crate::http::AppState;
use crate::questionnaire::Questionnaire;
use crate::rules::decision::Verdict;
use crate::workflow::presented;

const API: &str = "/v1/orders/{id}/evidence";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/orders/{id}/evidence", get(page))
        .route("/console/orders/{id}/evidence.json", get(download))
}

async fn page(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Response {
    if !may(&signed.staff, "GET", API) {
        return layout::forbidden(&signed);
    }
    let found = presented::evidence(&state.db, &state.ctx(), &state.rules, &id).await;
    let r = match found {
        Ok(r) => r,
        Err(e) => return layout::unavailable(&signed, "订单", e),
    };
    let b = &r.bundle;
    let body = html! {
        (seal(b, &format!("/console/orders/{id}/evidence.json")))
        section.card {
            h2 { "销售" }
            dl.facts {
                dt { "投资者" } dd { a href={ "/console/investors/" (text(&b["investor"]["id"])) "/archive" } { (text(&b["investor"]["name"])) } " · " (text(&b["investor"]["id_number"])) }
                dt { "产品" } dd { (text(&b["product"]["name"])) "（" (text(&b["product"]["code"])) "）销售时 " (text(&b["product"]["risk_rating_at_sale"])) "，现 " (text(&b["product"]["risk_rating_now"])) }
                dt { "金额" } dd data-field="amount" { (text(&b["order"]["amount"])) " 元" }
                dt { "状态" } dd data-field="status" data-status=(text(&b["order"]["status"])) { (order_status(&b["order"]["status"])) }
                dt { "签约时间" } dd { (text(&b["order"]["signed_at"])) }
                dt { "打款时间" } dd { (text(&b["order"]["paid_at"])) }
                dt { "冷静期" } dd { (text(&b["cooling_off"]["starts_at"])) " 至 " (text(&b["cooling_off"]["ends_at"])) }
                dt { "已完成的要求" } dd { (text(&b["order"]["acknowledgments"])) }
                dt { "双录编号" } dd { (text(&b["order"]["recording_ref"])) }
            }
            h3 { "各项要求的证据" }
            (record_view::render(&b["order"]["evidence"]))
        }
        (decision(&b["decision"], &b["replay"]))
        (assessment(&b["assessment"], r.questionnaire.as_ref()))
        section.card { h2 { "投资者签署" } (record_view::render(&b["signatures"])) }
        section.card { h2 { "回访与审阅" } (record_view::render(&b["callbacks"])) }
        section.card { h2 { "合规上报" } (record_view::render(&b["escalations"])) }
        section.card { h2 { "投诉" } (record_view::render(&b["complaints"])) }
        section.card { h2 { "审计记录" } (record_view::render(&b["audit"])) }
    };
    let title = format!("销售证据 · 订单 {id}");
    layout::respond(
        StatusCode::OK,
        layout::page(Some(&signed), "", &title, body),
    )
}

/// An order's status in plain Chinese, as the order page says it.
pub fn order_status(v: &Value) -> String {
    serde_json::from_value::<OrderStatus>(v.clone())
        .map(|s| super::orders::status_zh(s).to_string())
        .unwrap_or_else(|_| text(v))
}

/// A verdict in plain Chinese, as the check says it.
pub fn verdict(v: &Value) -> String {
    serde_json::from_value::<Verdict>(v.clone())
        .map(|x| super::check::verdict_zh(x).0.to_string())
        .unwrap_or_else(|_| text(v))
}

/// The digest and the download, at the top of a record's page.
pub fn seal(b: &Value, json_href: &str) -> Markup {
    html! {
        section.card.seal {
            p { "摘要（SHA-256，按键排序的紧凑 JSON，不含 digest 本身）：" }
            p { code.digest data-field="digest" { (text(&b["digest"])) } }
            p { a.button href=(json_href) download { "下载 JSON" } " "
                span.muted { "打印：使用浏览器的打印功能（Ctrl+P），导航栏不会打印。" } }
        }
    }
}

fn decision(d: &Value, replay: &Value) -> Markup {
    let o = &d["outcome"];
    html! {
        section.card {
            h2 { "适当性结论" }
            dl.facts {
                dt { "结论" } dd data-field="verdict" data-verdict=(text(&o["verdict"])) { (verdict(&o["verdict"])) }
                dt { "说明" } dd { (text(&o["explanation"])) }
                dt { "规则版本" } dd { "v" (text(&d["ruleset_version"])) }
                dt { "决定时间" } dd { (text(&d["created_at"])) }
                dt { "重放结果一致" } dd data-field="replay_identical" { (text(&replay["identical"])) }
            }
            h3 { "理由" } (record_view::render(&o["reasons"]))
            h3 { "销售前须完成" } (record_view::render(&o["requirements"]))
            h3 { "规则执行轨迹" } (record_view::render(&o["trace"]))
            h3 { "决定时的事实" } (record_view::render(&d["facts"]))
        }
    }
}

/// The assessment, with each question as presented and the options the investor chose.
pub fn assessment(a: &Value, q: Option<&Questionnaire>) -> Markup {
    if a.is_null() {
        return html! { section.card { h2 { "风险测评" } p.muted { "决定时没有风险测评。" } } };
    }
    html! {
        section.card {
            h2 { "风险测评" }
            dl.facts {
                dt { "等级" } dd data-field="level" { (text(&a["level"])) }
                dt { "得分" } dd { (text(&a["score"])) }
                dt { "问卷" } dd { (text(&a["questionnaire_id"])) " 第 " (text(&a["questionnaire_version"])) " 版" }
                dt { "问卷摘要" } dd { code { (text(&a["questionnaire_hash"])) } }
                dt { "测评时间" } dd { (text(&a["assessed_at"])) }
                dt { "有效期至" } dd { (text(&a["valid_until"])) }
                dt { "填写人" } dd { @if a["submitted_by"] == "investor" { "投资者本人（链接）" } @else { "工作人员" } }
                dt { "提示" } dd { (text(&a["flags"])) }
            }
            (answers(a, q))
        }
    }
}

fn answers(a: &Value, q: Option<&Questionnaire>) -> Markup {
    let Some(q) = q else {
        return html! { p.notice.bad { "未找到该摘要对应的问卷文本。" } (record_view::render(&a["answers"])) };
    };
    let chosen = |qid: &str, oid: &str| {
        a["answers"][qid]
            .as_array()
            .is_some_and(|xs| xs.iter().any(|x| x == oid))
    };
    html! {
        h3 { "问卷原文与投资者的选择（" (q.title) "）" }
        ol.presented {
            @for question in &q.questions {
                li data-question=(question.id) {
                    p { (question.text) @if question.multiple { "（多选）" } }
                    ul {
                        @for o in &question.options {
                            @let picked = chosen(&question.id, &o.id);
                            li.chosen[picked] {
                                @if picked { strong { "☑ " (o.id) ". " (o.text) } } @else { "☐ " (o.id) ". " (o.text) }
                                span.muted { "（" (o.points) " 分）" }
                            }
                        }
                    }
                }
            }
        }
    }
}

async fn download(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Response {
    if !may(&signed.staff, "GET", API) {
        return layout::forbidden(&signed);
    }
    match presented::evidence(&state.db, &state.ctx(), &state.rules, &id).await {
        Ok(r) => json_file(&r.bundle, &format!("evidence-{id}.json")),
        Err(e) => layout::unavailable(&signed, "订单", e),
    }
}

/// A record as a JSON attachment, serialised as the API serialises it.
pub fn json_file(v: &Value, name: &str) -> Response {
    let body = serde_json::to_vec(v).unwrap_or_default();
    let safe: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        .collect();
    (
        [
            (CONTENT_TYPE, "application/json".to_string()),
            (CACHE_CONTROL, "no-store".to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{safe}\""),
            ),
        ],
        body,
    )
        .into_response()
}
