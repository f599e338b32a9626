//! The sale: the decision for an investor, a product and an amount; placing the order on it with
//! the requirements it asks for, its stored decision and the callbacks it plans, in one
//! transaction; and re-evaluating a holding with the active rules.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::callbacks::{CallbackView, callback_view, cooling};
use super::{Ctx, Result, WorkflowError, assessment_review, audit, scope, signed_evidence};
use crate::callbacks::planner;
use crate::config::Policy;
use crate::decide::{DecisionView, RECENT_COMPLAINT_DAYS, facts_of_row};
use crate::domain::money::RawAmount;
use crate::domain::state::{DecisionPurpose, OrderStatus};
use crate::domain::{FieldProblem, Money};
use crate::rules::Verdict;
use crate::rules::catalogue::Catalogue;
use crate::rules::pool::Pool;
use crate::store::decisions::{self, StoredDecision};
use crate::store::orders::{self, Evidence, EvidenceItem, Order};
use crate::store::staff::Staff;
use crate::store::{
    Conn, assessments, callbacks, holdings, investors, new_id, now, products, truncate_micros,
};

/// How far in the future a signing or payment time may lie (clock skew between systems).
pub const FUTURE_TOLERANCE_SECS: i64 = 60;
/// Limits on what an order may carry.
pub const MAX_REQUIREMENT_CODE: usize = 64;
pub const MAX_RECORDING_REF: usize = 500;

/// Parses an order amount: positive, at most two decimals.
pub fn parse_amount(raw: &RawAmount) -> Result<Money> {
    let amount = raw.parse().map_err(|e| WorkflowError::field("amount", e))?;
    if amount == Money::ZERO {
        return Err(WorkflowError::field("amount", "must be greater than zero"));
    }
    Ok(amount)
}

/// What the rules need for this sale (one query), as of `as_of`: the assessment is the latest
/// taken by then (complaints are counted as of now).
async fn sale_row(
    c: &mut Conn<'_>,
    investor_id: &str,
    product_id: &str,
    as_of: DateTime<Utc>,
) -> Result<Option<holdings::FactRow>> {
    let since = now() - Duration::days(RECENT_COMPLAINT_DAYS);
    Ok(holdings::sale_facts(c, investor_id, product_id, since, as_of).await?)
}

/// Which of the two was not found.
async fn missing(c: &mut Conn<'_>, investor_id: &str) -> WorkflowError {
    match investors::exists(c, investor_id).await {
        Ok(true) => WorkflowError::NotFound("product"),
        Ok(false) => WorkflowError::NotFound("investor"),
        Err(e) => e.into(),
    }
}

/// Loads what the rules need for this sale and evaluates the active rule set, as of `as_of`:
/// the assessment is the latest taken by then, the investor is of the type its latest
/// classification by then made it, and validity and age are those of that moment (complaints
/// are counted as of now).
pub async fn decide(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    investor_id: &str,
    product_id: &str,
    amount: Money,
    as_of: DateTime<Utc>,
) -> Result<DecisionView> {
    match sale_row(c, investor_id, product_id, as_of).await? {
        Some(row) => decide_on(ctx, row, product_id, amount, as_of).await,
        None => Err(missing(c, investor_id).await),
    }
}

async fn decide_on(
    ctx: &Ctx<'_>,
    row: holdings::FactRow,
    product_id: &str,
    amount: Money,
    as_of: DateTime<Utc>,
) -> Result<DecisionView> {
    if row.product.liquidated_at.is_some() {
        return Err(WorkflowError::conflict(
            "product_liquidated",
            "the product has been wound up (清算): it is sold no more",
        ));
    }
    let facts = facts_of_row(&row, amount, ctx.policy, as_of.min(now()))?;
    let (facts, outcome) = Pool::global().evaluate(ctx.rules.clone(), facts).await?;
    let outcome = outcome.map_err(WorkflowError::RuleFailed)?;
    let investor_id = row.investor.investor_id.as_str();
    let mut view = DecisionView::new(Some(investor_id), Some(product_id), facts, outcome);
    view.investor.assessment_id = row.investor.assessment_id;
    Ok(view)
}

/// The decision for a prospective sale, for an actor who may see the investor. Whether they
/// may is read from the facts' own row where the owner decides it (one round trip, not two);
/// an investor they may not see is not found, as if there were none.
pub async fn check(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    investor_id: &str,
    product_id: &str,
    amount: Money,
) -> Result<DecisionView> {
    let t = now();
    let row = sale_row(c, investor_id, product_id, t).await?;
    let visible = match (
        &row,
        scope::sees_by_owner(
            actor,
            row.as_ref().map(|r| r.investor.sales_owner_id.as_str()),
        ),
    ) {
        (Some(_), Some(visible)) => visible,
        _ => {
            scope::investor(c, actor, investor_id).await?;
            true
        }
    };
    match row {
        Some(row) if visible => decide_on(ctx, row, product_id, amount, t).await,
        Some(_) => Err(WorkflowError::NotFound("investor")),
        None => Err(missing(c, investor_id).await),
    }
}

