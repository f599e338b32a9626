//! Investors change: their sales owner or risk update contacts, address, occupation, assets,
//! income, net assets and capacity. Every change is a version (who, when, from what to what,
//! personal data masked), audited; one that alters qualification or capacity re-evaluates every
//! holding, as a re-rating does, with an `investor_info_changed` callback where a holding no
//! longer matches.

use serde::{Deserialize, Serialize};
use validator::Validate;

use super::{InvestorResponse, get};
use crate::domain::investor::{CivilCapacity, InvestorKind};
use crate::domain::money::RawAmount;
use crate::domain::problem::validation_problems;
use crate::domain::{FieldProblem, Role, mask};
use crate::store::investors::versions::{self, FieldChange, Version};
use crate::store::investors::{self, Investor};
use crate::store::staff::Staff;
use crate::store::{Conn, lock_key, now};
use crate::workflow::{Ctx, Result, WorkflowError, audit, events, scope};

/// Who may change an investor (a sales person: only their own).
pub const MAY_CHANGE: &[Role] = &[Role::Sales, Role::Risk];
const MAX_REASON: usize = 500;

/// What changes; an absent field stays as it is.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"phone": "13900139000", "address": "上海市浦东新区世纪大道 100 号",
    "financial_assets": "6000000", "reason": "客户提供新的资产证明"}))]
pub struct InvestorChange {
    #[validate(length(min = 5, max = 32, message = "must be 5 to 32 characters"))]
    #[schema(min_length = 5, max_length = 32)]
    pub phone: Option<String>,
    #[validate(email(message = "is not an e-mail address"))]
    #[schema(min_length = 3, max_length = 254)]
    pub email: Option<String>,
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    #[schema(min_length = 1, max_length = 200)]
    pub address: Option<String>,
    #[validate(length(min = 1, max = 100, message = "must be 1 to 100 characters"))]
    #[schema(min_length = 1, max_length = 100)]
    pub occupation: Option<String>,
    pub financial_assets: Option<RawAmount>,
    pub avg_income_3y: Option<RawAmount>,
    /// Institutions only.
    pub net_assets: Option<RawAmount>,
    /// Individuals only: "full", "limited" or "none".
    #[schema(pattern = "^(full|limited|none)$")]
    pub civil_capacity: Option<String>,
    /// Why (e.g. "客户提供新的资产证明"), at most 500 characters.
    pub reason: Option<String>,
}

/// The fields a version records, with personal data masked.
fn snapshot(inv: &Investor) -> Vec<(&'static str, Option<String>)> {
    let text = |m: Option<crate::domain::Money>| m.map(|m| m.to_string());
    vec![
        ("phone", inv.phone.as_deref().map(mask::phone)),
        ("email", inv.email.as_deref().map(mask::email)),
        ("address", inv.address.as_deref().map(mask::address)),
        ("occupation", inv.occupation.clone()),
        ("financial_assets", text(inv.wealth.financial_assets)),
        ("avg_income_3y", text(inv.wealth.avg_income_3y)),
        ("net_assets", text(inv.wealth.net_assets)),
        (
            "civil_capacity",
            Some(inv.civil_capacity.as_str().to_string()),
        ),
    ]
}

/// What differs between two states of an investor.
fn diff(before: Option<&Investor>, after: &Investor) -> Vec<FieldChange> {
    let old = before.map(snapshot);
    snapshot(after)
        .into_iter()
        .enumerate()
        .filter_map(|(i, (field, to))| {
            let from = old.as_ref().and_then(|o| o[i].1.clone());
            (from != to || before.is_some_and(|b| changed_raw(b, after, field))).then(|| {
                FieldChange {
                    field: field.to_string(),
                    from,
                    to,
                }
            })
        })
        .filter(|c| before.is_some() || c.to.is_some())
        .collect()
}

/// Whether a personal field changed even where its masked form did not.
fn changed_raw(a: &Investor, b: &Investor, field: &str) -> bool {
    match field {
        "phone" => a.phone != b.phone,
        "email" => a.email != b.email,
        "address" => a.address != b.address,
        _ => false,
    }
}

/// Records version 1 of a new investor: what it was onboarded with.
/// The first version of a new investor (written with it by `onboarding::write_new`).
pub fn first_version_of(actor: &Staff, inv: &Investor) -> versions::Version {
    versions::Version {
        investor_id: inv.id.clone(),
        version: 1,
        changes: diff(None, inv),
        reason: None,
        changed_by: actor.id.clone(),
        changed_at: inv.created_at,
    }
}

