//! Investors: onboarding (the actor becomes the sales owner), reading one with its latest
//! assessment (personal data masked, or revealed to those allowed, audited), a paginated list.
//! Assessing them is in `assessments`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use validator::Validate;

use super::{Ctx, Result, WorkflowError, audit};
use crate::config::{Policy, business_today};
use crate::domain::identity::{self, IdType};
use crate::domain::investor::{InvestorKind, InvestorType, Wealth, age_on, is_qualified};
use crate::domain::money::RawAmount;
use crate::domain::problem::validation_problems;
use crate::domain::text;
use crate::domain::{FieldProblem, Role, mask};
use crate::store::assessments::{self, Assessment};
use crate::store::investors::{self, Investor};
use crate::store::staff::Staff;
use crate::store::{Conn, new_id, now};

/// Roles that may see identity numbers, phones and e-mails in the clear (audited).
pub const MAY_REVEAL_PERSONAL_DATA: &[Role] = &[Role::Compliance, Role::Admin];
/// Page sizes of the list.
pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;
/// Longest name of an investor, in characters.
pub const MAX_NAME: usize = 100;

#[derive(Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvestor {
    /// "individual" or "institution".
    pub kind: String,
    /// 1 to 100 characters once trimmed.
    pub name: String,
    /// The document `id_number` comes from: "resident_id" (default for individuals),
    /// "unified_social_credit_code" (institutions), "passport", "hk_macau_permit",
    /// "taiwan_permit".
    pub id_type: Option<String>,
    /// The resident identity number (GB 11643, its birth date equal to `birth_date`), the
    /// unified social credit code (GB 32100), or the number of the document `id_type` names.
    #[validate(length(min = 1, max = 64, message = "must be 1 to 64 characters"))]
    pub id_number: String,
    /// YYYY-MM-DD; individuals only.
    pub birth_date: Option<String>,
    #[validate(length(min = 5, max = 32, message = "must be 5 to 32 characters"))]
    pub phone: Option<String>,
    #[validate(email(message = "is not an e-mail address"))]
    pub email: Option<String>,
    /// "ordinary" (default) or "professional".
    pub investor_type: Option<String>,
    pub financial_assets: Option<RawAmount>,
    pub avg_income_3y: Option<RawAmount>,
    /// Institutions only.
    pub net_assets: Option<RawAmount>,
}

/// The latest assessment, as shown on the investor.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AssessmentSummary {
    pub id: String,
    pub level: String,
    pub score: i64,
    pub flags: Vec<String>,
    pub questionnaire_id: String,
    pub questionnaire_version: i64,
    pub assessed_at: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub valid: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct InvestorResponse {
    pub id: String,
    pub kind: InvestorKind,
    pub investor_type: InvestorType,
    pub name: String,
    pub id_type: IdType,
    pub id_number: String,
    pub birth_date: Option<NaiveDate>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub financial_assets: Option<String>,
    pub avg_income_3y: Option<String>,
    pub net_assets: Option<String>,
    pub qualified: bool,
    /// Whole years (China Standard Time); null for institutions.
    pub age: Option<i64>,
    pub sales_owner_id: String,
    pub created_at: DateTime<Utc>,
    pub assessment: Option<AssessmentSummary>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct InvestorPage {
    pub items: Vec<InvestorResponse>,
    /// Pass as `after` for the next page; null on the last page.
    pub next_after: Option<String>,
}

impl NewInvestor {
    /// Parses the request into an investor, naming every bad field.
    pub fn into_investor(self, sales_owner_id: &str) -> Result<Investor> {
        let mut problems = match self.validate() {
            Ok(()) => Vec::new(),
            Err(e) => validation_problems(&e),
        };
        let kind = self
            .kind
            .parse::<InvestorKind>()
            .map_err(|e| problems.push(FieldProblem::new("kind", e)))
            .ok();
        let investor_type = match &self.investor_type {
            None => Some(InvestorType::Ordinary),
            Some(t) => t
                .parse::<InvestorType>()
                .map_err(|e| problems.push(FieldProblem::new("investor_type", e)))
                .ok(),
        };
        let name = self.name.trim();
        if let Err(problem) = text::check_name(name, MAX_NAME) {
            problems.push(FieldProblem::new("name", problem));
        }
        if let Some(phone) = &self.phone
            && !phone
                .chars()
                .all(|c| c.is_ascii_digit() || " +-()".contains(c))
        {
            problems.push(FieldProblem::new(
                "phone",
                "may hold only digits, spaces and + - ( )",
            ));
        }
        let birth_date = match (&self.birth_date, kind) {
            (Some(_), Some(InvestorKind::Institution)) => {
                problems.push(FieldProblem::new(
                    "birth_date",
                    "institutions have no birth date",
                ));
                None
            }
            (None, Some(InvestorKind::Individual)) => {
                problems.push(FieldProblem::new(
                    "birth_date",
                    "is required for individuals",
                ));
                None
            }
            (Some(s), _) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                Ok(d) if d > business_today() => {
                    problems.push(FieldProblem::new("birth_date", "must not be in the future"));
                    None
                }
                Ok(d) if d < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(d) => {
                    problems.push(FieldProblem::new(
                        "birth_date",
                        "must not be before 1900-01-01",
                    ));
                    None
                }
                Ok(d) => Some(d),
                Err(_) => {
                    problems.push(FieldProblem::new("birth_date", "must be a date YYYY-MM-DD"));
                    None
                }
            },
            (None, _) => None,
        };
        let id_type = match (&self.id_type, kind) {
            (None, Some(kind)) => Some(IdType::default_for(kind)),
            (None, None) => None,
            (Some(t), kind) => match t.parse::<IdType>() {
                Ok(t) if kind.is_some_and(|k| !t.fits(k)) => {
                    problems.push(FieldProblem::new(
                        "id_type",
                        "unified_social_credit_code is for institutions only, and institutions have no other",
                    ));
                    None
                }
                Ok(t) => Some(t),
                Err(e) => {
                    problems.push(FieldProblem::new("id_type", e));
                    None
                }
            },
        };
        let id_number = id_type.and_then(|t| {
            identity::check(t, &self.id_number, birth_date)
                .map_err(|e| problems.push(FieldProblem::new("id_number", e)))
                .ok()
        });
        let mut amount = |field: &str, raw: &Option<RawAmount>| {
            raw.as_ref().and_then(|r| {
                r.parse()
                    .map_err(|e| problems.push(FieldProblem::new(field, e)))
                    .ok()
            })
        };
        let wealth = Wealth {
            financial_assets: amount("financial_assets", &self.financial_assets),
            avg_income_3y: amount("avg_income_3y", &self.avg_income_3y),
            net_assets: amount("net_assets", &self.net_assets),
        };
        if kind == Some(InvestorKind::Individual) && self.net_assets.is_some() {
            problems.push(FieldProblem::new(
                "net_assets",
                "applies to institutions only",
            ));
        }
        match (kind, investor_type, id_type, id_number, problems.is_empty()) {
            (Some(kind), Some(investor_type), Some(id_type), Some(id_number), true) => {
                Ok(Investor {
                    id: new_id(),
                    kind,
                    investor_type,
                    name: name.to_string(),
                    id_type,
                    id_number,
                    birth_date,
                    phone: self.phone,
                    email: self.email,
                    wealth,
                    sales_owner_id: sales_owner_id.to_string(),
                    created_at: now(),
                })
            }
            _ => Err(WorkflowError::Invalid(problems)),
        }
    }
}

