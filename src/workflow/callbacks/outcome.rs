//! Recording what happened on a callback, and all that follows from it: the callback closes
//! (completed, failed or escalated), a confirmation confirms or voids its order, failures and
//! unreachable investors escalate to compliance, and a periodic callback plans the next one.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::escalate::escalate;
use super::{CallbackView, load_view};
use crate::domain::state::{
    CallbackKind, CallbackStatus, EscalationReason, OrderStatus, OutcomeResult,
};
use crate::store::callback_records::{self, Issue, Outcome};
use crate::store::callbacks::{self, Callback};
use crate::store::escalations::Escalation;
use crate::store::orders;
use crate::store::staff::Staff;
use crate::store::{Conn, investors, new_id, now, products};
use crate::workflow::{Ctx, Result, WorkflowError, audit, duties, events};

pub use super::form::{MAX_NOTES, METHODS, Report};

/// The outcome and everything it changed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Recorded {
    pub callback: CallbackView,
    pub outcome: Outcome,
    /// The open issues (遗留问题) this record raised, now tracked.
    pub open_issues: Vec<Issue>,
    /// The order's status after this outcome; null for a complaint follow-up.
    pub order_status: Option<OrderStatus>,
    pub escalation: Option<Escalation>,
    /// The next periodic callback, when this one was periodic.
    pub next: Option<CallbackView>,
}

fn lost() -> WorkflowError {
    WorkflowError::conflict(
        "callback_closed",
        "the callback changed meanwhile; reload it",
    )
}

/// The callback, if the actor may record on it now: open, claimed by them, due.
fn ensure_recordable(cb: &Callback, actor: &Staff, t: DateTime<Utc>) -> Result<()> {
    if !cb.status.is_workable() {
        return Err(WorkflowError::conflict(
            "callback_closed",
            format!("the callback is {}", cb.status),
        ));
    }
    match &cb.assignee_id {
        None => {
            return Err(WorkflowError::conflict(
                "not_claimed",
                "claim the callback before recording its outcome",
            ));
        }
        Some(a) if *a != actor.id => {
            return Err(WorkflowError::forbidden(
                "not_assignee",
                "another planner holds this callback",
            ));
        }
        Some(_) => {}
    }
    if t < cb.due_from {
        let due = cb.due_from.to_rfc3339();
        return Err(match cb.kind {
            CallbackKind::Periodic => {
                WorkflowError::conflict("not_due", format!("this callback is due from {due}"))
            }
            CallbackKind::Confirmation | CallbackKind::Special => WorkflowError::conflict(
                "cooling_off_not_over",
                format!("cooling-off ends at {due}; no contact before"),
            ),
        });
    }
    Ok(())
}