/// Applies `change` to the investor the actor may see.
pub async fn change(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    id: &str,
    change: InvestorChange,
) -> Result<InvestorResponse> {
    if !actor.has_any(MAY_CHANGE) {
        return Err(WorkflowError::forbidden(
            "forbidden",
            "only the investor's sales owner and risk change investors",
        ));
    }
    scope::investor(c, actor, id).await?;
    lock_key(c, &format!("investor/{id}")).await?;
    let before = investors::get(c, ctx.vault, id)
        .await?
        .ok_or(WorkflowError::NotFound("investor"))?;
    let after = apply(&before, &change)?;
    let changes = diff(Some(&before), &after);
    if changes.is_empty() {
        return Err(WorkflowError::field("body", "changes nothing"));
    }
    let reason = change
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    investors::update_profile(c, ctx.vault, &after).await?;
    let v = versions::append(c, id, changes, reason.map(String::from), &actor.id, now()).await?;
    audit::record(c, actor, "investor.change", "investor", id, &v).await?;
    // Qualification and capacity are what the rules read of these fields.
    let material = before.wealth != after.wealth || before.civil_capacity != after.civil_capacity;
    if material {
        events::after_investor_changed(c, ctx, actor, id).await?;
    }
    get(c, ctx, actor, id, false).await
}

/// The investor with the change applied, or every bad field.
fn apply(before: &Investor, ch: &InvestorChange) -> Result<Investor> {
    let mut problems = match ch.validate() {
        Ok(()) => Vec::new(),
        Err(e) => validation_problems(&e),
    };
    let mut after = before.clone();
    if let Some(phone) = &ch.phone {
        if !phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-()".contains(c))
        {
            problems.push(FieldProblem::new(
                "phone",
                "may hold only digits, spaces and + - ( )",
            ));
        }
        after.phone = Some(phone.clone());
    }
    if let Some(email) = &ch.email {
        after.email = Some(email.clone());
    }
    if let Some(a) = &ch.address {
        after.address = Some(a.trim().to_string());
    }
    if let Some(o) = &ch.occupation {
        after.occupation = Some(o.trim().to_string());
    }
    let individual = before.kind == InvestorKind::Individual;
    let mut amount =
        |field: &str, raw: &Option<RawAmount>, target: &mut Option<crate::domain::Money>| {
            if let Some(r) = raw {
                match r.parse() {
                    Ok(m) => *target = Some(m),
                    Err(e) => problems.push(FieldProblem::new(field, e)),
                }
            }
        };
    amount(
        "financial_assets",
        &ch.financial_assets,
        &mut after.wealth.financial_assets,
    );
    amount(
        "avg_income_3y",
        &ch.avg_income_3y,
        &mut after.wealth.avg_income_3y,
    );
    amount("net_assets", &ch.net_assets, &mut after.wealth.net_assets);
    if individual && ch.net_assets.is_some() {
        problems.push(FieldProblem::new(
            "net_assets",
            "applies to institutions only",
        ));
    }
    if let Some(cap) = &ch.civil_capacity {
        if !individual {
            problems.push(FieldProblem::new(
                "civil_capacity",
                "applies to individuals only",
            ));
        }
        match cap.parse::<CivilCapacity>() {
            Ok(c) => after.civil_capacity = c,
            Err(e) => problems.push(FieldProblem::new("civil_capacity", e)),
        }
    }
    if ch
        .reason
        .as_deref()
        .is_some_and(|r| r.chars().count() > MAX_REASON)
    {
        problems.push(FieldProblem::new(
            "reason",
            format!("must be at most {MAX_REASON} characters"),
        ));
    }
    if problems.is_empty() {
        Ok(after)
    } else {
        Err(WorkflowError::Invalid(problems))
    }
}

/// Every version of the investor, oldest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct History {
    pub items: Vec<Version>,
}

pub async fn history(c: &mut Conn<'_>, actor: &Staff, id: &str) -> Result<History> {
    scope::investor(c, actor, id).await?;
    if !investors::exists(c, id).await? {
        return Err(WorkflowError::NotFound("investor"));
    }
    Ok(History {
        items: versions::all(c, id).await?,
    })
}
