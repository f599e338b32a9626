//! Escalations to compliance: the inbox and resolving one with a note.

use super::{Result, WorkflowError, audit};
use crate::store::escalations::{self, Escalation};
use crate::store::staff::Staff;
use crate::store::{Conn, now};

/// The longest resolution note.
pub const MAX_NOTE: usize = 4000;

/// Open escalations (or all of them), oldest first.
pub async fn list(c: &mut Conn<'_>, include_resolved: bool) -> Result<Vec<Escalation>> {
    Ok(escalations::list(c, include_resolved).await?)
}

/// Resolves an escalation with a note; a conflict if it is resolved already.
pub async fn resolve(c: &mut Conn<'_>, actor: &Staff, id: &str, note: &str) -> Result<Escalation> {
    let note = note.trim();
    if note.is_empty() || note.chars().count() > MAX_NOTE {
        return Err(WorkflowError::field(
            "note",
            format!("must be 1 to {MAX_NOTE} characters"),
        ));
    }
    escalations::get(c, id)
        .await?
        .ok_or(WorkflowError::NotFound("escalation"))?;
    if !escalations::resolve(c, id, &actor.id, note, now()).await? {
        return Err(WorkflowError::conflict(
            "already_resolved",
            "this escalation is already resolved",
        ));
    }
    let e = escalations::get(c, id)
        .await?
        .ok_or(WorkflowError::NotFound("escalation"))?;
    audit::record(c, actor, "escalation.resolve", "escalation", id, &e).await?;
    Ok(e)
}
