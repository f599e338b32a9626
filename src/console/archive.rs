//! The client archive (客户档案) as a printable page: identity, classifications with evidence,
//! every assessment with the questionnaire as the investor saw it, orders with their decisions,
//! callbacks, escalations, complaints, signatures and the audit entries, with the digest and the
//! archive as JSON to download (what `GET /v1/investors/{id}/archive` answers).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use maud::html;

use super::evidence::{assessment, json_file, order_status, seal, verdict};
use super::layout::{self, may};
use super::record_view::{self, text};
use super::session::Signed;
use crate::http::AppState;
use crate::questionnaire::Questionnaire;
use crate::workflow::{WorkflowError, client_archive};

const API: &str = "/v1/investors/{id}/archive";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/investors/{id}/archive", get(page))
        .route("/console/investors/{id}/archive.json", get(download))
}

async fn load(
    state: &AppState,
    signed: &Signed,
    id: &str,
) -> Result<serde_json::Value, WorkflowError> {
    let mut pooled = state.db.acquire().await?;
    client_archive::archive(&mut pooled.conn(), &state.ctx(), &signed.staff, id).await
}

async fn page(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Response {
    if !may(&signed.staff, "GET", API) {
        return layout::forbidden(&signed);
    }
    let a = match load(&state, &signed, &id).await {
        Ok(a) => a,
        Err(e) => return layout::unavailable(&signed, "投资者", e),
    };
    let inv = &a["investor"];
    let questionnaire = |hash: &serde_json::Value| -> Option<Questionnaire> {
        serde_json::from_value(a["questionnaires"][hash.as_str()?].clone()).ok()
    };
    let orders = a["orders"].as_array().cloned().unwrap_or_default();
    let assessments = a["assessments"].as_array().cloned().unwrap_or_default();
    let body = html! {
        (seal(&a, &format!("/console/investors/{id}/archive.json")))
        section.card {
            h2 { "身份信息" }
            dl.facts {
                dt { "姓名" } dd data-field="name" { (text(&inv["name"])) }
                dt { "类型" } dd { (text(&inv["kind"])) " · " (text(&inv["investor_type"])) }
                dt { "证件号码" } dd { (text(&inv["id_number"])) }
                dt { "合格投资者" } dd { (text(&inv["qualified"])) }
                dt { "建档时间" } dd { (text(&inv["created_at"])) }
            }
            h3 { "资料变更记录" } (record_view::render(&a["history"]["items"]))
        }
        section.card { h2 { "投资者分类" } (record_view::render(&a["classifications"])) }
        section.card { h2 { "合格投资者证明" } (record_view::render(&a["qualification_evidence"])) }
        h2 { "风险测评（" (assessments.len()) "）" }
        @for x in &assessments { (assessment(x, questionnaire(&x["questionnaire_hash"]).as_ref())) }
        h2 { "订单与适当性结论（" (orders.len()) "）" }
        @for o in &orders {
            section.card data-order=(text(&o["order"]["id"])) {
                h3 { "订单 " code { (text(&o["order"]["id"])) } " · " (order_status(&o["order"]["status"])) }
                p { a href={ "/console/orders/" (text(&o["order"]["id"])) "/evidence" } { "查看该笔销售的证据" } }
                dl.facts {
                    dt { "金额" } dd { (text(&o["order"]["amount"])) " 元（剩余 " (text(&o["remaining"])) "）" }
                    dt { "结论" } dd { (verdict(&o["decision"]["outcome"]["verdict"])) }
                    dt { "说明" } dd { (text(&o["decision"]["outcome"]["explanation"])) }
                    dt { "规则版本" } dd { "v" (text(&o["decision"]["ruleset_version"])) }
                }
            }
        }
        section.card { h2 { "回访" } (record_view::render(&a["callbacks"])) }
        section.card { h2 { "合规上报" } (record_view::render(&a["escalations"])) }
        section.card { h2 { "投诉" } (record_view::render(&a["complaints"])) }
        section.card { h2 { "投资者签署" } (record_view::render(&a["signatures"])) }
        section.card { h2 { "审计记录" } (record_view::render(&a["audit"])) }
    };
    let title = format!("客户档案 · {}", text(&inv["name"]));
    layout::respond(
        StatusCode::OK,
        layout::page(Some(&signed), "", &title, body),
    )
}

async fn download(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Response {
    if !may(&signed.staff, "GET", API) {
        return layout::forbidden(&signed);
    }
    match load(&state, &signed, &id).await {
        Ok(a) => json_file(&a, &format!("archive-{id}.json")),
        Err(e) => layout::unavailable(&signed, "投资者", e),
    }
}
