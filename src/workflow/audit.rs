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
