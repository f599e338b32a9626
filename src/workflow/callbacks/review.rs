//! The supervisor's review (主管审阅) of a callback record: a verdict and a comment beside its
//! outcomes, which stay as they were recorded. A returned record goes back to its agent, who
//! records a new outcome; what the first one did (an order confirmed or rescinded, an
//! escalation) stands. Records not reviewed within three working days are listed.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{CallbackView, load_view};
use crate::domain::Role;
use crate::domain::state::{CallbackStatus, ReviewVerdict};
use crate::store::callback_records::{self, Review};
use crate::store::staff::Staff;
use crate::store::{Conn, new_id, now, orders, staff};
use crate::store::{callback_schedule, callbacks};
use crate::workflow::complaints::add_working_days;
use crate::workflow::{Ctx, Result, WorkflowError, audit, duties};

/// The longest review comment.
pub const MAX_COMMENT: usize = 4000;
/// Working days a closed record may wait for its review.
pub const REVIEW_WORKING_DAYS: u32 = 3;
/// How long the agent has to record again after a return.
pub const RETURN_DAYS: i64 = 3;
/// The most records the pending list shows.
pub const MAX_PENDING: i64 = 500;

/// The body of `POST /v1/callbacks/{id}/reviews`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"verdict": "returned", "comment": "满意度未记录，请补充回访"}))]
pub struct ReviewRequest {
    pub verdict: ReviewVerdict,
    pub comment: String,
}

pub async fn review(
    c: &mut Conn<'_>,
    actor: &Staff,
    id: &str,
    req: ReviewRequest,
) -> Result<Review> {
    let comment = crate::domain::text::free_text(&req.comment, MAX_COMMENT)
        .map_err(|problem| WorkflowError::field("comment", problem))?;
    let cb = callbacks::get(c, id)
        .await?
        .ok_or(WorkflowError::NotFound("callback"))?;
    let outcomes = callback_records::outcomes(c, id).await?;
    let agents: Vec<&str> = outcomes.iter().map(|o| o.recorded_by.as_str()).collect();
    duties::may_review(actor, &agents)?;
    let Some(last) = outcomes.last().filter(|_| !cb.status.is_workable()) else {
        return Err(WorkflowError::conflict(
            "not_recorded",
            "a callback is reviewed once an outcome has closed it",
        ));
    };
    // One verdict per record: a record is reviewed again only after it was recorded again.
    let reviews = callback_records::reviews(c, id).await?;
    if let Some(closed) = cb.closed_at
        && reviews.iter().any(|r| r.created_at >= closed)
    {
        return Err(WorkflowError::conflict(
            "already_reviewed",
            "this record has its review; a returned record is reviewed once recorded again",
        ));
    }
    let t = now();
    if req.verdict == ReviewVerdict::Returned {
        return_to_agent(c, &cb, &last.recorded_by, t).await?;
    }
    let review = Review {
        id: new_id(),
        callback_id: id.to_string(),
        reviewer_id: actor.id.clone(),
        verdict: Some(req.verdict),
        comment: comment.to_string(),
        created_at: t,
    };
    callback_records::insert_review(c, &review).await?;
    audit::record(c, actor, "callback.review", "callback", id, &review).await?;
    Ok(review)
}

/// Reopens a completed record for its agent to record again. Only a completed callback on a
/// holding that still lasts (or on none) goes back: a failed one has rescinded its order and
/// opened an escalation, which compliance resolves instead. An agent who no longer works as a
/// planner leaves it in the queue, unassigned.
async fn return_to_agent(
    c: &mut Conn<'_>,
    cb: &callbacks::Callback,
    agent: &str,
    t: DateTime<Utc>,
) -> Result<()> {
    let refuse = |why: String| Err(WorkflowError::conflict("not_returnable", why));
    if cb.status != CallbackStatus::Completed {
        return refuse(format!(
            "a {} callback is not returned to its agent; resolve its escalation instead",
            cb.status
        ));
    }
    if let Some(order_id) = &cb.order_id {
        let held = orders::get(c, order_id)
            .await?
            .is_some_and(|o| o.status.is_held());
        if !held {
            return refuse("the holding has ended: its record stands as recorded".into());
        }
    }
    let active = staff::get(c, agent)
        .await?
        .filter(|s| !s.disabled && s.roles.contains(&Role::Planner));
    let due_by = cb.due_by.max(t + Duration::days(RETURN_DAYS));
    let agent = active.as_ref().map(|s| s.id.as_str());
    if !callback_schedule::reopen(c, &cb.id, agent, due_by).await? {
        return refuse("the callback changed meanwhile; reload it".into());
    }
    Ok(())
}

/// A record waiting for its review past the deadline.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PendingReview {
    pub callback: CallbackView,
    pub closed_at: DateTime<Utc>,
    /// Three working days (Monday to Friday; public holidays are not modelled) after it closed.
    pub review_due_by: DateTime<Utc>,
}

/// Records closed more than three working days ago with no review since, oldest first.
pub async fn pending(c: &mut Conn<'_>, ctx: &Ctx<'_>) -> Result<Vec<PendingReview>> {
    let t = now();
    // Three working days are at least three calendar days: fetch by that, then decide exactly.
    unreviewed(
        c,
        ctx,
        t - Duration::days(REVIEW_WORKING_DAYS.into()),
        |due| due < t,
    )
    .await
}

/// Every closed record with no review since it closed, due or not, oldest first: the
/// supervisor's inbox.
pub async fn awaiting(c: &mut Conn<'_>, ctx: &Ctx<'_>) -> Result<Vec<PendingReview>> {
    unreviewed(c, ctx, now(), |_| true).await
}

async fn unreviewed(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    closed_before: DateTime<Utc>,
    keep: impl Fn(DateTime<Utc>) -> bool,
) -> Result<Vec<PendingReview>> {
    let candidates = callback_schedule::unreviewed_before(c, closed_before, MAX_PENDING).await?;
    let mut found = Vec::new();
    for cb in candidates {
        let Some(closed_at) = cb.closed_at else {
            continue;
        };
        let review_due_by = add_working_days(closed_at, REVIEW_WORKING_DAYS);
        if keep(review_due_by) {
            found.push(PendingReview {
                callback: load_view(c, ctx.vault, cb).await?,
                closed_at,
                review_due_by,
            });
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::business_offset;
    use chrono::TimeZone;

    #[test]
    fn working_days_skip_the_weekend() {
        // Friday 2026-12-04 10:00 in Beijing → Wednesday 2026-12-09 10:00.
        let fri = business_offset()
            .with_ymd_and_hms(2026, 12, 4, 10, 0, 0)
            .single()
            .expect("time");
        let wed = business_offset()
            .with_ymd_and_hms(2026, 12, 9, 10, 0, 0)
            .single()
            .expect("time");
        assert_eq!(add_working_days(fri.with_timezone(&Utc), 3), wed);
        // Tuesday → Friday.
        let tue = fri - Duration::days(3);
        assert_eq!(add_working_days(tue.with_timezone(&Utc), 3), fri);
        // Saturday → Wednesday.
        let sat = fri + Duration::days(1);
        assert_eq!(add_working_days(sat.with_timezone(&Utc), 3), wed);
    }
}
