//! From stored records to facts, and from an outcome to the decision the API returns: the bridge
//! between the store and the rules engine, shared by the check, orders and replays.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::config::{Policy, business_offset};
use crate::domain::investor::{InvestorKind, InvestorType, Wealth, age_on, is_qualified};
use crate::domain::{Money, RiskLevel, RiskRating};
use crate::questionnaire::score::LOWEST_CATEGORY;
use crate::rules::decision::Outcome;
use crate::rules::{Facts, InvestorFacts, OrderFacts, ProductFacts};
use crate::store::StoreError;
use crate::store::holdings::FactRow;

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

fn money(s: &Option<String>) -> Result<Option<Money>, StoreError> {
    s.as_ref()
        .map(|v| {
            v.parse::<Money>()
                .map_err(|e| StoreError::Corrupt(format!("amount '{v}': {e}")))
        })
        .transpose()
}

/// The facts of a sale or holding from its row of sources (see `store::holdings`), as of `at`.
pub fn facts_of_row(
    row: &FactRow,
    amount: Money,
    policy: &Policy,
    at: DateTime<Utc>,
) -> Result<Facts, StoreError> {
    let corrupt = |what: String| StoreError::Corrupt(what);
    let wealth = Wealth {
        financial_assets: money(&row.financial_assets)?,
        avg_income_3y: money(&row.avg_income_3y)?,
        net_assets: money(&row.net_assets)?,
    };
    let investor = InvestorSnapshot {
        kind: row.kind.parse().map_err(corrupt)?,
        investor_type: row.investor_type.parse().map_err(corrupt)?,
        birth_date: row.birth_date,
        wealth: &wealth,
    };
    let latest = match (row.level, row.assessed_at, row.valid_until) {
        (Some(level), Some(assessed_at), Some(valid_until)) => Some(AssessmentSnapshot {
            level: RiskLevel::from_number(level)
                .ok_or_else(|| corrupt(format!("level {level}")))?,
            lowest_category: row
                .flags
                .as_ref()
                .is_some_and(|f| f.0.iter().any(|x| x == LOWEST_CATEGORY)),
            assessed_at,
            valid_until,
        }),
        _ => None,
    };
    let product = ProductSnapshot {
        code: &row.product_code,
        kind: &row.product_kind,
        rating: RiskRating::from_number(row.risk_rating)
            .ok_or_else(|| corrupt(format!("rating {}", row.risk_rating)))?,
        min_subscription: row
            .min_subscription
            .parse()
            .map_err(|e| corrupt(format!("minimum: {e}")))?,
    };
    let history = History {
        holds_product: row.holds_product,
        open_complaints: row.open_complaints,
        complaints_90d: row.complaints_90d,
    };
    Ok(facts_from(
        investor, latest, product, amount, history, policy, at,
    ))
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
