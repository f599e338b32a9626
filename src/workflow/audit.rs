//! The audit entry every write appends inside its own transaction, naming the acting staff
//! member (or the system, for background work).

use serde::Serialize;

use super::Result;
use crate::store::Conn;
use crate::store::audit::{self, Actor};
use crate::store::staff::Staff;

/// Records `action` on `entity` `id` by `actor`, with a digest of `change`.
pub async fn record(
    c: &mut Conn<'_>,
    actor: &Staff,
    action: &str,
    entity: &str,
    id: &str,
    change: &impl Serialize,
) -> Result<()> {
    audit::append(c, &Actor::staff(actor), action, entity, id, change).await?;
    Ok(())
}

/// Records `action` done by the service itself (background re-evaluation).
pub async fn record_system(
    c: &mut Conn<'_>,
    action: &str,
    entity: &str,
    id: &str,
    change: &impl Serialize,
) -> Result<()> {
    audit::append(c, &Actor::system(), action, entity, id, change).await?;
    Ok(())
}

/// Page sizes of the trail.
pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 1000;

/// One page of the trail.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub items: Vec<audit::Entry>,
    pub next_after: Option<i64>,
}

/// The trail in order, filtered by entity, actor and time, after entry `after`.
pub async fn search(
    c: &mut Conn<'_>,
    mut filter: audit::Filter,
    limit: Option<i64>,
) -> Result<AuditPage> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(super::WorkflowError::field(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    filter.limit = limit + 1;
    let mut items = audit::list(c, &filter).await?;
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    let next_after = if more {
        items.last().map(|e| e.seq)
    } else {
        None
    };
    Ok(AuditPage { items, next_after })
}
