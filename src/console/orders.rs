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
use chrono::{NaiveDateTime, TimeZone, Utc};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::check::{requirement_zh, verdict_zh};
use super::form::{self, Fields, Problems};
use super::layout::{self, may, when};
use super::session::Signed;
use crate::config::business_offset;
use crate::domain::FieldProblem;
use crate::domain::money::RawAmount;
use crate::http::AppState;
use crate::store::orders::Evidence;
use crate::workflow::sale;
use crate::workflow::{WorkflowError, place_once};

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

/// A `datetime-local` value (Beijing time) as the API's UTC time.
fn utc_of(local: &str) -> Option<String> {
    let local = local.trim();
    let t = NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M"))
        .ok()?;
    let t = business_offset().from_local_datetime(&t).single()?;
    Some(t.with_timezone(&Utc).to_rfc3339())
}

/// Now, as a default for the form's times: rounded up to the second the field can show, so a
/// sale right after an assessment is never dated before it.
fn now_local() -> String {
    (Utc::now() + chrono::Duration::seconds(1))
        .with_timezone(&business_offset())
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

#[allow(clippy::too_many_arguments)]
fn order_form(
    state: &AppState,
    signed: &Signed,
    investor: &str,
    product: &str,
    amount: &str,
    fields: &Fields,
    p: &Problems,
    decision: Option<&crate::decide::DecisionView>,
) -> Markup {
    let v = |name: &str, default: &str| {
        form::value(fields, name)
            .map(str::to_string)
            .unwrap_or_else(|| default.to_string())
    };
    let key = form::value(fields, "idempotency_key")
        .map(str::to_string)
        .or_else(|| crate::store::staff::random_secret().ok())
        .unwrap_or_default();
    let rules = state.rules.get();
    let catalogue = rules.catalogue();
    let acked = |r: &str| fields.iter().any(|(k, x)| k == "acknowledgments" && x == r);
    html! {
        (p.banner())
        @if let Some(d) = decision {
            @let (verdict, tone) = verdict_zh(d.outcome.verdict);
            section.card {
                p { span class={ "badge " (tone) } data-field="verdict" { (verdict) } }
                p { (d.explanation) }
            }
        }
        form.card method="post" action="/console/orders/new" {
            (form::csrf_input(signed))
            input type="hidden" name="idempotency_key" value=(key);
            input type="hidden" name="investor_id" value=(investor);
            input type="hidden" name="product_id" value=(product);
            label for="amount" { "认购金额（元）" }
            input #amount type="text" inputmode="decimal" name="amount" value=(v("amount", amount));
            (p.at("amount"))
            label for="signed_at" { "合同签署时间" }
            input #signed_at type="datetime-local" step="1" name="signed_at" value=(v("signed_at", &now_local()));
            (p.at("signed_at"))
            label for="paid_at" { "认购款到账时间" }
            input #paid_at type="datetime-local" step="1" name="paid_at" value=(v("paid_at", &now_local()));
            (p.at("paid_at"))
            @if let Some(d) = decision {
                @for (n, r) in d.outcome.requirements.iter().enumerate() {
                    fieldset data-requirement=(r.as_str()) {
                        legend { (requirement_zh(r)) }
                        input type="checkbox" id={ "ack" (n) } name="acknowledgments" value=(r.as_str()) checked[acked(r)];
                        label.inline for={ "ack" (n) } { "已完成" }
                        @for kind in catalogue.evidence_for(r) {
                            @if kind == crate::workflow::assessment_review::EVIDENCE_KIND {
                                p.muted { "由风控人员在系统中复核该评估后自动具备，无需在此填写。" }
                            } @else {
                                @let name = format!("evidence.{r}.{kind}");
                                label for=(name) { "凭证（" (kind) "）编号或存放位置" }
                                input id=(name) type="text" name=(name) value=(v(&name, ""));
                            }
                        }
                        (p.at(&format!("evidence.{r}")))
                    }
                }
                (p.at("acknowledgments"))
            }
            label for="recording_ref" { "双录或签署文件的存放位置" }
            input #recording_ref type="text" name="recording_ref" value=(v("recording_ref", ""));
            (p.at("recording_ref"))
            p { button type="submit" { "提交订单" } }
        }
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
    let decided = async {
        let money = sale::parse_amount(&RawAmount(amount.clone()))?;
        let mut pooled = state.db.acquire().await?;
        sale::check(
            &mut pooled.conn(),
            &state.ctx(),
            &signed.staff,
            investor,
            product,
            money,
        )
        .await
    }
    .await;
    let (decision, p) = match decided {
        Ok(d) => (Some(d), Problems::default()),
        Err(WorkflowError::NotFound(_) | WorkflowError::Forbidden { .. }) => {
            return layout::not_found(&signed, "投资者或产品");
        }
        Err(e) => match form::refusal(&e) {
            Some(p) => (None, p),
            None => return layout::failure(&e.to_string()),
        },
    };
    let body = order_form(
        &state,
        &signed,
        investor,
        product,
        &amount,
        &Vec::new(),
        &p,
        decision.as_ref(),
    );
    layout::respond(
        StatusCode::OK,
        layout::page(Some(&signed), SECTION, "下单", body),
    )
}

/// The decision the form is about, if it can be made (else the form shows none).
async fn decision_for(
    state: &AppState,
    signed: &Signed,
    investor: &str,
    product: &str,
    amount: &str,
) -> Option<crate::decide::DecisionView> {
    let money = sale::parse_amount(&RawAmount(amount.to_string())).ok()?;
    let mut pooled = state.db.acquire().await.ok()?;
    sale::check(
        &mut pooled.conn(),
        &state.ctx(),
        &signed.staff,
        investor,
        product,
        money,
    )
    .await
    .ok()
}

/// The form as the API's order body.
fn body_of(fields: &Fields) -> Result<Value, Problems> {
    let mut problems = Vec::new();
    let mut at = |name: &str| match form::value(fields, name).and_then(utc_of) {
        Some(t) => Value::String(t),
        None => {
            problems.push(FieldProblem::new(name, "must be a date and time"));
            Value::Null
        }
    };
    let signed_at = at("signed_at");
    let paid_at = at("paid_at");
    if !problems.is_empty() {
        return Err(Problems::of(&problems));
    }
    let acks: Vec<&str> = fields
        .iter()
        .filter(|(k, _)| k == "acknowledgments")
        .map(|(_, v)| v.as_str())
        .collect();
    let mut evidence = Evidence::new();
    for (k, v) in fields {
        if let Some((req, kind)) = k.strip_prefix("evidence.").and_then(|r| r.split_once('.'))
            && !v.trim().is_empty()
        {
            evidence
                .entry(req.to_string())
                .or_default()
                .push(crate::store::orders::EvidenceItem {
                    kind: kind.to_string(),
                    reference: v.trim().to_string(),
                });
        }
    }
    let value = |name: &str| form::value(fields, name).unwrap_or("").to_string();
    let recording = Some(value("recording_ref")).filter(|r| !r.trim().is_empty());
    Ok(json!({
        "investor_id": value("investor_id"), "product_id": value("product_id"), "amount": value("amount"),
        "signed_at": signed_at, "paid_at": paid_at, "acknowledgments": acks,
        "recording_ref": recording, "evidence": evidence,
    }))
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
    let current = decision_for(&state, &signed, &investor, &product, &amount).await;
    let again = |p: Problems, decision: Option<&crate::decide::DecisionView>| {
        let decision = decision.or(current.as_ref());
        let body = order_form(
            &state, &signed, &investor, &product, "", &fields, &p, decision,
        );
        layout::respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            layout::page(Some(&signed), SECTION, "下单", body),
        )
    };
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
