//! Separation of duties (regulation.md §3: callbacks by staff outside the sales function): each
//! rule is written here once and every workflow that needs it calls it.

use super::{Result, WorkflowError};
use crate::domain::Role;
use crate::store::Conn;
use crate::store::investors::Investor;
use crate::store::orders;
use crate::store::staff::Staff;

fn refuse(message: impl Into<String>) -> WorkflowError {
    WorkflowError::forbidden("separation_of_duties", message)
}

/// Roles one staff member may not hold together.
pub const INCOMPATIBLE: &[(Role, Role)] = &[(Role::Sales, Role::Planner)];

/// A staff member's roles, checked before a token is issued.
pub fn compatible_roles(roles: &[Role]) -> Result<()> {
    for (a, b) in INCOMPATIBLE {
        if roles.contains(a) && roles.contains(b) {
            return Err(WorkflowError::field(
                "roles",
                format!("{a} and {b} may not be held together: callbacks are made outside sales"),
            ));
        }
    }
    Ok(())
}

/// Whether `actor` sold to this investor: their sales owner, or the seller of any of their orders.
pub async fn sold_to(c: &mut Conn<'_>, actor: &Staff, investor: &Investor) -> Result<bool> {
    if investor.sales_owner_id == actor.id {
        return Ok(true);
    }
    Ok(orders::for_investor(c, &investor.id)
        .await?
        .iter()
        .any(|o| o.created_by == actor.id))
}

/// Claiming or recording a callback: nobody who holds the sales role, nor anyone who sold to the
/// investor.
pub async fn may_work_callback(c: &mut Conn<'_>, actor: &Staff, investor: &Investor) -> Result<()> {
    if actor.has_any(&[Role::Sales]) {
        return Err(refuse("callbacks are made by staff outside sales"));
    }
    if sold_to(c, actor, investor).await? {
        return Err(refuse(
            "callbacks are made by staff outside sales: you sold to this investor",
        ));
    }
    Ok(())
}

/// A supervisor review (主管审阅) is never by the agent who recorded an outcome of the callback.
pub fn may_review(actor: &Staff, recorded_by: &[&str]) -> Result<()> {
    if recorded_by.contains(&actor.id.as_str()) {
        return Err(refuse(
            "a callback record is reviewed by someone other than its agent",
        ));
    }
    Ok(())
}

/// A complaint is never handled by the investor's sales owner or the seller of any of their
/// orders.
pub async fn may_handle_complaint(
    c: &mut Conn<'_>,
    assignee: &Staff,
    investor: &Investor,
) -> Result<()> {
    if sold_to(c, assignee, investor).await? {
        return Err(refuse(
            "a complaint is never handled by whoever sold to the investor",
        ));
    }
    Ok(())
}
