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
    #[schema(min_items = 1)]
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

/// Every staff member's name by id, for pages that show who wrote or decided something.
pub async fn names(c: &mut Conn<'_>) -> Result<std::collections::HashMap<String, String>> {
    Ok(staff::list(c)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect())
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

/// What an admin asks for: a token for `name` (created if needed) with `roles`.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "王销售", "roles": ["sales"], "expires_in_days": 90}))]
pub struct IssueRequest {
    #[schema(example = "王销售")]
    pub name: String,
    #[schema(min_items = 1)]
    pub roles: Vec<Role>,
    /// 1 to 366 days; 90 when absent.
    #[schema(example = 90)]
    pub expires_in_days: Option<i64>,
}

/// The token, shown this once: only its hash is stored.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IssuedToken {
    pub staff: StaffView,
    pub token: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// An admin issues a token (the staff member is created if needed, roles are added), recorded
/// under the admin's name.
pub async fn issue_by(db: &Db, actor: &Staff, req: IssueRequest) -> Result<IssuedToken> {
    let days = req.expires_in_days.unwrap_or(staff::DEFAULT_TOKEN_DAYS);
    let name = checked(&req.name, &req.roles, days)?;
    // Roles are added to an existing member's: the whole set must hold together, and a disabled
    // member gets no token that could never be used.
    let existing = {
        let mut pooled = db.acquire().await?;
        staff::by_name(&mut pooled.conn(), name).await?
    };
    if let Some(member) = existing {
        if member.disabled {
            return Err(WorkflowError::conflict(
                "staff_disabled",
                "this staff member is disabled: no token is issued",
            ));
        }
        let mut all = member.roles.clone();
        all.extend(req.roles.iter().copied());
        super::duties::compatible_roles(&all)?;
    }
    let actor = crate::store::audit::Actor::staff(actor);
    let (member, token) =
        staff::issue_token_by(db, &actor, name, &req.roles, Duration::days(days)).await?;
    Ok(IssuedToken {
        staff: member.into(),
        token,
        expires_at: crate::store::now() + Duration::days(days),
    })
}

/// `issue_by` once per form: `key` (the form's own, drawn when it was shown) is recorded first,
/// so a form sent again (a refresh, a double click) issues no second token, which nobody would
/// ever see: 409 `already_issued`.
pub async fn issue_once(
    db: &Db,
    actor: &Staff,
    req: IssueRequest,
    key: &str,
) -> Result<IssuedToken> {
    let key = key.trim();
    if key.is_empty() || key.len() > 64 {
        return Err(WorkflowError::field(
            "issue_key",
            "must be 1 to 64 characters",
        ));
    }
    let stored = crate::store::idempotency::Stored {
        request_hash: String::new(),
        status: 201,
        // Never the token: only that this form issued one.
        response: serde_json::json!({"issued": true}),
    };
    let mut tx = db.begin().await?;
    let scoped = format!("token-issue:{key}");
    match crate::store::idempotency::put(&mut tx.conn(), &actor.id, &scoped, &stored).await {
        Ok(()) => tx.commit().await?,
        Err(e) if e.unique_violation().is_some() => {
            return Err(WorkflowError::conflict(
                "already_issued",
                "this form has issued its token already; it is shown once only",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    issue_by(db, actor, req).await
}

fn checked<'n>(name: &'n str, roles: &[Role], days: i64) -> Result<&'n str> {
    if !(1..=MAX_TOKEN_DAYS).contains(&days) {
        return Err(WorkflowError::field(
            "expires_in_days",
            format!("must be 1 to {MAX_TOKEN_DAYS}"),
        ));
    }
    let name = name.trim();
    if name.is_empty() {
        return Err(WorkflowError::field("name", "must not be empty"));
    }
    if name.chars().count() > MAX_NAME {
        return Err(WorkflowError::field(
            "name",
            format!("must be at most {MAX_NAME} characters"),
        ));
    }
    if roles.is_empty() {
        return Err(WorkflowError::field("roles", "name at least one role"));
    }
    super::duties::compatible_roles(roles)?;
    Ok(name)
}

/// The longest staff name.
pub const MAX_NAME: usize = 100;

/// Issues a token for `name` (created if needed) with `roles`, valid for `days`.
pub async fn issue(db: &Db, name: &str, roles: &[Role], days: i64) -> Result<(Staff, String)> {
    let name = checked(name, roles, days)?;
    Ok(staff::issue_token(db, name, roles, Duration::days(days)).await?)
}
