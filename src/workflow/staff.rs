//! Staff and their tokens, for admin (and the CLI, which calls the same functions): list,
//! disable, issue, list tokens, revoke. A token is shown once, when issued; afterwards only
//! its id, owner and times.

use chrono::Duration;
use serde::Serialize;

use super::{Result, WorkflowError, audit};
use crate::domain::Role;
use crate::store::staff::{self, Staff, TokenInfo};
use crate::store::{Conn, Db};

/// Longest a token may be issued for.
pub const MAX_TOKEN_DAYS: i64 = 366;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StaffView {
    pub id: String,
    pub name: String,
    pub roles: Vec<Role>,
    pub disabled: bool,
}

impl From<Staff> for StaffView {
    fn from(s: Staff) -> Self {
        StaffView {
            id: s.id,
            name: s.name,
            roles: s.roles,
            disabled: s.disabled,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StaffList {
    pub items: Vec<StaffView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenList {
    pub items: Vec<TokenInfo>,
}

pub async fn list(c: &mut Conn<'_>) -> Result<StaffList> {
    let items = staff::list(c)
        .await?
        .into_iter()
        .map(StaffView::from)
        .collect();
    Ok(StaffList { items })
}

/// Disables a staff member: every token of theirs gets 401 within a second. Nobody disables
/// themselves (an admin locking the last admin out).
pub async fn disable(c: &mut Conn<'_>, actor: &Staff, id: &str) -> Result<StaffView> {
    if actor.id == id {
        return Err(WorkflowError::conflict(
            "cannot_disable_self",
            "you cannot disable yourself",
        ));
    }
    if !staff::disable(c, id).await? {
        return Err(WorkflowError::NotFound("staff member"));
    }
    audit::record(
        c,
        actor,
        "staff.disable",
        "staff",
        id,
        &serde_json::json!({}),
    )
    .await?;
    let member = staff::get(c, id)
        .await?
        .ok_or(WorkflowError::NotFound("staff member"))?;
    Ok(member.into())
}

pub async fn tokens(c: &mut Conn<'_>) -> Result<TokenList> {
    Ok(TokenList {
        items: staff::tokens(c).await?,
    })
}

/// Revokes a token: it gets 401 within a second on every instance. `actor` is None for the CLI
/// (the system acts).
pub async fn revoke(c: &mut Conn<'_>, actor: Option<&Staff>, id: &str) -> Result<()> {
    if !staff::revoke(c, id).await? {
        return Err(WorkflowError::NotFound("token"));
    }
    let change = serde_json::json!({});
    match actor {
        Some(a) => audit::record(c, a, "token.revoke", "token", id, &change).await?,
        None => audit::record_system(c, "token.revoke", "token", id, &change).await?,
    }
    Ok(())
}

/// Issues a token for `name` (created if needed) with `roles`, valid for `days`.
pub async fn issue(db: &Db, name: &str, roles: &[Role], days: i64) -> Result<(Staff, String)> {
    if !(1..=MAX_TOKEN_DAYS).contains(&days) {
        return Err(WorkflowError::field(
            "expires_in_days",
            format!("must be 1 to {MAX_TOKEN_DAYS}"),
        ));
    }
    if name.trim().is_empty() {
        return Err(WorkflowError::field("name", "must not be empty"));
    }
    super::duties::compatible_roles(roles)?;
    Ok(staff::issue_token(db, name.trim(), roles, Duration::days(days)).await?)
}
