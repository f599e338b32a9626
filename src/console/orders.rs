//! Placing an order in the browser: the decision first (what must be acknowledged, with which
//! evidence), then signing and payment times, the acknowledgments and their evidence, submitted
//! once (an idempotency key in the form, so a double click or a resent form places one order);
//! then the order with its cooling-off end and planned callbacks, and later its status.

use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::html;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::check::requirement_zh;
use super::form::{self, Fields, Problems};
use super::layout::{self, may, when};
use super::order_form::{self, Draft, body_of, order_form};
use super::session::Signed;
use crate::decide::DecisionView;
use crate::domain::FieldProblem;
use crate::http::AppState;
use crate::workflow::{WorkflowError, place_once, sale};

const SECTION: &str = "/console/investors";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/orders/new", get(new_form).post(submit))
        .route("/console/orders/{id}", get(show))
}

#[derive(Deserialize)]
pub struct Target {
    investor: Option<String>,
    product: Option<String>,
    amount: Option<String>,
}

pub fn status_zh(s: crate::domain::state::OrderStatus) -> &'static str {
    use crate::domain::state::OrderStatus::*;
    match s {
        CoolingOff => "投资冷静期中",
        Confirmed => "已确认",
        Rescinded => "已撤销（退款）",
        Redeemed => "已赎回",
        Liquidated => "已清算",
    }
}

async fn new_form(
    State(state): State<AppState>,
    signed: Signed,
    Query(t): Query<Target>,
) -> Response {
    if !may(&signed.staff, "POST", "/v1/orders") {
        return layout::forbidden(&signed);
    }
    let (Some(investor), Some(product)) = (t.investor.as_deref(), t.product.as_deref()) else {
        return layout::not_found(&signed, "投资者或产品");
    };
    let amount = t.amount.clone().unwrap_or_default();
    let (prepared, p) = match order_form::prepare(&state, &signed, investor, product, &amount).await
    {
        Ok(d) => (Some(d), Problems::default()),
        Err(e @ (WorkflowError::NotFound(_) | WorkflowError::Forbidden { .. })) => {
            return layout::unavailable(&signed, "投资者或产品", e);
        }
        Err(e) => match form::refusal(&e) {
            Some(p) => (None, p),
            None => return layout::failure(&e.to_string()),
        },
    };
    let draft = Draft {
        investor,
        product,
        amount: &amount,
        fields: &Vec::new(),
        problems: &p,
        decision: prepared.as_ref().map(|x| &x.decision),
        letter: prepared.as_ref().and_then(|x| x.letter.as_ref()),
        new_key: false,
    };
    layout::respond(
        StatusCode::OK,
        layout::page(
            Some(&signed),
            SECTION,
            "下单",
            order_form(&state, &signed, &draft),
        ),
    )
}

