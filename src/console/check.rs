//! Checking a product before recommending it: pick a product and an amount, and read the decision
//! in plain Chinese — the verdict, its reasons, what must happen before the sale (a checklist),
//! and the callbacks that will follow. The same `sale::check` as `POST /v1/suitability/check`;
//! nothing is stored, so the form is a GET.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;

use super::form::{self, Problems};
use super::layout::{self, may};
use super::session::Signed;
use crate::decide::DecisionView;
use crate::domain::money::RawAmount;
use crate::http::AppState;
use crate::rules::{Frequency, Verdict};
use crate::store::products::Product;
use crate::workflow::{WorkflowError, investors, products, sale};

const SECTION: &str = "/console/investors";

pub fn router() -> Router<AppState> {
    Router::new().route("/console/investors/{id}/check", get(check))
}

#[derive(Deserialize)]
pub struct CheckQuery {
    product_id: Option<String>,
    amount: Option<String>,
}

pub fn verdict_zh(v: Verdict) -> (&'static str, &'static str) {
    match v {
        Verdict::Match => ("适当：可以销售", "ok"),
        Verdict::Mismatch => ("风险不匹配：须履行特别程序后方可销售", "warn"),
        Verdict::Reject => ("不适当：不得销售", "bad"),
    }
}

/// A requirement as the checklist names it.
pub fn requirement_zh(code: &str) -> String {
    match code {
        "dual_recording" => "销售过程录音录像（双录）".into(),
        "mismatch_warning_signed" => "投资者签署风险不匹配警示函并确认坚持购买".into(),
        "reassessment" => "重新进行风险承受能力评估".into(),
        "risk_disclosure_signed" => "投资者签署风险揭示书".into(),
        "assessment_review" => "风控复核本次评估".into(),
        other => other.to_string(),
    }
}

fn frequency_zh(f: Frequency) -> &'static str {
    match f {
        Frequency::Monthly => "每月",
        Frequency::Quarterly => "每季度",
        Frequency::Semiannual => "每半年",
        Frequency::Annual => "每年",
    }
}

fn decision(
    v: &DecisionView,
    investor_id: &str,
    product_id: &str,
    amount: &str,
    signed: &Signed,
) -> Markup {
    let (verdict, tone) = verdict_zh(v.outcome.verdict);
    html! {
        section.card {
            p { span class={ "badge " (tone) } data-field="verdict" data-verdict=(v.outcome.verdict.as_str()) { (verdict) } }
            p data-field="explanation" { (v.explanation) }
            @if !v.outcome.reasons.is_empty() {
                h2 { "原因" }
                ul { @for r in &v.outcome.reasons { li data-reason=(r.code.as_str()) { (r.message.as_str()) } } }
            }
            @if !v.outcome.requirements.is_empty() {
                h2 { "销售前须完成" }
                ul.checklist {
                    @for r in &v.outcome.requirements {
                        li data-requirement=(r.as_str()) { "☐ " (requirement_zh(r)) }
                    }
                }
            }
            h2 { "后续回访" }
            ul {
                li { "投资冷静期满后进行确认回访，核对 " (v.outcome.checks.len()) " 项。" }
                @if let Some(f) = v.outcome.periodic { li data-field="periodic" { "此后" (frequency_zh(f)) "定期回访。" } }
                @for s in &v.outcome.special_callbacks {
                    li { "特定回访（" (crate::callbacks::export::purpose(crate::domain::state::CallbackKind::Special, &s.reason)) "）：" (s.due_in_days) " 日内。" }
                }
            }
            p.muted { "规则集版本 " span data-field="ruleset_version" { (v.outcome.ruleset_version) } }
            @if v.outcome.verdict != Verdict::Reject && may(&signed.staff, "POST", "/v1/orders") {
                p { a.button href={ "/console/orders/new?investor=" (investor_id) "&product=" (product_id) "&amount=" (form::url_encode(amount)) } { "下单" } }
            }
        }
    }
}

fn picker(investor_id: &str, all: &[Product], q: &CheckQuery, p: &Problems) -> Markup {
    let chosen = q.product_id.as_deref().unwrap_or("");
    html! {
        (p.banner())
        form.card method="get" action={ "/console/investors/" (investor_id) "/check" } {
            label for="product_id" { "产品" }
            select #product_id name="product_id" required {
                option value="" { "请选择" }
                @for prod in all {
                    option value=(prod.id) selected[prod.id == chosen] { (prod.name) "（" (prod.code) "，" (prod.risk_rating) "）" }
                }
            }
            (p.at("product_id"))
            label for="amount" { "认购金额（元）" }
            input #amount type="text" inputmode="decimal" name="amount" value=(q.amount.clone().unwrap_or_default()) required;
            (p.at("amount"))
            p { button type="submit" { "检查适当性" } }
        }
    }
}

async fn check(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Query(q): Query<CheckQuery>,
) -> Response {
    if !may(&signed.staff, "POST", "/v1/suitability/check") {
        return layout::forbidden(&signed);
    }
    let loaded = async {
        let mut tx = state.db.begin().await?;
        let i = investors::get(&mut tx.conn(), &state.ctx(), &signed.staff, &id, false).await?;
        let all = products::list(&mut tx.conn(), None, 500).await?;
        tx.commit().await?;
        Ok::<_, WorkflowError>((i, all.items))
    }
    .await;
    let (i, all) = match loaded {
        Ok(x) => x,
        Err(e) => return layout::unavailable(&signed, "投资者", e),
    };
    let title = format!("适当性检查：{}", i.name);
    let render = |p: &Problems, result: Option<Markup>, status| {
        let body = html! { (picker(&id, &all, &q, p)) @if let Some(r) = result { (r) } };
        layout::respond(status, layout::page(Some(&signed), SECTION, &title, body))
    };
    let (Some(product_id), Some(amount)) = (
        q.product_id.as_deref().filter(|s| !s.is_empty()),
        q.amount.as_deref().filter(|s| !s.is_empty()),
    ) else {
        return render(&Problems::default(), None, StatusCode::OK);
    };
    let decided = async {
        let money = sale::parse_amount(&RawAmount(amount.trim().to_string()))?;
        let ctx = state.ctx();
        sale::check(&state.db, &ctx, &signed.staff, &id, product_id, money).await
    }
    .await;
    match decided {
        Ok(v) => {
            let shown = decision(&v, &id, product_id, amount, &signed);
            render(&Problems::default(), Some(shown), StatusCode::OK)
        }
        Err(e) => match form::refusal(&e) {
            Some(p) => render(&p, None, StatusCode::UNPROCESSABLE_ENTITY),
            None => layout::failure(&e.to_string()),
        },
    }
}
