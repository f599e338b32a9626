//! Opening an escalation to compliance from a callback: failed checks, an unreachable investor,
//! or work not done by its deadline.

use chrono::{DateTime, Utc};

use crate::domain::state::EscalationReason;
use crate::store::callbacks::Callback;
use crate::store::escalations::{self, Escalation};
use crate::store::{Conn, new_id};
use crate::workflow::Result;

pub async fn escalate(
    c: &mut Conn<'_>,
    cb: &Callback,
    reason: EscalationReason,
    failed_checks: Vec<String>,
    instruction: Option<String>,
    t: DateTime<Utc>,
) -> Result<Escalation> {
    let e = Escalation {
        id: new_id(),
        callback_id: cb.id.clone(),
        order_id: cb.order_id.clone(),
        investor_id: cb.investor_id.clone(),
        reason,
        failed_checks: sqlx::types::Json(failed_checks),
        opened_at: t,
        instruction,
        resolved_by: None,
        resolution_note: None,
        resolved_at: None,
    };
    escalations::open(c, &e).await?;
    tracing::warn!(callback = %cb.id, reason = %reason, "escalated to compliance");
    Ok(e)
}
