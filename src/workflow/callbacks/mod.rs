//! The callback desk: the queue with its check lists, one callback, claiming it, recording what
//! happened (`outcome`, its form in `form`), open issues (`issues`), the supervisor's review
//! (`review`) and the overdue sweep (`overdue`).

pub mod contact;
pub mod cooling;
pub mod escalate;
pub mod exports;
pub mod form;
pub mod frequency;
pub mod issues;
pub mod manual;
pub mod outcome;
pub mod overdue;
pub mod review;
pub mod summary;
pub mod view;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use view::{CallbackDetail, CallbackView, callback_view, load_view};

use super::{Ctx, Result, WorkflowError, audit, duties};
use crate::domain::Role;
use crate::domain::investor::InvestorKind;
use crate::domain::state::{CallbackKind, CallbackStatus};
use crate::rules::scripts::{Script, Vars};
use crate::store::callback_records;
use crate::store::callbacks::{self, Filter};
use crate::store::staff::Staff;
use crate::store::{Conn, investors};

/// Page sizes of the queue.
pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

/// What a planner asks of the queue.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub status: Option<CallbackStatus>,
    pub kind: Option<CallbackKind>,
    /// Only callbacks whose window opens at or before this time.
    pub due_before: Option<DateTime<Utc>>,
    pub limit: Option<i64>,
    pub after: Option<String>,
    /// Only the actor's own (`assignee=me`), soonest `due_by` first, in one page.
    pub mine: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CallbackPage {
    pub items: Vec<CallbackView>,
    pub next_after: Option<String>,
}

/// Callbacks with their check lists, filtered, a page at a time in id order.
pub async fn list(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    q: Query,
) -> Result<CallbackPage> {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(WorkflowError::field(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    if q.mine && q.after.is_some() {
        return Err(WorkflowError::field(
            "after",
            "one's own queue comes in one page, by due_by: raise limit instead",
        ));
    }
    let filter = Filter {
        assignee: q.mine.then(|| actor.id.clone()),
        status: q.status,
        kind: q.kind,
        due_before: q.due_before,
        due_from_after: None,
        after_id: q.after,
        limit: limit + 1,
        worked_by: planner_only(actor),
        workable: false,
    };
    let found = callbacks::list(c, &filter).await?;
    let more = found.len() as i64 > limit;
    let items: Vec<CallbackView> = found
        .into_iter()
        .take(limit as usize)
        .map(|l| view::listed_view(ctx.vault, l))
        .collect();
    let next_after = if more {
        items.last().map(|i| i.id.clone())
    } else {
        None
    };
    Ok(CallbackPage { items, next_after })
}

/// A planner (without a role that oversees the desk) sees the callbacks they work: assigned to
/// them, or open and unclaimed in the queue. Another planner's records are not theirs to read.
pub(crate) fn planner_only(actor: &Staff) -> Option<String> {
    (!actor.has_any(&[Role::Compliance, Role::Admin])).then(|| actor.id.clone())
}

/// One callback with its outcomes and reviews, if the actor works it (see `planner_only`).
pub async fn detail(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    id: &str,
) -> Result<CallbackDetail> {
    let cb = callbacks::get(c, id)
        .await?
        .filter(|cb| match planner_only(actor) {
            None => true,
            Some(me) => {
                cb.assignee_id.as_deref() == Some(me.as_str())
                    || (cb.status.is_workable() && cb.assignee_id.is_none())
            }
        })
        .ok_or(WorkflowError::NotFound("callback"))?;
    let outcomes = callback_records::outcomes(c, id).await?;
    let reviews = callback_records::reviews(c, id).await?;
    let issues = callback_records::issues_for(c, id).await?;
    let kind = investors::get(c, ctx.vault, &cb.investor_id)
        .await?
        .ok_or(WorkflowError::NotFound("investor"))?
        .kind;
    let callback = load_view(c, ctx.vault, cb).await?;
    let script = script_for(
        ctx,
        (kind, &callback.investor.name),
        callback.product.as_ref().map(|p| p.name.as_str()),
        (callback.kind, &callback.reason),
    );
    Ok(CallbackDetail {
        callback,
        outcomes,
        reviews,
        issues,
        script,
    })
}

/// Takes a callback: the actor becomes the assignee. Refused to anyone in sales and to whoever
/// sold to the investor (`duties`); a conflict if someone else holds it or it is closed.
pub async fn claim(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    id: &str,
) -> Result<CallbackView> {
    let cb = callbacks::get(c, id)
        .await?
        .ok_or(WorkflowError::NotFound("callback"))?;
    let investor = investors::get(c, ctx.vault, &cb.investor_id)
        .await?
        .ok_or(WorkflowError::NotFound("investor"))?;
    duties::may_work_callback(c, actor, &investor).await?;
    if !callbacks::claim(c, id, &actor.id).await? {
        let now_cb = callbacks::get(c, id)
            .await?
            .ok_or(WorkflowError::NotFound("callback"))?;
        return Err(match now_cb.status {
            s if s.is_workable() => {
                WorkflowError::conflict("already_claimed", "another planner holds this callback")
            }
            closed => {
                WorkflowError::conflict("callback_closed", format!("the callback is {closed}"))
            }
        });
    }
    let cb = callbacks::get(c, id)
        .await?
        .ok_or(WorkflowError::NotFound("callback"))?;
    let v = load_view(c, ctx.vault, cb).await?;
    audit::record(
        c,
        actor,
        "callback.claim",
        "callback",
        id,
        &serde_json::json!({"assignee": actor.id}),
    )
    .await?;
    Ok(v)
}

/// The script of a call (opening and closing) from the active rule set, for this investor's
/// kind, naming the investor, the product (or 您的投资) and why we call. The detail shows it; the
/// outcome keeps it as it was read.
pub(crate) fn script_for(
    ctx: &Ctx<'_>,
    (kind, investor): (InvestorKind, &str),
    product: Option<&str>,
    (callback_kind, reason): (CallbackKind, &str),
) -> Script {
    let purpose = crate::callbacks::export::purpose(callback_kind, reason);
    let vars = Vars {
        investor,
        product: product.unwrap_or("您的投资"),
        purpose: &purpose,
    };
    ctx.rules.scripts().render(kind, &vars)
}
