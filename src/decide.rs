//! From stored records to facts, and from an outcome to the decision the API returns: the bridge
//! between the store and the rules engine, shared by the check, orders and replays.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::{Policy, business_offset};
use crate::domain::investor::{InvestorKind, InvestorType, Wealth, age_on, is_minor, is_qualified};
use crate::domain::{Money, RiskLevel, RiskRating};
use crate::questionnaire::score::LOWEST_CATEGORY;
use crate::rules::decision::Outcome;
use crate::rules::{Facts, InvestorFacts, OrderFacts, ProductFacts};
use crate::store::StoreError;
use crate::store::holdings::{FactRow, InvestorSources, ProductSources};

/// Complaints received within this many days count as recent for the rules
/// (`investor.complaints_90d`).
pub const RECENT_COMPLAINT_DAYS: i64 = 90;

fn money(s: &Option<String>) -> Result<Option<Money>, StoreError> {
    s.as_ref()
        .map(|v| {
            v.parse::<Money>()
                .map_err(|e| StoreError::Corrupt(format!("amount '{v}': {e}")))
        })
        .transpose()
}

/// The facts of a sale from its row of sources (see `store::holdings`), as of `at`.
pub fn facts_of_row(
    row: &FactRow,
    amount: Money,
    policy: &Policy,
    at: DateTime<Utc>,
) -> Result<Facts, StoreError> {
    let product = product_facts(&row.product)?;
    facts_of(
        &row.investor,
        product,
        row.holds_product,
        amount,
        policy,
        at,
    )
}

/// A product's facts: computed once per product in batch work, cloned cheaply per holding.
pub fn product_facts(p: &ProductSources) -> Result<ProductFacts, StoreError> {
    let rating = RiskRating::from_number(p.risk_rating)
        .ok_or_else(|| StoreError::Corrupt(format!("rating {}", p.risk_rating)))?;
    let min_subscription: Money = p
        .min_subscription
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("minimum: {e}")))?;
    Ok(ProductFacts {
        code: p.product_code.as_str().into(),
        kind: p.product_kind.as_str().into(),
        rating: rating.number(),
        rating_name: rating.name().into(),
        min_subscription: min_subscription.value(),
    })
}

/// The facts of a sale or holding from its sources, as of `at`: the one place they are computed,
/// for checks, orders, re-evaluations and impact previews alike.
pub fn facts_of(
    row: &InvestorSources,
    product: ProductFacts,
    holds_product: bool,
    amount: Money,
    policy: &Policy,
    at: DateTime<Utc>,
) -> Result<Facts, StoreError> {
    let corrupt = |what: String| StoreError::Corrupt(what);
    let kind: InvestorKind = row.kind.parse().map_err(corrupt)?;
    let investor_type: InvestorType = row.investor_type.parse().map_err(corrupt)?;
    let wealth = Wealth {
        financial_assets: money(&row.financial_assets)?,
        avg_income_3y: money(&row.avg_income_3y)?,
        net_assets: money(&row.net_assets)?,
    };
    let (level, lowest, valid, age_days) = match (row.level, row.assessed_at, row.valid_until) {
        (Some(level), Some(assessed_at), Some(valid_until)) => (
            RiskLevel::from_number(level)
                .ok_or_else(|| corrupt(format!("level {level}")))?
                .number(),
            row.flags
                .as_ref()
                .is_some_and(|f| f.0.iter().any(|x| x == LOWEST_CATEGORY)),
            at < valid_until,
            (at - assessed_at).num_days(),
        ),
        _ => (0, false, false, -1),
    };
    let today = at.with_timezone(&business_offset()).date_naive();
    let age = match (kind, row.birth_date) {
        (InvestorKind::Individual, Some(b)) => age_on(b, today),
        _ => -1,
    };
    let full_capacity = row.civil_capacity.as_deref().is_none_or(|c| c == "full");
    let classification_valid = investor_type == InvestorType::Ordinary
        || row.classified_until.is_some_and(|until| at < until);
    // Proof issued after `at` did not exist then: the sale was not backed by it.
    let evidence_age = row
        .evidence_issued_on
        .map(|d| (today - d).num_days())
        .filter(|d| *d >= 0)
        .unwrap_or(-1);
    let flags = row
        .flags
        .as_ref()
        .map(|f| f.0.iter().map(|x| x.as_str().into()).collect())
        .unwrap_or_default();
    Ok(Facts {
        investor: InvestorFacts {
            kind: kind.as_str().into(),
            investor_type: investor_type.as_str().into(),
            level,
            level_name: RiskLevel::from_number(level)
                .map(|l| l.name())
                .unwrap_or("")
                .into(),
            // Without full capacity an investor is of the lowest category whatever the score.
            lowest_category: lowest || !full_capacity,
            assessment_valid: valid,
            assessment_age_days: age_days,
            age,
            // A professional whose classification lapsed qualifies only on the thresholds.
            qualified: is_qualified(
                kind,
                if classification_valid {
                    investor_type
                } else {
                    InvestorType::Ordinary
                },
                &wealth,
                &policy.qualification,
            ) && !is_minor(kind, age),
            full_civil_capacity: full_capacity,
            classification_valid,
            qualification_evidence_age_days: evidence_age,
            assessment_flags: flags,
            open_complaints: row.open_complaints,
            complaints_90d: row.complaints_90d,
        },
        product,
        order: OrderFacts {
            amount: amount.value(),
            first_purchase: !holds_product,
        },
    })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DecisionInvestor {
    pub id: Option<String>,
    /// "C3", or null without an assessment.
    pub level: Option<String>,
    pub investor_type: String,
    pub qualified: bool,
    /// The assessment the decision rests on: for an order, the latest taken before it was signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DecisionProduct {
    pub id: Option<String>,
    pub risk_rating: String,
}

/// The decision as the API returns it (product.md §6): the outcome with who and what it is about,
/// and the facts it was taken on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DecisionView {
    pub investor: DecisionInvestor,
    pub product: DecisionProduct,
    #[serde(flatten)]
    pub outcome: Outcome,
    pub facts: Facts,
    /// The decision in one paragraph of plain Chinese: level and rating, verdict and why, what
    /// must happen before the sale, the callbacks that follow.
    #[serde(default)]
    pub explanation: String,
}

impl DecisionView {
    pub fn new(
        investor_id: Option<&str>,
        product_id: Option<&str>,
        facts: Facts,
        outcome: Outcome,
    ) -> Self {
        DecisionView {
            investor: DecisionInvestor {
                id: investor_id.map(str::to_string),
                level: (!facts.investor.level_name.is_empty())
                    .then(|| facts.investor.level_name.to_string()),
                investor_type: facts.investor.investor_type.to_string(),
                qualified: facts.investor.qualified,
                assessment_id: None,
            },
            product: DecisionProduct {
                id: product_id.map(str::to_string),
                risk_rating: facts.product.rating_name.to_string(),
            },
            explanation: crate::explain::explanation(&facts, &outcome),
            outcome,
            facts,
        }
    }
}