/// An order as sales submit it, once the contract is signed and paid.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub investor_id: String,
    pub product_id: String,
    pub amount: Money,
    pub signed_at: DateTime<Utc>,
    pub paid_at: DateTime<Utc>,
    /// The requirements met before the sale (e.g. "mismatch_warning_signed", "dual_recording").
    pub acknowledgments: Vec<String>,
    /// Where the dual recording (双录) or signed documents are kept.
    pub recording_ref: Option<String>,
    /// The evidence behind each acknowledged requirement.
    pub evidence: Evidence,
}

/// The order placed, the decision it was placed on and the callbacks it planned.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlacedOrder {
    #[serde(flatten)]
    pub order: Order,
    pub decision: DecisionView,
    pub callbacks: Vec<CallbackView>,
}

/// Checks the order's own fields; returns its acknowledgments without duplicates.
fn check_new_order(o: &NewOrder, t: DateTime<Utc>, policy: &Policy) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let earliest = (t - Duration::days(i64::from(policy.max_backdate_days))).max(EARLIEST_DATE);
    for (field, at) in [("signed_at", o.signed_at), ("paid_at", o.paid_at)] {
        if at > t + Duration::seconds(FUTURE_TOLERANCE_SECS) {
            problems.push(FieldProblem::new(field, "must not be in the future"));
        } else if at < EARLIEST_DATE {
            problems.push(FieldProblem::new(field, "must not be before 2000-01-01"));
        } else if at < earliest {
            problems.push(FieldProblem::new(
                field,
                format!(
                    "must not be more than {} days in the past",
                    policy.max_backdate_days
                ),
            ));
        }
    }
    let mut acks: Vec<String> = Vec::new();
    for (i, a) in o.acknowledgments.iter().enumerate() {
        let ok = !a.is_empty()
            && a.len() <= MAX_REQUIREMENT_CODE
            && a.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            problems.push(FieldProblem::new(
                format!("acknowledgments[{i}]"),
                "must be a requirement code",
            ));
        } else if !acks.contains(a) {
            acks.push(a.clone());
        }
    }
    // A risk review is a record of its own, never something an order says it has.
    for (req, items) in &o.evidence {
        if req == assessment_review::REQUIREMENT
            || items
                .iter()
                .any(|e| e.kind == assessment_review::EVIDENCE_KIND)
        {
            problems.push(FieldProblem::new(
                format!("evidence.{req}"),
                "a risk review is recorded by risk staff (POST /v1/assessments/{id}/review), not given with an order",
            ));
        }
        // Likewise a signature through the investor's link: the service finds and attaches it.
        for (i, e) in items.iter().enumerate() {
            if e.reference.trim_start().starts_with("signature:") {
                problems.push(FieldProblem::new(
                    format!("evidence.{req}[{i}]"),
                    "a signature through the investor's link is attached by the service, not given with an order",
                ));
            }
        }
    }
    if o.recording_ref
        .as_ref()
        .is_some_and(|r| r.trim().is_empty() || r.len() > MAX_RECORDING_REF)
    {
        problems.push(FieldProblem::new(
            "recording_ref",
            format!("must be 1 to {MAX_RECORDING_REF} characters"),
        ));
    }
    if problems.is_empty() {
        Ok(acks)
    } else {
        Err(WorkflowError::Invalid(problems))
    }
}

