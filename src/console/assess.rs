//! The risk questionnaire in the browser: drawn from its file (radio buttons named by question id
//! with option ids as values, check boxes for multiple choice), with a progress indicator, then
//! the result: level, score, the points of each answer and any flags. Scored and stored by the
//! API's own workflow.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};

use super::form::{self, Fields, Problems};
use super::layout::{self, day, may, when};
use super::session::Signed;
use crate::http::AppState;
use crate::questionnaire::Questionnaire;
use crate::workflow::WorkflowError;
use crate::workflow::assessments::{self, AssessmentResponse, Submission};
use crate::workflow::investors::{self, InvestorResponse};

const SECTION: &str = "/console/investors";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/investors/{id}/assess", get(show).post(submit))
        .route("/console/investors/{id}/assessments/{aid}", get(result))
}

#[derive(Deserialize)]
pub struct Which {
    questionnaire: Option<String>,
}

/// The questionnaires that apply to the investor (samples last), and the one to present.
fn pick(
    state: &AppState,
    i: &InvestorResponse,
    wanted: Option<&str>,
) -> Option<Arc<Questionnaire>> {
    let mut fitting: Vec<Arc<Questionnaire>> = state
        .questionnaires
        .latest_each()
        .into_iter()
        .filter(|q| q.applies_to == i.kind)
        .collect();
    fitting.sort_by_key(|q| q.sample);
    match wanted {
        Some(id) => fitting.into_iter().find(|q| q.id == id),
        None => fitting.into_iter().next(),
    }
}

async fn investor(
    state: &AppState,
    signed: &Signed,
    id: &str,
) -> Result<InvestorResponse, WorkflowError> {
    let mut tx = state.db.begin().await?;
    let i = investors::get(&mut tx.conn(), &state.ctx(), &signed.staff, id, false).await?;
    tx.commit().await?;
    Ok(i)
}

fn questionnaire_form(
    signed: &Signed,
    i: &InvestorResponse,
    q: &Questionnaire,
    fields: &Fields,
    p: &Problems,
) -> Markup {
    let action = format!("/console/investors/{}/assess", i.id);
    questions(q, &action, &signed.csrf, fields, p)
}

/// The questionnaire as a form posting to `action` (also the investor's own page).
pub fn questions(
    q: &Questionnaire,
    action: &str,
    csrf: &str,
    fields: &Fields,
    p: &Problems,
) -> Markup {
    let chosen = |qid: &str, oid: &str| fields.iter().any(|(k, v)| k == qid && v == oid);
    html! {
        (p.banner())
        p { "问卷：" (q.title) "（第 " (q.version) " 版）" @if q.sample { " " span.badge.warn { "示例问卷" } } }
        p {
            label.inline for="progress" { "进度" }
            progress #progress max=(q.questions.len()) value="0" { "0 / " (q.questions.len()) }
            " " span #progress-text data-total=(q.questions.len()) { "共 " (q.questions.len()) " 题" }
        }
        form.card #questionnaire method="post" action=(action) {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="questionnaire_id" value=(q.id);
            @for (n, question) in q.questions.iter().enumerate() {
                fieldset.question data-question=(question.id) {
                    legend { (n + 1) ". " (question.text) @if question.multiple { "（可多选）" } }
                    @for o in &question.options {
                        @let id = format!("{}.{}", question.id, o.id);
                        div {
                            @if question.multiple {
                                input type="checkbox" id=(id) name=(question.id) value=(o.id) checked[chosen(&question.id, &o.id)];
                            } @else {
                                input type="radio" id=(id) name=(question.id) value=(o.id) checked[chosen(&question.id, &o.id)];
                            }
                            label.inline for=(id) { (o.text) }
                        }
                    }
                    (p.at(&format!("answers.{}", question.id)))
                }
            }
            (p.at("answers"))
            button type="submit" { "提交问卷" }
        }
    }
}

async fn show(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Query(w): Query<Which>,
) -> Response {
    if !may(&signed.staff, "POST", "/v1/investors/{id}/assessments") {
        return layout::forbidden(&signed);
    }
    let i = match investor(&state, &signed, &id).await {
        Ok(i) => i,
        Err(e) => return layout::unavailable(&signed, "投资者", e),
    };
    let Some(q) = pick(&state, &i, w.questionnaire.as_deref()) else {
        return layout::not_found(&signed, "适用的问卷");
    };
    let body = questionnaire_form(&signed, &i, &q, &Vec::new(), &Problems::default());
    let title = format!("风险承受能力评估：{}", i.name);
    layout::respond(
        StatusCode::OK,
        layout::page(Some(&signed), SECTION, &title, body),
    )
}

/// The answers as the API's body: one option id per single-choice question, a list for a
/// multiple-choice one (every box ticked).
pub fn submission(q: &Questionnaire, fields: &Fields) -> Value {
    let mut answers = serde_json::Map::new();
    for question in &q.questions {
        let picked: Vec<&str> = fields
            .iter()
            .filter(|(k, _)| *k == question.id)
            .map(|(_, v)| v.as_str())
            .collect();
        match (question.multiple, picked.as_slice()) {
            (_, []) => {}
            (false, [one, ..]) => {
                answers.insert(question.id.clone(), json!(one));
            }
            (true, many) => {
                answers.insert(question.id.clone(), json!(many));
            }
        }
    }
    json!({"questionnaire_id": q.id, "answers": answers})
}

