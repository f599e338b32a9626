//! Frequencies follow the facts: whenever a holding is re-evaluated (a rule set activated, its
//! product re-rated, the investor's level or details changed, a complaint opened or resolved)
//! and the decision gives it another periodic frequency, its next periodic callback is
//! re-planned one new interval after the last completed one (or after cooling-off, if none was
//! completed), never before `t` (now, or the start of an activation's re-evaluation): sooner for
//! a higher frequency, later for a lower one. A callback already tried (a record its supervisor
//! returned) is not the next call and is left as it is.

use chrono::{DateTime, Duration, Utc};

use super::cooling;
use crate::callbacks::planner::{self, Held};
use crate::config::CallbackPolicy;
use crate::domain::state::{CallbackKind, CallbackStatus};
use crate::rules::catalogue::Catalogue;
use crate::store::callback_schedule;
use crate::store::decisions::StoredDecision;
use crate::store::staff::Staff;
use crate::store::{Conn, audit as trail};
use crate::workflow::Result;

/// Re-plans `held`'s next periodic callback if `decision` gives it another frequency than the
/// one it is planned at. An overdue periodic callback is left to be done as it is. Returns the
/// id of the callback re-planned or planned, if any; the change is audited as `callback.replan`
/// (or `callback.plan` for a new one) by `actor`, or the system.
pub async fn follow(
    c: &mut Conn<'_>,
    catalogue: &Catalogue,
    policy: &CallbackPolicy,
    actor: Option<&Staff>,
    held: Held<'_>,
    decision: &StoredDecision,
    t: DateTime<Utc>,
) -> Result<Option<String>> {
    let Some(frequency) = decision.outcome.periodic else {
        return Ok(None);
    };
    let current = callback_schedule::workable_periodics(c, held.order_id).await?;
    if current
        .iter()
        .any(|cb| cb.status == CallbackStatus::Overdue || cb.reason == frequency.as_str())
    {
        return Ok(None);
    }
    let anchor = callback_schedule::last_completed_periodic(c, held.order_id)
        .await?
        .unwrap_or(held.cooling_off_ends_at);
    let due_from = planner::add_months(anchor, frequency.months()).max(t);
    let due_by = due_from + Duration::days(i64::from(policy.periodic_window_days));
    let group = planner::periodic_group(catalogue, decision.outcome.verdict);
    let checks = planner::group_checks(catalogue, group);
    let (id, from, change_due) = match current.into_iter().next() {
        Some(mut cb) => {
            let from = std::mem::replace(&mut cb.reason, frequency.as_str().to_string());
            cb.checks = checks;
            cb.decision_id = Some(decision.id.clone());
            cb.due_from = due_from;
            cb.due_by = due_by;
            let cb = match cooling::window_end(c, held.investor_id, t).await? {
                Some(end) => cooling::deferred(cb, end),
                None => cb,
            };
            if !callback_schedule::replan(c, &cb).await? {
                return Ok(None);
            }
            (cb.id, Some(from), (cb.due_from, cb.due_by))
        }
        None => {
            let cb = planner::task(
                held,
                CallbackKind::Periodic,
                frequency.as_str(),
                (due_from, due_by),
                checks,
                Some(&decision.id),
                t,
            );
            let cb = cooling::plan(c, cb, t).await?;
            (cb.id, None, (cb.due_from, cb.due_by))
        }
    };
    let change = serde_json::json!({
        "order_id": held.order_id, "from": from, "to": frequency.as_str(),
        "due_from": change_due.0, "due_by": change_due.1, "decision_id": decision.id,
        "ruleset_version": decision.ruleset_version,
    });
    let who = match actor {
        Some(s) => trail::Actor::staff(s),
        None => trail::Actor::system(),
    };
    let action = if from.is_some() {
        "callback.replan"
    } else {
        "callback.plan"
    };
    trail::append(c, &who, action, "callback", &id, &change).await?;
    Ok(Some(id))
}
