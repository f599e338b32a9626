//! Who sees which investors. Records belong to an investor's sales owner: a sales person lists,
//! reads and acts on their own investors only, and another's answers 404 exactly as an id that
//! does not exist (so ids cannot be probed). Risk, compliance and admin see all; planners reach
//! the investors of the callbacks they work.

use super::{Result, WorkflowError};
use crate::domain::Role;
use crate::store::Conn;
use crate::store::investors::{self, Visible};
use crate::store::orders;
use crate::store::staff::Staff;

/// Roles whose work spans every investor.
pub const SEE_ALL: &[Role] = &[Role::Risk, Role::Compliance, Role::Admin];

/// What `actor` sees of investors.
pub fn visible(actor: &Staff) -> Visible<'_> {
    if actor.has_any(SEE_ALL) {
        Visible::All
    } else if actor.has_any(&[Role::Sales]) {
        Visible::OwnedBy(&actor.id)
    } else {
        Visible::CalledBy(&actor.id)
    }
}

/// Whether `actor` may see an investor sold to by `owner`, when the owner alone decides it
/// (`None`: it needs the store, as for a planner's callbacks, or there is no owner to go by).
pub fn sees_by_owner(actor: &Staff, owner: Option<&str>) -> Option<bool> {
    match (visible(actor), owner) {
        (Visible::All, _) => Some(true),
        (Visible::OwnedBy(me), Some(owner)) => Some(me == owner),
        _ => None,
    }
}

/// Ok if `actor` may see the investor `id`; else not found, as if there were none.
pub async fn investor(c: &mut Conn<'_>, actor: &Staff, id: &str) -> Result<()> {
    if investors::is_visible(c, visible(actor), id).await? {
        Ok(())
    } else {
        Err(WorkflowError::NotFound("investor"))
    }
}

/// The order `id` if `actor` may see its investor; else not found.
pub async fn order(c: &mut Conn<'_>, actor: &Staff, id: &str) -> Result<orders::Order> {
    let order = orders::get(c, id)
        .await?
        .ok_or(WorkflowError::NotFound("order"))?;
    if investors::is_visible(c, visible(actor), &order.investor_id).await? {
        Ok(order)
    } else {
        Err(WorkflowError::NotFound("order"))
    }
}