async fn submit(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    if !may(&signed.staff, "POST", "/v1/investors/{id}/assessments") {
        return layout::forbidden(&signed);
    }
    if let Some(refused) = form::csrf_refused(&signed, &fields) {
        return refused;
    }
    let i = match investor(&state, &signed, &id).await {
        Ok(i) => i,
        Err(e) => return layout::unavailable(&signed, "投资者", e),
    };
    let Some(q) = pick(&state, &i, form::value(&fields, "questionnaire_id")) else {
        return layout::not_found(&signed, "适用的问卷");
    };
    let title = format!("风险承受能力评估：{}", i.name);
    let again = |p: Problems| {
        let body = questionnaire_form(&signed, &i, &q, &fields, &p);
        layout::respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            layout::page(Some(&signed), SECTION, &title, body),
        )
    };
    let sub: Submission = match form::parse(submission(&q, &fields)) {
        Ok(s) => s,
        Err(p) => return again(p),
    };
    let done = async {
        let mut tx = state.db.begin().await?;
        let a = assessments::assess(&mut tx.conn(), &state.ctx(), &signed.staff, &id, sub).await?;
        tx.commit().await?;
        Ok::<_, WorkflowError>(a)
    }
    .await;
    match done {
        Ok(a) => {
            Redirect::to(&format!("/console/investors/{id}/assessments/{}", a.id)).into_response()
        }
        Err(e) => form::or_again(e, again),
    }
}

/// A flag as a sentence.
fn flag_zh(flag: &str) -> String {
    match flag {
        assessments::CONTRADICTS_FACTS => "所选答案与已知信息（年龄、资产）不符，需风控复核".into(),
        assessments::LEVEL_RAISED_ON_RETAKE => "短期内重新评估且等级提高，需风控复核".into(),
        assessments::LIMITED_CAPACITY => "非完全民事行为能力，按最低类别处理".into(),
        crate::questionnaire::score::LOWEST_CATEGORY => "属于风险承受能力最低类别".into(),
        other => other.to_string(),
    }
}

fn result_view(i: &InvestorResponse, a: &AssessmentResponse, q: Option<&Questionnaire>) -> Markup {
    let question_text = |qid: &str| {
        q.and_then(|q| q.question(qid))
            .map_or_else(|| qid.to_string(), |x| x.text.clone())
    };
    let option_text = |qid: &str, oid: &str| {
        q.and_then(|q| q.question(qid))
            .and_then(|x| x.options.iter().find(|o| o.id == oid))
            .map_or_else(|| oid.to_string(), |o| o.text.clone())
    };
    let by_question: BTreeMap<&str, i64> = a
        .breakdown
        .iter()
        .map(|b| (b.question.as_str(), b.points))
        .collect();
    html! {
        section.card {
            dl.facts {
                dt { "风险等级" } dd { strong data-field="level" { (a.level) } }
                dt { "得分" } dd data-field="score" { (a.score) }
                dt { "评估时间" } dd { (when(a.assessed_at)) }
                dt { "有效期至" } dd data-field="valid_until" { (day(a.valid_until)) }
            }
            @if !a.flags.is_empty() {
                h2 { "提示" }
                ul data-field="flags" { @for f in &a.flags { li { (flag_zh(f)) } } }
            }
        }
        h2 { "各题得分" }
        table {
            thead { tr { th { "题目" } th { "所选" } th { "得分" } } }
            tbody {
                @for b in &a.breakdown {
                    tr {
                        td { (question_text(&b.question)) }
                        td { (b.options.iter().map(|o| option_text(&b.question, o)).collect::<Vec<_>>().join("、")) }
                        td { (by_question.get(b.question.as_str()).copied().unwrap_or(b.points)) }
                    }
                }
            }
        }
        p { a href={ "/console/investors/" (i.id) } { "返回投资者" } " · " a href={ "/console/investors/" (i.id) "/check" } { "检查产品适当性" } }
    }
}

async fn result(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, aid)): Path<(String, String)>,
) -> Response {
    if !may(&signed.staff, "GET", "/v1/investors/{id}/assessments") {
        return layout::forbidden(&signed);
    }
    let loaded = async {
        let mut tx = state.db.begin().await?;
        let i = investors::get(&mut tx.conn(), &state.ctx(), &signed.staff, &id, false).await?;
        let all = assessments::list(&mut tx.conn(), &state.ctx(), &signed.staff, &id).await?;
        tx.commit().await?;
        Ok::<_, WorkflowError>((i, all))
    }
    .await;
    let (i, all) = match loaded {
        Ok(x) => x,
        Err(e) => return layout::unavailable(&signed, "投资者", e),
    };
    let Some(a) = all.into_iter().find(|a| a.id == aid) else {
        return layout::not_found(&signed, "评估");
    };
    let q = state
        .questionnaires
        .get(&a.questionnaire_id, a.questionnaire_version);
    let title = format!("评估结果：{}", i.name);
    let body = result_view(&i, &a, q.as_deref());
    layout::respond(
        StatusCode::OK,
        layout::page(Some(&signed), SECTION, &title, body),
    )
}
