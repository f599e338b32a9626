//! The questionnaires in service, for risk staff: each version with its content hash, its bands
//! (level by score) and every question with each option's points and knock-out mark. Read from
//! the loaded set, as `GET /v1/questionnaires/{id}` answers.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};

use super::layout::{self, may};
use super::session::Signed;
use crate::http::AppState;
use crate::questionnaire::Questionnaire;

const SECTION: &str = "/console/questionnaires";

pub fn router() -> Router<AppState> {
    Router::new().route(SECTION, get(page))
}

async fn page(State(state): State<AppState>, signed: Signed) -> Response {
    if !may(&signed.staff, "GET", "/v1/questionnaires/{id}") {
        return layout::forbidden(&signed);
    }
    let body = html! {
        p.muted { "问卷由 questionnaires/ 目录中的文件定义；每份被使用过的版本连同全文按摘要永久保存，客户档案据此显示投资者当时看到的问卷。" }
        @for q in state.questionnaires.all() { (one(q)) }
    };
    layout::respond(
        StatusCode::OK,
        layout::page(Some(&signed), SECTION, "风险测评问卷", body),
    )
}

fn one(q: &Questionnaire) -> Markup {
    html! {
        section.card data-questionnaire=(q.id) data-version=(q.version) {
            h2 { (q.title) " · 第 " (q.version) " 版" @if q.sample { " " span.badge.warn { "示例" } } }
            dl.facts {
                dt { "编号" } dd { code { (q.id) } }
                dt { "适用" } dd { (q.applies_to.as_str()) }
                dt { "摘要" } dd { code { (q.content_hash) } }
            }
            h3 { "等级与分数段" }
            table {
                thead { tr { th { "等级" } th { "名称" } th { "最低分" } th { "最高分" } } }
                tbody {
                    @for b in &q.bands {
                        tr data-band=(b.level) { td { (b.level) } td { (b.name.clone().unwrap_or_default()) } td { (b.min) } td { (b.max) } }
                    }
                }
            }
            details {
                summary { "题目与分值（" (q.questions.len()) " 题）" }
                ol.presented {
                    @for question in &q.questions {
                        li {
                            p { (question.text) @if question.multiple { "（多选，按所选最高分计）" } }
                            ul {
                                @for o in &question.options {
                                    li { (o.id) ". " (o.text) " — " strong { (o.points) " 分" }
                                        @if o.knock_out { " " span.badge.bad { "一票否决：最低类别" } } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
