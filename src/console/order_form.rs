//! The order form: the decision it is about (what must be acknowledged, with which evidence),
//! signing and payment times, the acknowledgments and their evidence, and an idempotency key so
//! a double click or a resent form places one order. A warning letter the investor signed through
//! their own link is shown as done: the sale workflow attaches it.

use chrono::{NaiveDateTime, TimeZone, Utc};
use maud::{Markup, html};
use serde_json::{Value, json};

use super::check::{requirement_zh, verdict_zh};
use super::form::{self, Fields, Problems};
use super::layout::when;
use super::session::Signed;
use crate::config::business_offset;
use crate::decide::DecisionView;
use crate::domain::FieldProblem;
use crate::domain::money::RawAmount;
use crate::http::AppState;
use crate::store::invitations::Signature;
use crate::store::orders::Evidence;
use crate::workflow::{WorkflowError, sale, signed_evidence};

/// What the form is drawn from.
pub struct Draft<'a> {
    pub investor: &'a str,
    pub product: &'a str,
    pub amount: &'a str,
    pub fields: &'a Fields,
    pub problems: &'a Problems,
    pub decision: Option<&'a DecisionView>,
    /// The warning letter the investor signed for this product on the decision's assessment.
    pub letter: Option<&'a Signature>,
    /// Draw a new idempotency key: the form's key already placed a different order.
    pub new_key: bool,
}

/// The decision the form is about, if it can be made, with the letter signed for it.
pub struct Prepared {
    pub decision: DecisionView,
    pub letter: Option<Signature>,
}

/// A `datetime-local` value (Beijing time) as the API's UTC time.
pub fn utc_of(local: &str) -> Option<String> {
    let local = local.trim();
    let t = NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M"))
        .ok()?;
    let t = business_offset().from_local_datetime(&t).single()?;
    Some(t.with_timezone(&Utc).to_rfc3339())
}

/// Now, as a default for the form's times: rounded up to the second the field can show, so a
/// sale right after an assessment is never dated before it.
pub fn now_local() -> String {
    (Utc::now() + chrono::Duration::seconds(1))
        .with_timezone(&business_offset())
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

pub fn order_form(state: &AppState, signed: &Signed, draft: &Draft<'_>) -> Markup {
    let (investor, product, amount, fields, p, decision, letter) = (
        draft.investor,
        draft.product,
        draft.amount,
        draft.fields,
        draft.problems,
        draft.decision,
        draft.letter,
    );
    let v = |name: &str, default: &str| {
        form::value(fields, name)
            .map(str::to_string)
            .unwrap_or_else(|| default.to_string())
    };
    let key = form::value(fields, "idempotency_key")
        .filter(|_| !draft.new_key)
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
                        @let by_letter = r.as_str() == signed_evidence::REQUIREMENT && letter.is_some();
                        @if let (true, Some(l)) = (by_letter, letter) {
                            p.notice.ok data-field="warning_letter" {
                                "投资者已于 " (when(l.signed_at)) " 通过自助链接签署风险不匹配警示函，提交时自动作为凭证附上。"
                            }
                        }
                        @for kind in catalogue.evidence_for(r) {
                            @if by_letter && signed_evidence::SATISFIES.contains(&kind.as_str()) {
                            } @else if kind == crate::workflow::assessment_review::EVIDENCE_KIND {
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

/// The decision the form is about, and the warning letter the investor signed on its assessment.
pub async fn prepare(
    state: &AppState,
    signed: &Signed,
    investor: &str,
    product: &str,
    amount: &str,
) -> Result<Prepared, WorkflowError> {
    let money = sale::parse_amount(&RawAmount(amount.trim().to_string()))?;
    let decision = sale::check(
        &state.db,
        &state.ctx(),
        &signed.staff,
        investor,
        product,
        money,
    )
    .await?;
    let assessment = decision.investor.assessment_id.as_deref();
    let mut pooled = state.db.acquire().await?;
    let signed = signed_evidence::signed_on(&mut pooled.conn(), investor, assessment).await?;
    let letter = signed_evidence::letter_for(&signed, product, Utc::now()).cloned();
    Ok(Prepared { decision, letter })
}

/// The form as the API's order body.
pub fn body_of(fields: &Fields) -> Result<Value, Problems> {
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
