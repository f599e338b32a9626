//! Investors: onboarding (the actor becomes the sales owner), reading one with its latest
//! assessment (personal data masked, or revealed to those allowed, audited), a paginated list,
//! lookup by identity number, and reassigning the owner. Each sees only what `scope` lets the
//! actor see. Assessing them is in `assessments`.

use serde::Deserialize;

use super::{Ctx, Result, WorkflowError, audit, scope};
use crate::domain::Role;
use crate::domain::identity::{self, IdType};
use crate::store::Conn;
use crate::store::assessments;
use crate::store::investors;
use crate::store::staff::{self, Staff};

/// Roles that may see identity numbers, phones and e-mails in the clear (audited).
pub const MAY_REVEAL_PERSONAL_DATA: &[Role] = &[Role::Compliance, Role::Admin];
/// Page sizes of the list.
pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;
/// Longest name of an investor, in characters.
pub const MAX_NAME: usize = 100;
/// Identity-number lookups a staff member may make in a minute.
pub const LOOKUPS_PER_MINUTE: usize = 30;
/// Roles that may give an investor another sales owner.
pub const MAY_REASSIGN: &[Role] = &[Role::Compliance, Role::Admin];

pub mod activity;
pub mod change;
mod input;
pub mod onboarding;
mod view;

pub use input::NewInvestor;
pub use view::{
    AssessmentSummary, InvestorPage, InvestorResponse, assessment_summary, investor_response,
};

/// Onboards an investor; the actor becomes the sales owner. The audit entry holds the data in
/// the clear (it stores only a digest); the result is masked.
pub async fn onboard(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    new: NewInvestor,
) -> Result<InvestorResponse> {
    let owner = actor.id.clone();
    onboard_owned(c, ctx, actor, &owner, new).await
}

/// As [`onboard`], with `owner_id` (checked by the caller to be an active sales person) as the
/// sales owner: an import brings in a book whose owners are already known.
pub async fn onboard_owned(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    owner_id: &str,
    new: NewInvestor,
) -> Result<InvestorResponse> {
    let (investor, proofs) = onboarding::parse(new, owner_id)?;
    if let Some(existing) = investors::holder_of(c, ctx.vault, &investor.id_number).await? {
        // The answer says whether a number exists, as a lookup does: for an investor the actor
        // may not see it counts against the same limit and does not name them.
        if investors::is_visible(c, scope::visible(actor), &existing).await? {
            return Err(WorkflowError::conflict(
                "duplicate_investor",
                format!("an investor with this identity number exists already: {existing}"),
            ));
        }
        if !ctx.lookups.allow(&actor.id) {
            return Err(WorkflowError::TooManyRequests(format!(
                "at most {} identity-number lookups a minute",
                ctx.lookups.limit()
            )));
        }
        return Err(WorkflowError::conflict(
            "duplicate_investor",
            "an investor with this identity number exists already, owned by another sales \
             person: ask compliance to reassign them",
        ));
    }
    let investor = onboarding::write_new(c, ctx, actor, vec![(investor, proofs)])
        .await?
        .pop()
        .ok_or_else(|| WorkflowError::Internal("the investor was not written".into()))?;
    tracing::info!(investor = %investor.id, "investor created");
    Ok(investor_response(investor, None, ctx.policy, false))
}

/// One investor with the latest assessment (valid or not). `reveal` shows personal data in the
/// clear, to the roles allowed, and is itself recorded.
pub async fn get(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    id: &str,
    reveal: bool,
) -> Result<InvestorResponse> {
    if reveal && !actor.has_any(MAY_REVEAL_PERSONAL_DATA) {
        return Err(WorkflowError::forbidden(
            "forbidden",
            "only compliance and admin may reveal personal data",
        ));
    }
    scope::investor(c, actor, id).await?;
    let investor = investors::get(c, ctx.vault, id)
        .await?
        .ok_or(WorkflowError::NotFound("investor"))?;
    let latest = assessments::latest_for(c, id).await?;
    if reveal {
        let change = serde_json::json!({"fields": ["id_number", "phone", "email"]});
        audit::record(c, actor, "investor.reveal", "investor", id, &change).await?;
    }
    Ok(investor_response(
        investor,
        latest.as_ref(),
        ctx.policy,
        reveal,
    ))
}

