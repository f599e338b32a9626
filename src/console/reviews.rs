//! The supervisor's review (主管审阅) in the browser: every closed callback record not reviewed
//! since it closed, the late ones first marked, and on the callback's page a form to approve it
//! or return it to its agent with a comment (`workflow::callbacks::review`, as the API).

use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};

use super::callbacks::{kind_zh, show};
use super::form::{self, Fields, Problems};
use super::layout::{self, may, when};
use super::session::Signed;
use crate::http::AppState;
use crate::store::now;
use crate::workflow::WorkflowError;
use crate::workflow::callbacks::CallbackDetail;
use crate::workflow::callbacks::review::{self, ReviewRequest};

const SECTION: &str = "/console/reviews";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/reviews", get(inbox))
        .route("/console/callbacks/{id}/reviews", post(submit))
}

async fn inbox(State(state): State<AppState>, signed: Signed) -> Response {
    if !may(&signed.staff, "POST", "/v1/callbacks/{id}/reviews") {
        return layout::forbidden(&signed);
    }
    let loaded = async {
        let mut pooled = state.db.acquire().await?;
        review::awaiting(&mut pooled.conn(), &state.ctx()).await
    }
    .await;
    let items = match loaded {
        Ok(x) => x,
        Err(e) => return layout::failure(&e.to_string()),
    };
    let t = now();
    let body = html! {
        p.muted { "回访结束后应在 " (review::REVIEW_WORKING_DAYS) " 个工作日内完成主管审阅；逾期的记录以底色标出。" }
        @if items.is_empty() {
            p.muted data-field="awaiting" { "没有待审阅的回访记录。" }
        } @else {
            table {
                thead { tr { th { "投资者" } th { "产品" } th { "类型" } th { "结束时间" } th { "审阅期限" } th { "负责人" } } }
                tbody {
                    @for r in &items {
                        tr.overdue[r.review_due_by < t] data-callback=(r.callback.id) {
                            td { a href={ "/console/callbacks/" (r.callback.id) "#review" } { (r.callback.investor.name) } }
                            td { @if let Some(p) = &r.callback.product { (p.name) } @else { "—" } }
                            td { (kind_zh(r.callback.kind)) }
                            td { (when(r.closed_at)) }
                            td { (when(r.review_due_by)) }
                            td { @if let Some(a) = &r.callback.assignee { (a.name) } @else { "—" } }
                        }
                    }
                }
            }
        }
    };
    layout::respond(
        StatusCode::OK,
        layout::page(Some(&signed), SECTION, "待主管审阅", body),
    )
}

/// The review form on a closed callback's page, for compliance.
pub fn review_form(signed: &Signed, d: &CallbackDetail, fields: &Fields, p: &Problems) -> Markup {
    let cb = &d.callback;
    if cb.status.is_workable()
        || d.outcomes.is_empty()
        || !may(&signed.staff, "POST", "/v1/callbacks/{id}/reviews")
    {
        return html! {};
    }
    let picked = |x: &str| form::value(fields, "verdict") == Some(x);
    html! {
        form.card #review method="post" action={ "/console/callbacks/" (cb.id) "/reviews" } {
            h2 { "主管审阅" }
            (form::csrf_input(signed))
            fieldset {
                legend { "审阅结论" }
                label.inline { input type="radio" name="verdict" value="approved" checked[picked("approved")]; " 通过" }
                label.inline { input type="radio" name="verdict" value="returned" checked[picked("returned")]; " 退回重访" }
                (p.at("verdict"))
            }
            label for="comment" { "审阅意见" }
            textarea #comment name="comment" maxlength=(review::MAX_COMMENT) { (form::value(fields, "comment").unwrap_or("")) }
            (p.at("comment"))
            p { button type="submit" { "提交审阅" } }
        }
    }
}

async fn submit(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    if !may(&signed.staff, "POST", "/v1/callbacks/{id}/reviews") {
        return layout::forbidden(&signed);
    }
    if let Some(refused) = form::csrf_refused(&signed, &fields) {
        return refused;
    }
    let req: ReviewRequest = match form::parse(form::to_json(&fields, &[], &[])) {
        Ok(r) => r,
        Err(p) => {
            return show(
                &state,
                &signed,
                &id,
                &fields,
                &p,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let done = async {
        let mut tx = state.db.begin().await?;
        let r = review::review(&mut tx.conn(), &signed.staff, &id, req).await?;
        tx.commit().await?;
        Ok::<_, WorkflowError>(r)
    }
    .await;
    match done {
        Ok(_) => Redirect::to(&format!("/console/callbacks/{id}")).into_response(),
        Err(e) => match form::refusal(&e) {
            Some(p) => {
                show(
                    &state,
                    &signed,
                    &id,
                    &fields,
                    &p,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
            None => layout::failure(&e.to_string()),
        },
    }
}
