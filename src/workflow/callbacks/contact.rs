//! The agent can call: the assignee of a claimed, open callback sees the investor's phone and
//! e-mail in the clear, audited like a reveal; anyone else is refused.

use serde::Serialize;

use crate::store::staff::Staff;
use crate::store::{Conn, callbacks, investors};
use crate::workflow::{Ctx, Result, WorkflowError, audit, duties};

/// How to reach the investor of a callback.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Contact {
    pub callback_id: String,
    pub investor_id: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

pub async fn contact(c: &mut Conn<'_>, ctx: &Ctx<'_>, actor: &Staff, id: &str) -> Result<Contact> {
    let cb = callbacks::get(c, id)
        .await?
        .ok_or(WorkflowError::NotFound("callback"))?;
    if cb.assignee_id.as_deref() != Some(actor.id.as_str()) || !cb.status.is_workable() {
        return Err(WorkflowError::forbidden(
            "not_assignee",
            "only the planner holding an open callback sees how to reach its investor",
        ));
    }
    let investor = investors::get(c, ctx.vault, &cb.investor_id)
        .await?
        .ok_or(WorkflowError::NotFound("investor"))?;
    duties::may_work_callback(c, actor, &investor).await?;
    let change = serde_json::json!({"fields": ["phone", "email"], "callback_id": id});
    audit::record(
        c,
        actor,
        "investor.reveal",
        "investor",
        &investor.id,
        &change,
    )
    .await?;
    Ok(Contact {
        callback_id: cb.id,
        investor_id: investor.id,
        name: investor.name,
        phone: investor.phone,
        email: investor.email,
    })
}