/// Records what happened on a callback. All checks confirmed: completed (a confirmation confirms
/// the order). Any check denied: failed (a confirmation rescinds the order) and an escalation
/// opens for compliance. Not reached: an attempt is counted; the last allowed attempt escalates
/// (and an unreachable confirmation voids the order).
pub async fn record(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    id: &str,
    report: Report,
) -> Result<Recorded> {
    let t = now();
    let cb = callbacks::get(c, id)
        .await?
        .ok_or(WorkflowError::NotFound("callback"))?;
    let investor = investors::get(c, ctx.vault, &cb.investor_id)
        .await?
        .ok_or(WorkflowError::NotFound("investor"))?;
    duties::may_work_callback(c, actor, &investor).await?;
    ensure_recordable(&cb, actor, t)?;
    if let Some(end) = super::cooling::window_end(c, &cb.investor_id, t).await? {
        return Err(WorkflowError::conflict(
            "cooling_off_not_over",
            format!(
                "an order of this investor cools off until {}; no contact before",
                end.to_rfc3339()
            ),
        ));
    }
    super::form::validate(&report, &cb, investor.kind)?;
    // A complaint follow-up belongs to no order.
    let order = match &cb.order_id {
        Some(order_id) => Some(
            orders::get(c, order_id)
                .await?
                .ok_or(WorkflowError::NotFound("order"))?,
        ),
        None => None,
    };
    let failed: Vec<String> = report
        .answers
        .iter()
        .filter(|(_, ok)| !**ok)
        .map(|(code, _)| code.clone())
        .collect();
    let result = match (report.reached, failed.is_empty()) {
        (false, _) => OutcomeResult::NotReached,
        (true, true) => OutcomeResult::Completed,
        (true, false) => OutcomeResult::Failed,
    };
    // Spaced attempts: a retry at once is not a second try, and unreachable means tried on
    // different days.
    let earlier: Vec<DateTime<Utc>> = if report.reached {
        Vec::new()
    } else {
        callback_records::outcomes(c, id)
            .await?
            .into_iter()
            .filter(|o| !o.reached)
            .map(|o| o.recorded_at)
            .collect()
    };
    let policy = &ctx.policy.callbacks;
    if let Some(last) = earlier.iter().max() {
        let gap = chrono::Duration::minutes(i64::from(policy.attempt_gap_minutes));
        if t - *last < gap {
            return Err(WorkflowError::conflict(
                "attempt_too_soon",
                format!(
                    "the last attempt was at {}: try again from {}",
                    last.to_rfc3339(),
                    (*last + gap).to_rfc3339()
                ),
            ));
        }
    }
    let days: std::collections::BTreeSet<chrono::NaiveDate> = earlier
        .iter()
        .chain(std::iter::once(&t))
        .map(|at| {
            at.with_timezone(&crate::config::business_offset())
                .date_naive()
        })
        .collect();
    let mut order_status = order.as_ref().map(|o| o.status);
    let mut escalation = None;
    let confirmation_of = order
        .as_ref()
        .filter(|_| cb.kind == CallbackKind::Confirmation);
    match result {
        OutcomeResult::NotReached => {
            let attempts = callbacks::count_attempt(c, id, &actor.id)
                .await?
                .ok_or_else(lost)?;
            if attempts >= policy.max_attempts && days.len() >= policy.attempt_min_days as usize {
                close(c, id, CallbackStatus::Escalated, t).await?;
                escalation = Some(
                    escalate(c, &cb, EscalationReason::Unreachable, Vec::new(), None, t).await?,
                );
                // An impossible confirmation voids the order, with a refund (regulation §3).
                if let Some(o) = confirmation_of
                    && crate::workflow::holdings::void(c, actor, o, t, "order rescinded").await?
                {
                    order_status = Some(OrderStatus::Rescinded);
                }
            }
        }
        OutcomeResult::Completed => {
            close(c, id, CallbackStatus::Completed, t).await?;
            if let Some(o) = confirmation_of
                && orders::settle(c, &o.id, OrderStatus::Confirmed, t).await?
            {
                order_status = Some(OrderStatus::Confirmed);
            }
        }
        OutcomeResult::Failed => {
            close(c, id, CallbackStatus::Failed, t).await?;
            if let Some(o) = confirmation_of
                && crate::workflow::holdings::void(c, actor, o, t, "order rescinded").await?
            {
                order_status = Some(OrderStatus::Rescinded);
            }
            escalation =
                Some(escalate(c, &cb, EscalationReason::FailedChecks, failed, None, t).await?);
        }
    }
    // A periodic callback answered either way, or given up as unreachable, schedules the next
    // one at the frequency the active rules give this holding now.
    let planned = match &order {
        Some(o)
            if cb.kind == CallbackKind::Periodic
                && (result != OutcomeResult::NotReached || escalation.is_some())
                && order_status.is_some_and(|s| s.is_held())
                && !periodic_planned(c, &o.id, id).await? =>
        {
            events::next_periodic(c, ctx, actor, o, t).await?
        }
        _ => None,
    };
    // What the agent read, kept as read: the rule set's scripts may change, the record may not.
    let product = match &cb.product_id {
        Some(pid) => products::get(c, pid).await?.map(|p| p.name),
        None => None,
    };
    let script = super::script_for(
        ctx,
        (investor.kind, &investor.name),
        product.as_deref(),
        (cb.kind, &cb.reason),
    );
    let outcome = Outcome {
        id: new_id(),
        callback_id: id.to_string(),
        method: report.method,
        reached: report.reached,
        answers: sqlx::types::Json(report.answers),
        notes: report.notes,
        recording_ref: report.recording_ref,
        result,
        recorded_by: actor.id.clone(),
        recorded_at: t,
        respondent: report.respondent.map(|r| r.trim().to_string()),
        respondent_title: report.respondent_title.map(|r| r.trim().to_string()),
        satisfaction: report.satisfaction.map(sqlx::types::Json),
        opinions: report.opinions,
        script: Some(sqlx::types::Json(script)),
    };
    callback_records::insert_outcome(c, &outcome).await?;
    let mut open_issues = Vec::new();
    for text in report.open_issues {
        let issue = Issue {
            id: new_id(),
            callback_id: id.to_string(),
            outcome_id: outcome.id.clone(),
            investor_id: cb.investor_id.clone(),
            text: text.trim().to_string(),
            opened_at: t,
            closed_by: None,
            resolution: None,
            closed_at: None,
        };
        callback_records::insert_issue(c, &issue).await?;
        open_issues.push(issue);
    }
    let cb = callbacks::get(c, id)
        .await?
        .ok_or(WorkflowError::NotFound("callback"))?;
    let callback = load_view(c, ctx.vault, cb).await?;
    let next = match planned {
        Some(n) => Some(load_view(c, ctx.vault, n).await?),
        None => None,
    };
    audit::record(c, actor, "callback.outcome", "callback", id, &outcome).await?;
    if let (Some(o), Some(status)) = (&order, order_status)
        && status != o.status
    {
        let action = format!("order.{status}");
        let change = serde_json::json!({"callback": id});
        audit::record(c, actor, &action, "order", &o.id, &change).await?;
    }
    if let Some(e) = &escalation {
        audit::record(c, actor, "escalation.open", "escalation", &e.id, e).await?;
    }
    for issue in &open_issues {
        audit::record(c, actor, "callback.issue.open", "callback", id, issue).await?;
    }
    tracing::info!(callback = %id, result = %result, "callback outcome recorded");
    Ok(Recorded {
        callback,
        outcome,
        open_issues,
        order_status,
        escalation,
        next,
    })
}

async fn close(c: &mut Conn<'_>, id: &str, to: CallbackStatus, t: DateTime<Utc>) -> Result<()> {
    if callbacks::close(c, id, to, t).await? {
        Ok(())
    } else {
        Err(lost())
    }
}

/// Whether the order already has a periodic callback to do besides `this` (a record returned by
/// its supervisor and recorded again must not plan a second one).
async fn periodic_planned(c: &mut Conn<'_>, order_id: &str, this: &str) -> Result<bool> {
    Ok(callbacks::for_order(c, order_id)
        .await?
        .iter()
        .any(|cb| cb.id != this && cb.kind == CallbackKind::Periodic && cb.status.is_workable()))
}