/// The evidence behind each acknowledged requirement, checked against what the rule set's
/// catalogue says satisfies it (a requirement's words alone satisfy nothing). The order's
/// `recording_ref` counts as the `recording` of any requirement that needs one.
fn evidence_of(
    new: &NewOrder,
    acks: &[String],
    required: &[String],
    catalogue: &Catalogue,
) -> Result<Evidence> {
    let mut problems = Vec::new();
    let mut evidence = Evidence::new();
    for (req, items) in &new.evidence {
        if !acks.contains(req) {
            problems.push(FieldProblem::new(
                format!("evidence.{req}"),
                "is not an acknowledged requirement",
            ));
        }
        for (i, item) in items.iter().enumerate() {
            if item.kind.trim().is_empty()
                || item.reference.trim().is_empty()
                || item.reference.chars().count() > MAX_RECORDING_REF
            {
                problems.push(FieldProblem::new(
                    format!("evidence.{req}[{i}]"),
                    format!("needs a kind and a ref of 1 to {MAX_RECORDING_REF} characters"),
                ));
            }
        }
    }
    // Only what the decision requires must be proven; anything else acknowledged keeps what
    // evidence was given.
    for req in acks {
        if req == assessment_review::REQUIREMENT {
            continue;
        }
        let mut given = new.evidence.get(req).cloned().unwrap_or_default();
        if !required.contains(req) {
            if !given.is_empty() {
                evidence.insert(req.clone(), given);
            }
            continue;
        }
        if let Some(r) = &new.recording_ref
            && catalogue.evidence_for(req).iter().any(|k| k == "recording")
            && !given.iter().any(|e| e.kind == "recording")
        {
            given.push(EvidenceItem {
                kind: "recording".into(),
                reference: r.clone(),
            });
        }
        for kind in catalogue.evidence_for(req) {
            if !given.iter().any(|e| &e.kind == kind) {
                problems.push(FieldProblem::new(
                    format!("evidence.{req}"),
                    format!("missing the evidence '{kind}' that '{req}' needs"),
                ));
            }
        }
        if !given.is_empty() {
            evidence.insert(req.clone(), given);
        }
    }
    if problems.is_empty() {
        Ok(evidence)
    } else if problems
        .iter()
        .all(|p| p.problem.starts_with("missing the evidence"))
    {
        Err(WorkflowError::Unprocessable {
            code: "evidence_missing",
            problems,
        })
    } else {
        Err(WorkflowError::Invalid(problems))
    }
}

/// No order of this service can predate it: an earlier date is a typing error.
const EARLIEST_DATE: DateTime<Utc> = DateTime::from_timestamp_nanos(946_684_800_000_000_000);

/// Places an order: refused when the rules reject the sale or a requirement of the decision is
/// not acknowledged; else the order (cooling off), its stored decision and its callbacks.
pub async fn place_order(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    mut new: NewOrder,
) -> Result<PlacedOrder> {
    let t = now();
    let mut acks = check_new_order(&new, t, ctx.policy)?;
    scope::investor(c, actor, &new.investor_id).await?;
    // Decided as of signing: on the assessment the investor had then, not one taken since.
    let view = decide(
        c,
        ctx,
        &new.investor_id,
        &new.product_id,
        new.amount,
        new.signed_at,
    )
    .await?;
    if view.investor.assessment_id.is_none()
        && assessments::latest_for(c, &new.investor_id)
            .await?
            .is_some()
    {
        return Err(WorkflowError::AssessedAfterSigning(Box::new(view)));
    }
    if view.outcome.verdict == Verdict::Reject {
        return Err(WorkflowError::SuitabilityRejected(Box::new(view)));
    }
    // `assessment_review` is satisfied by the review record alone: never by what sales say.
    let review = assessment_review::accepted(c, view.investor.assessment_id.as_deref()).await?;
    acks.retain(|a| a != assessment_review::REQUIREMENT);
    if review.is_some() {
        acks.push(assessment_review::REQUIREMENT.to_string());
    }
    let missing: Vec<String> = view
        .outcome
        .requirements
        .iter()
        .filter(|r| !acks.iter().any(|a| a == r.as_str()))
        .map(|r| r.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(WorkflowError::RequirementsMissing {
            decision: Box::new(view),
            missing,
        });
    }
    let required: Vec<String> = view
        .outcome
        .requirements
        .iter()
        .map(|r| r.to_string())
        .collect();
    let signed =
        signed_evidence::signed_on(c, &new.investor_id, view.investor.assessment_id.as_deref())
            .await?;
    let signing = signed_evidence::Signing {
        product_id: &new.product_id,
        contract_signed_at: new.signed_at,
        acks: &acks,
    };
    signed_evidence::attach(&signed, &signing, &mut new.evidence);
    let mut evidence = evidence_of(&new, &acks, &required, ctx.rules.catalogue())?;
    if let Some(r) = review {
        evidence.insert(
            assessment_review::REQUIREMENT.to_string(),
            vec![EvidenceItem {
                kind: assessment_review::EVIDENCE_KIND.into(),
                reference: format!("assessment_review:{}", r.assessment_id),
            }],
        );
    }
    let decision = store_decision(
        c,
        &view,
        (&new.investor_id, &new.product_id),
        DecisionPurpose::Order,
        Some(actor),
        t,
    )
    .await?;
    let signed_at = truncate_micros(new.signed_at);
    let paid_at = truncate_micros(new.paid_at);
    let policy = &ctx.policy.callbacks;
    let order = Order {
        id: new_id(),
        investor_id: new.investor_id,
        product_id: new.product_id,
        amount: new.amount,
        status: OrderStatus::CoolingOff,
        signed_at,
        paid_at,
        cooling_off_ends_at: signed_at.max(paid_at)
            + Duration::hours(i64::from(policy.cooling_off_hours)),
        acknowledgments: acks,
        recording_ref: new.recording_ref,
        evidence,
        decision_id: decision.id.clone(),
        created_by: actor.id.clone(),
        created_at: t,
        status_changed_at: t,
    };
    orders::insert(c, &order).await?;
    let planned = planner::for_new_order(
        &order,
        &view.outcome,
        ctx.rules.catalogue(),
        &decision.id,
        policy,
        t,
    );
    // No contact while any window of the investor's is open: their other callbacks wait too.
    cooling::defer_open(c, &order.investor_id, order.cooling_off_ends_at).await?;
    let mut deferred = Vec::with_capacity(planned.len());
    for cb in planned {
        deferred.push(cooling::plan(c, cb, t).await?);
    }
    let planned = deferred;
    let placed = PlacedOrder {
        callbacks: views(c, ctx, &order, planned).await?,
        order,
        decision: view,
    };
    audit::record(c, actor, "order.create", "order", &placed.order.id, &placed).await?;
    // Each callback planned with the order is a row of its own, with its own entry.
    for cb in &placed.callbacks {
        let change =
            serde_json::json!({"order_id": placed.order.id, "kind": cb.kind, "reason": cb.reason});
        audit::record(c, actor, "callback.plan", "callback", &cb.id, &change).await?;
    }
    tracing::info!(order = %placed.order.id, verdict = placed.decision.outcome.verdict.as_str(), "order placed");
    Ok(placed)
}

