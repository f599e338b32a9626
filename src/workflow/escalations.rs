//! Escalations to compliance: the inbox and resolving one with a note.

use super::{Result, WorkflowError, audit};
use crate::domain::state::EscalationReason;
use crate::store::escalations::{self, Escalation};
use crate::store::staff::Staff;
use crate::store::{Conn, investors, now};
use crate::vault::Vault;
use serde::Serialize;

/// The longest resolution note.
pub const MAX_NOTE: usize = 4000;

/// Open escalations (or all of them), oldest first.
pub async fn list(c: &mut Conn<'_>, include_resolved: bool) -> Result<Vec<Escalation>> {
    Ok(escalations::list(c, include_resolved).await?)
}

/// An escalation as compliance's inbox shows it: with the investor's name.
#[derive(Debug, Serialize)]
pub struct InboxLine {
    #[serde(flatten)]
    pub escalation: Escalation,
    pub investor_name: String,
}

/// The most escalations the inbox shows at once (the oldest first: they are the most urgent).
pub const MAX_INBOX: usize = 500;

/// The inbox: open escalations (or all), of one reason or every, oldest first, at most 500.
pub async fn inbox(
    c: &mut Conn<'_>,
    vault: &Vault,
    include_resolved: bool,
    reason: Option<EscalationReason>,
) -> Result<Vec<InboxLine>> {
    let mut lines = Vec::new();
    let mut names: std::collections::HashMap<String, String> = Default::default();
    let found = escalations::list(c, include_resolved).await?;
    let wanted = found
        .into_iter()
        .filter(|e| reason.is_none_or(|r| r == e.reason))
        .take(MAX_INBOX);
    for escalation in wanted {
        // Each investor is opened once, however many escalations they have.
        let investor_name = match names.get(&escalation.investor_id) {
            Some(n) => n.clone(),
            None => {
                let n = investors::get(c, vault, &escalation.investor_id)
                    .await?
                    .map(|i| i.name)
                    .unwrap_or_default();
                names.insert(escalation.investor_id.clone(), n.clone());
                n
            }
        };
        lines.push(InboxLine {
            escalation,
            investor_name,
        });
    }
    Ok(lines)
}

/// Resolves an escalation with a note; a conflict if it is resolved already.
pub async fn resolve(c: &mut Conn<'_>, actor: &Staff, id: &str, note: &str) -> Result<Escalation> {
    let note = crate::domain::text::free_text(note, MAX_NOTE)
        .map_err(|problem| WorkflowError::field("note", problem))?;
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