/// The investors the actor may see, in creation order, a page at a time; only those whose name
/// contains `name` when given.
pub async fn list(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    after: Option<&str>,
    name: Option<&str>,
    limit: Option<i64>,
) -> Result<InvestorPage> {
    let limit = page_limit(limit)?;
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    if name.is_some_and(|n| n.chars().count() > 100) {
        return Err(WorkflowError::field(
            "name",
            "must be at most 100 characters",
        ));
    }
    let visible = scope::visible(actor);
    let found = investors::list(c, ctx.vault, visible, after, name, limit + 1).await?;
    let more = found.len() as i64 > limit;
    let mut items = Vec::with_capacity(found.len());
    for inv in found.into_iter().take(limit as usize) {
        let latest = assessments::latest_for(c, &inv.id).await?;
        items.push(investor_response(inv, latest.as_ref(), ctx.policy, false));
    }
    let next_after = if more {
        items.last().map(|i| i.id.clone())
    } else {
        None
    };
    Ok(InvestorPage { items, next_after })
}

/// A lookup by identity number: in the body, never in a URL (URLs are logged).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"id_number": "11010519491231002X", "id_type": "resident_id"}))]
pub struct Lookup {
    pub id_number: String,
    /// The document type, as at onboarding; by default the resident identity card or, for an
    /// 18-character code that is not one, the unified social credit code.
    #[schema(
        pattern = "^(resident_id|unified_social_credit_code|passport|hk_macau_permit|taiwan_permit)$"
    )]
    pub id_type: Option<String>,
}

/// The investors with this identity number that the actor may see (a sales person: only their
/// own). Audited, and limited per staff member: each answer says whether a guessed number
/// exists, so guessing is what the limit stops.
pub async fn lookup(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    q: Lookup,
) -> Result<InvestorPage> {
    if !ctx.lookups.allow(&actor.id) {
        return Err(WorkflowError::TooManyRequests(format!(
            "at most {} identity-number lookups a minute",
            ctx.lookups.limit()
        )));
    }
    let id_type = match q.id_type.as_deref() {
        Some(t) => t
            .parse::<IdType>()
            .map_err(|e| WorkflowError::field("id_type", e))?,
        None => IdType::ResidentId,
    };
    // Normalised as at onboarding, so the keyed hash matches; a malformed number finds nothing
    // but is still counted and audited.
    let number = identity::check(id_type, &q.id_number, None)
        .or_else(|_| identity::check(IdType::UnifiedSocialCreditCode, &q.id_number, None))
        .unwrap_or_else(|_| q.id_number.trim().to_ascii_uppercase());
    let visible = scope::visible(actor);
    let mut items = Vec::new();
    for inv in investors::by_id_number(c, ctx.vault, &number).await? {
        if investors::is_visible(c, visible, &inv.id).await? {
            let latest = assessments::latest_for(c, &inv.id).await?;
            items.push(investor_response(inv, latest.as_ref(), ctx.policy, false));
        }
    }
    let found: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
    let entry = serde_json::json!({"found": found});
    audit::record(
        c,
        actor,
        "investor.lookup",
        "investor",
        found.first().copied().unwrap_or(""),
        &entry,
    )
    .await?;
    Ok(InvestorPage {
        items,
        next_after: None,
    })
}

/// A new sales owner for an investor.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"staff_id": "01938a1e-7c00-7000-8000-000000000003"}))]
pub struct NewOwner {
    pub staff_id: String,
}

/// Makes another sales person the investor's owner (compliance, admin), audited.
pub async fn reassign(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    id: &str,
    new: NewOwner,
) -> Result<InvestorResponse> {
    if !actor.has_any(MAY_REASSIGN) {
        return Err(WorkflowError::forbidden(
            "forbidden",
            "only compliance and admin may reassign investors",
        ));
    }
    let owner = staff::get(c, &new.staff_id)
        .await?
        .filter(|s| s.has_any(&[Role::Sales]) && !s.disabled)
        .ok_or_else(|| WorkflowError::field("staff_id", "is not an active sales person"))?;
    let before = investors::get(c, ctx.vault, id)
        .await?
        .ok_or(WorkflowError::NotFound("investor"))?;
    investors::set_owner(c, id, &owner.id).await?;
    let change =
        serde_json::json!({"sales_owner_id": {"from": before.sales_owner_id, "to": owner.id}});
    audit::record(c, actor, "investor.reassign", "investor", id, &change).await?;
    get(c, ctx, actor, id, false).await
}

/// A page size, checked.
pub fn page_limit(limit: Option<i64>) -> Result<i64> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(WorkflowError::field(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    Ok(limit)
}