pub fn assessment_summary(a: &Assessment, at: DateTime<Utc>) -> AssessmentSummary {
    AssessmentSummary {
        id: a.id.clone(),
        level: a.level.to_string(),
        score: a.score,
        flags: a.flags.clone(),
        questionnaire_id: a.questionnaire_id.clone(),
        questionnaire_version: a.questionnaire_version,
        assessed_at: a.assessed_at,
        valid_until: a.valid_until,
        valid: a.is_valid_at(at),
    }
}

/// The investor as returned: identity number, phone and e-mail masked unless `reveal`.
pub fn investor_response(
    inv: Investor,
    latest: Option<&Assessment>,
    policy: &Policy,
    reveal: bool,
) -> InvestorResponse {
    let qualified = is_qualified(
        inv.kind,
        inv.investor_type,
        &inv.wealth,
        &policy.qualification,
    );
    let age = inv.birth_date.map(|b| age_on(b, business_today()));
    let text = |m: Option<crate::domain::Money>| m.map(|m| m.to_string());
    InvestorResponse {
        qualified,
        age,
        financial_assets: text(inv.wealth.financial_assets),
        avg_income_3y: text(inv.wealth.avg_income_3y),
        net_assets: text(inv.wealth.net_assets),
        assessment: latest.map(|a| assessment_summary(a, Utc::now())),
        id: inv.id,
        kind: inv.kind,
        investor_type: inv.investor_type,
        name: inv.name,
        id_type: inv.id_type,
        id_number: if reveal {
            inv.id_number
        } else {
            mask::id_number(&inv.id_number)
        },
        birth_date: inv.birth_date,
        phone: if reveal {
            inv.phone
        } else {
            inv.phone.as_deref().map(mask::phone)
        },
        email: if reveal {
            inv.email
        } else {
            inv.email.as_deref().map(mask::email)
        },
        sales_owner_id: inv.sales_owner_id,
        created_at: inv.created_at,
    }
}

/// Onboards an investor; the actor becomes the sales owner. The audit entry holds the data in
/// the clear (it stores only a digest); the result is masked.
pub async fn onboard(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    new: NewInvestor,
) -> Result<InvestorResponse> {
    let investor = new.into_investor(&actor.id)?;
    if let Some(existing) = investors::holder_of(c, ctx.vault, &investor.id_number).await? {
        return Err(WorkflowError::conflict(
            "duplicate_investor",
            format!("an investor with this identity number exists already: {existing}"),
        ));
    }
    investors::insert(c, ctx.vault, &investor).await?;
    let full = investor_response(investor.clone(), None, ctx.policy, true);
    audit::record(c, actor, "investor.create", "investor", &investor.id, &full).await?;
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

/// Investors in creation order, a page at a time, or the ones with an identity number.
pub async fn list(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    after: Option<&str>,
    limit: Option<i64>,
    id_number: Option<&str>,
) -> Result<InvestorPage> {
    let limit = page_limit(limit)?;
    let found = match id_number {
        Some(n) => investors::by_id_number(c, ctx.vault, n).await?,
        None => investors::list(c, ctx.vault, after, limit + 1).await?,
    };
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