/// The views of an order's callbacks (its investor and product read once).
async fn views(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    order: &Order,
    cbs: Vec<crate::store::callbacks::Callback>,
) -> Result<Vec<CallbackView>> {
    let investor = investors::get(c, ctx.vault, &order.investor_id)
        .await?
        .ok_or(WorkflowError::NotFound("investor"))?;
    let product = products::get(c, &order.product_id)
        .await?
        .ok_or(WorkflowError::NotFound("product"))?;
    Ok(cbs
        .into_iter()
        .map(|cb| callback_view(cb, &investor, Some(&product), None))
        .collect())
}

/// Re-evaluates a holding (an order cooling off or confirmed) with the active rules as of now,
/// and stores the decision with `purpose`. An existing holding is not a first purchase.
pub async fn reevaluate_holding(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    order: &Order,
    purpose: DecisionPurpose,
    actor: Option<&Staff>,
) -> Result<StoredDecision> {
    let view = decide(
        c,
        ctx,
        &order.investor_id,
        &order.product_id,
        order.amount,
        now(),
    )
    .await?;
    store_decision(
        c,
        &view,
        (&order.investor_id, &order.product_id),
        purpose,
        actor,
        now(),
    )
    .await
}

/// Stores the decision `view` for an investor and a product, taken for `purpose` by `actor`
/// (None: the service itself) at `t`, with the facts it saw and the assessment it rests on.
pub(crate) async fn store_decision(
    c: &mut Conn<'_>,
    view: &DecisionView,
    (investor_id, product_id): (&str, &str),
    purpose: DecisionPurpose,
    actor: Option<&Staff>,
    t: DateTime<Utc>,
) -> Result<StoredDecision> {
    let stored = StoredDecision {
        id: new_id(),
        investor_id: investor_id.to_string(),
        product_id: product_id.to_string(),
        purpose,
        ruleset_version: view.outcome.ruleset_version,
        facts: view.facts.clone(),
        outcome: view.outcome.clone(),
        created_by: actor.map(|a| a.id.clone()),
        created_at: t,
        assessment_id: view.investor.assessment_id.clone(),
    };
    decisions::insert(c, &stored).await?;
    Ok(stored)
}

/// One order with its callbacks.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrderDetail {
    #[serde(flatten)]
    pub order: Order,
    pub callbacks: Vec<CallbackView>,
}

pub async fn order_detail(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    id: &str,
) -> Result<OrderDetail> {
    let order = scope::order(c, actor, id).await?;
    let cbs = callbacks::for_order(c, id).await?;
    Ok(OrderDetail {
        callbacks: views(c, ctx, &order, cbs).await?,
        order,
    })
}

/// The investor's orders, oldest first.
pub async fn investor_orders(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    investor_id: &str,
) -> Result<Vec<Order>> {
    scope::investor(c, actor, investor_id).await?;
    investors::get(c, ctx.vault, investor_id)
        .await?
        .ok_or(WorkflowError::NotFound("investor"))?;
    Ok(orders::for_investor(c, investor_id).await?)
}
