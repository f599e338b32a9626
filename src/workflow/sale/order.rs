//! Placing an order on its decision: the requirements it asks for, the evidence, the stored
//! decision and the callbacks it plans, in the caller's transaction.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::decide;
use super::holding::store_decision;
use super::order_checks::{check_new_order, evidence_of};
use crate::callbacks::planner;
use crate::decide::DecisionView;
use crate::domain::Money;
use crate::domain::state::{DecisionPurpose, OrderStatus};
use crate::rules::Verdict;
use crate::store::orders::{self, Evidence, EvidenceItem, Order};
use crate::store::staff::Staff;
use crate::store::{Conn, assessments, investors, new_id, now, products, truncate_micros};
use crate::workflow::callbacks::{CallbackView, callback_view, cooling};
use crate::workflow::{
    Ctx, Result, WorkflowError, assessment_review, audit, scope, signed_evidence,
};

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
pub(super) async fn views(
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
