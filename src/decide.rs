//! From stored records to facts, and from an outcome to the decision the API returns: the bridge
//! between the store and the rules engine, shared by the check, orders and replays.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::config::{Policy, business_offset};
use crate::domain::investor::{InvestorKind, InvestorType, Wealth, age_on, is_qualified};
use crate::domain::{Money, RiskLevel, RiskRating};
use crate::rules::decision::Outcome;
use crate::rules::{Facts, InvestorFacts, OrderFacts, ProductFacts};
use crate::store::assessments::Assessment;
use crate::store::investors::Investor;
use crate::store::products::Product;

/// What the service knows about an investor's history that is not on the investor row.
#[derive(Debug, Clone, Copy, Default)]
pub struct History {
    pub holds_product: bool,
    pub open_complaints: i64,
    pub complaints_90d: i64,
}

/// The parts of an investor the facts are computed from.
#[derive(Debug, Clone, Copy)]
pub struct InvestorSnapshot<'a> {
    pub kind: InvestorKind,
    pub investor_type: InvestorType,
    pub birth_date: Option<NaiveDate>,
    pub wealth: &'a Wealth,
}

/// The parts of the latest assessment the facts are computed from.
#[derive(Debug, Clone, Copy)]
pub struct AssessmentSnapshot {
    pub level: RiskLevel,
    pub lowest_category: bool,
    pub assessed_at: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
}

/// The parts of a product the facts are computed from.
#[derive(Debug, Clone, Copy)]
pub struct ProductSnapshot<'a> {
    pub code: &'a str,
    pub kind: &'a str,
    pub rating: RiskRating,
    pub min_subscription: Money,
}

/// The facts of one sale or holding, as of `at`: the one place they are computed, for checks,
/// orders, re-evaluations and impact previews alike.
pub fn facts_from(
    investor: InvestorSnapshot<'_>,
    latest: Option<AssessmentSnapshot>,
    product: ProductSnapshot<'_>,
    amount: Money,
    history: History,
    policy: &Policy,
    at: DateTime<Utc>,
) -> Facts {
    let today = at.with_timezone(&business_offset()).date_naive();
    let (level, lowest, valid, age_days) = match latest {
        Some(a) => (
            a.level.number(),
            a.lowest_category,
            at < a.valid_until,
            (at - a.assessed_at).num_days(),
        ),
        None => (0, false, false, -1),
    };
    let age = match (investor.kind, investor.birth_date) {
        (InvestorKind::Individual, Some(b)) => age_on(b, today),
        _ => -1,
    };
    Facts {
        investor: InvestorFacts {
            kind: investor.kind.as_str().into(),
            investor_type: investor.investor_type.as_str().into(),
            level,
            level_name: RiskLevel::from_number(level)
                .map(|l| l.name())
                .unwrap_or("")
                .into(),
            lowest_category: lowest,
            assessment_valid: valid,
            assessment_age_days: age_days,
            age,
            qualified: is_qualified(
                investor.kind,
                investor.investor_type,
                investor.wealth,
                &policy.qualification,
            ),
            open_complaints: history.open_complaints,
            complaints_90d: history.complaints_90d,
        },
        product: ProductFacts {
            code: product.code.into(),
            kind: product.kind.into(),
            rating: product.rating.number(),
            rating_name: product.rating.name().into(),
            min_subscription: product.min_subscription.value(),
        },
        order: OrderFacts {
            amount: amount.value(),
            first_purchase: !history.holds_product,
        },
    }
}

/// The facts of one prospective sale from stored records, as of `at`.
pub fn facts_for(
    investor: &Investor,
    latest: Option<&Assessment>,
    product: &Product,
    amount: Money,
    history: History,
    policy: &Policy,
    at: DateTime<Utc>,
) -> Facts {
    facts_from(
        InvestorSnapshot {
            kind: investor.kind,
            investor_type: investor.investor_type,
            birth_date: investor.birth_date,
            wealth: &investor.wealth,
        },
        latest.map(|a| AssessmentSnapshot {
            level: a.level,
            lowest_category: a.lowest_category(),
            assessed_at: a.assessed_at,
            valid_until: a.valid_until,
        }),
        ProductSnapshot {
            code: &product.code,
            kind: &product.kind,
            rating: product.risk_rating,
            min_subscription: product.min_subscription,
        },
        amount,
        history,
        policy,
        at,
    )
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DecisionInvestor {
    pub id: Option<String>,
    /// "C3", or null without an assessment.
    pub level: Option<String>,
    pub investor_type: String,
    pub qualified: bool,
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
            },
            product: DecisionProduct {
                id: product_id.map(str::to_string),
                risk_rating: facts.product.rating_name.to_string(),
            },
            outcome,
            facts,
        }
    }
}
