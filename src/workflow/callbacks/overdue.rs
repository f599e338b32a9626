//! The overdue sweep: a callback still open after its deadline becomes `overdue` (it can still
//! be done) and opens an escalation, once per time it falls overdue. For a confirmation the escalation says what the
//! regulation requires meanwhile: the order is not confirmed, so its money stays where it is.

use chrono::{DateTime, Utc};

use super::escalate::escalate;
use crate::domain::state::{CallbackKind, EscalationReason};
use crate::store::Conn;
use crate::store::callback_schedule;
use crate::store::escalations::Escalation;
use crate::workflow::{Result, audit};

/// Callbacks marked per call; the caller sweeps again while a batch comes back full.
pub const BATCH: i64 = 200;

/// What a confirmation's escalation instructs while the callback is outstanding.
pub const HOLD_FUNDS: &str = "The subscription must stay in the raising account (募集账户) and may \
    not be transferred to the product until this confirmation callback succeeds; an order is never \
    confirmed by default.";

/// Marks up to [`BATCH`] callbacks past `due_by` at `t` as overdue, each with its escalation
/// (kind `overdue`), and returns the escalations. A callback another instance marked meanwhile
/// is skipped, so each escalates once.
pub async fn sweep(c: &mut Conn<'_>, t: DateTime<Utc>) -> Result<Vec<Escalation>> {
    let mut opened = Vec::new();
    for cb in callback_schedule::past_due(c, t, BATCH).await? {
        if !callback_schedule::mark_overdue(c, &cb.id, t).await? {
            continue;
        }
        let instruction = (cb.kind == CallbackKind::Confirmation).then(|| HOLD_FUNDS.to_string());
        let e = escalate(
            c,
            &cb,
            EscalationReason::Overdue,
            Vec::new(),
            instruction,
            t,
        )
        .await?;
        let change = serde_json::json!({"due_by": cb.due_by, "escalation": e.id});
        audit::record_system(c, "callback.overdue", "callback", &cb.id, &change).await?;
        audit::record_system(c, "escalation.open", "escalation", &e.id, &e).await?;
        opened.push(e);
    }
    Ok(opened)
}
