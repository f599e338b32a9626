//! From stored records to facts, and from an outcome to the decision the API returns: the bridge
//! between the store and the rules engine, shared by the check, orders and replays.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::{Policy, business_offset};
use crate::domain::investor::{InvestorKind, age_on, is_qualified};
use crate::domain::{Money, RiskLevel};
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

/// The facts of one prospective sale, as of `at`.
pub fn facts_for(
    investor: &Investor,
    latest: Option<&Assessment>,
    product: &Product,
    amount: Money,
    history: History,
    policy: &Policy,
    at: DateTime<Utc>,
) -> Facts {
    let today = at.with_timezone(&business_offset()).date_naive();
    let (level, lowest, valid, age_days) = match latest {
        Some(a) => (
            a.level.number(),
            a.lowest_category(),
            a.is_valid_at(at),
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
                &investor.wealth,
                &policy.qualification,
            ),
            open_complaints: history.open_complaints,
            complaints_90d: history.complaints_90d,
        },
        product: ProductFacts {
            code: product.code.as_str().into(),
            kind: product.kind.as_str().into(),
            rating: product.risk_rating.number(),
            rating_name: product.risk_rating.name().into(),
            min_subscription: product.min_subscription.value(),
        },
        order: OrderFacts {
            amount: amount.value(),
            first_purchase: !history.holds_product,
        },
    }
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