async fn submit(
    State(state): State<AppState>,
    signed: Signed,
    Form(fields): Form<Fields>,
) -> Response {
    if !may(&signed.staff, "POST", "/v1/orders") {
        return layout::forbidden(&signed);
    }
    if let Some(refused) = form::csrf_refused(&signed, &fields) {
        return refused;
    }
    let investor = form::value(&fields, "investor_id")
        .unwrap_or("")
        .to_string();
    let product = form::value(&fields, "product_id").unwrap_or("").to_string();
    let amount = form::value(&fields, "amount").unwrap_or("").to_string();
    // The form is shown again with the decision, so the requirements stay on it.
    let current = order_form::prepare(&state, &signed, &investor, &product, &amount)
        .await
        .ok();
    let again_with = |p: Problems, decision: Option<&DecisionView>, new_key: bool| {
        let draft = Draft {
            investor: &investor,
            product: &product,
            amount: "",
            fields: &fields,
            problems: &p,
            decision: decision.or(current.as_ref().map(|x| &x.decision)),
            letter: current.as_ref().and_then(|x| x.letter.as_ref()),
            new_key,
        };
        let body = order_form(&state, &signed, &draft);
        layout::respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            layout::page(Some(&signed), SECTION, "下单", body),
        )
    };
    let again = |p: Problems, decision: Option<&DecisionView>| again_with(p, decision, false);
    let body = match body_of(&fields) {
        Ok(b) => b,
        Err(p) => return again(p, None),
    };
    let key = match place_once::key(
        form::value(&fields, "idempotency_key").unwrap_or(""),
        "idempotency_key",
    ) {
        Ok(k) => k,
        Err(e) => return form::or_again(e, |p| again(p, None)),
    };
    let hash = crate::hex::hex(&Sha256::digest(body.to_string().as_bytes()));
    let req: crate::http::orders::CreateOrderRequest = match form::parse(body) {
        Ok(r) => r,
        Err(p) => return again(p, None),
    };
    let placed = async {
        let new = req.into_new_order()?;
        place_once::place(
            &state.db,
            &state.ctx(),
            &signed.staff,
            Some(&key),
            &hash,
            new,
        )
        .await
    }
    .await;
    match placed {
        Ok((_, order)) => {
            let id = order["id"].as_str().unwrap_or_default();
            Redirect::to(&format!("/console/orders/{id}")).into_response()
        }
        Err(WorkflowError::RequirementsMissing { decision, missing }) => {
            let problems: Vec<FieldProblem> = missing
                .iter()
                .map(|r| FieldProblem::new(format!("evidence.{r}"), "须确认已完成并提供凭证"))
                .collect();
            again(Problems::of(&problems), Some(&decision))
        }
        Err(WorkflowError::SuitabilityRejected(decision)) => {
            let p = Problems::notice("规则不允许此笔销售，未下单。");
            again(p, Some(&decision))
        }
        Err(WorkflowError::AssessedAfterSigning(decision)) => {
            let p = Problems::notice(
                "合同签署时间早于投资者的风险评估：销售不得以签署后才进行的评估为依据。请核对签署时间。",
            );
            again(p, Some(&decision))
        }
        Err(WorkflowError::Unprocessable {
            code: "idempotency_key_reused",
            ..
        }) => {
            // This form already placed another order (e.g. sent again after going back and
            // changing it): a fresh key, so the member can place this one if they mean to.
            let p = Problems::notice(
                "此表单已提交过另一笔订单，未重复下单。如确需再下一单，请核对后再次提交。",
            );
            again_with(p, None, true)
        }
        Err(e) => form::or_again(e, |p| again(p, None)),
    }
}

async fn show(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Response {
    if !may(&signed.staff, "GET", "/v1/orders/{id}") {
        return layout::forbidden(&signed);
    }
    let loaded = async {
        let mut pooled = state.db.acquire().await?;
        sale::order_detail(&mut pooled.conn(), &state.ctx(), &signed.staff, &id).await
    }
    .await;
    let d = match loaded {
        Ok(d) => d,
        Err(e) => return layout::unavailable(&signed, "订单", e),
    };
    let o = &d.order;
    let body = html! {
        section.card {
            dl.facts {
                dt { "订单号" } dd data-field="order_id" { (o.id) }
                dt { "状态" } dd data-field="status" data-status=(o.status) { (status_zh(o.status)) }
                dt { "金额（元）" } dd data-field="amount" { (o.amount) }
                dt { "签署时间" } dd { (when(o.signed_at)) }
                dt { "到账时间" } dd { (when(o.paid_at)) }
                dt { "冷静期结束" } dd data-field="cooling_off_ends_at" { (when(o.cooling_off_ends_at)) }
                dt { "状态变更于" } dd { (when(o.status_changed_at)) }
                @if !o.acknowledgments.is_empty() {
                    dt { "已完成要求" } dd { (o.acknowledgments.iter().map(|a| requirement_zh(a)).collect::<Vec<_>>().join("、")) }
                }
            }
            p { a href={ "/console/investors/" (o.investor_id) } { "返回投资者" } }
        }
        h2 { "已计划的回访" }
        table {
            thead { tr { th { "类型" } th { "回访目的" } th { "最早" } th { "最迟" } th { "状态" } } }
            tbody {
                @for cb in &d.callbacks {
                    tr data-callback=(cb.id) {
                        td { (super::callbacks::kind_zh(cb.kind)) }
                        td { (crate::callbacks::export::purpose(cb.kind, &cb.reason)) }
                        td { (when(cb.due_from)) }
                        td { (when(cb.due_by)) }
                        td { (super::callbacks::status_zh(cb.status)) }
                    }
                }
            }
        }
    };
    layout::respond(
        StatusCode::OK,
        layout::page(Some(&signed), SECTION, "订单", body),
    )
}
