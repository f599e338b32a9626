//! Professional status (专业投资者) and its criteria (regulation.md §1): the bases a
//! classification may rest on, the figures each needs, and the check of those figures.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::investor::{InvestorKind, InvestorType, str_enum};
use super::{FieldProblem, Money};

/// What a classification rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// An individual: financial assets ≥ 5m and ≥ 2 years' experience.
    AssetsAndExperience,
    /// An individual: 3-year average income ≥ 0.5m and ≥ 2 years' experience.
    IncomeAndExperience,
    /// An organisation: net assets ≥ 20m, financial assets ≥ 10m, ≥ 2 years' experience.
    OrganisationAssets,
    /// A licensed institution, its products, pension, social-security and charity funds, QFII.
    InstitutionType,
    /// A professional's written request to be treated as ordinary.
    InvestorRequest,
    /// An ordinary investor's application to be treated as professional (lower criteria, and
    /// the firm may refuse).
    Application,
}

str_enum!(Basis {
    AssetsAndExperience => "assets_and_experience",
    IncomeAndExperience => "income_and_experience",
    OrganisationAssets => "organisation_assets",
    InstitutionType => "institution_type",
    InvestorRequest => "investor_request",
    Application => "application"
});

/// The institution types that are professional by what they are (适当性办法 第八条(一)(二)).
pub const INSTITUTION_TYPES: &[&str] = &[
    "licensed_financial_institution",
    "financial_product",
    "pension_fund",
    "social_security_fund",
    "charity_fund",
    "qfii",
    "rqfii",
];

/// The thresholds of 适当性办法 第八条 and 第十一条; regulators change them, so they are policy.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfessionalThresholds {
    pub individual_financial_assets: Money,
    pub individual_avg_income_3y: Money,
    pub organisation_net_assets: Money,
    pub organisation_financial_assets: Money,
    pub experience_years: i64,
    /// An ordinary investor's application (conversion).
    pub application_individual_financial_assets: Money,
    pub application_individual_avg_income_3y: Money,
    pub application_organisation_net_assets: Money,
    pub application_organisation_financial_assets: Money,
    pub application_experience_years: i64,
}

impl Default for ProfessionalThresholds {
    fn default() -> Self {
        Self {
            individual_financial_assets: Money::from_yuan(5_000_000),
            individual_avg_income_3y: Money::from_yuan(500_000),
            organisation_net_assets: Money::from_yuan(20_000_000),
            organisation_financial_assets: Money::from_yuan(10_000_000),
            experience_years: 2,
            application_individual_financial_assets: Money::from_yuan(3_000_000),
            application_individual_avg_income_3y: Money::from_yuan(300_000),
            application_organisation_net_assets: Money::from_yuan(10_000_000),
            application_organisation_financial_assets: Money::from_yuan(5_000_000),
            application_experience_years: 1,
        }
    }
}

/// The figures a classification rests on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Figures {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub financial_assets: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub avg_income_3y: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub net_assets: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub experience_years: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub institution_type: Option<String>,
}

/// The type a basis leads to (an application and the criteria lead to professional, a request
/// to ordinary), or a problem when `investor_type` says otherwise.
pub fn resulting_type(basis: Basis) -> InvestorType {
    match basis {
        Basis::InvestorRequest => InvestorType::Ordinary,
        _ => InvestorType::Professional,
    }
}

/// Every criterion of `basis` the figures fail, for an investor of `kind` now of type `current`;
/// empty when the classification may be granted.
pub fn unmet(
    basis: Basis,
    kind: InvestorKind,
    current: InvestorType,
    f: &Figures,
    t: &ProfessionalThresholds,
) -> Vec<FieldProblem> {
    let mut out = Vec::new();
    let mut at_least = |field: &str, got: Option<Money>, min: Money| {
        if got.is_none_or(|v| v < min) {
            out.push(FieldProblem::new(
                field,
                format!("must be at least {min} for {basis}"),
            ));
        }
    };
    let individual = kind == InvestorKind::Individual;
    match basis {
        Basis::AssetsAndExperience if individual => at_least(
            "financial_assets",
            f.financial_assets,
            t.individual_financial_assets,
        ),
        Basis::IncomeAndExperience if individual => {
            at_least("avg_income_3y", f.avg_income_3y, t.individual_avg_income_3y)
        }
        Basis::OrganisationAssets if !individual => {
            at_least("net_assets", f.net_assets, t.organisation_net_assets);
            at_least(
                "financial_assets",
                f.financial_assets,
                t.organisation_financial_assets,
            );
        }
        Basis::Application if individual => {
            let assets = f
                .financial_assets
                .is_some_and(|v| v >= t.application_individual_financial_assets);
            let income = f
                .avg_income_3y
                .is_some_and(|v| v >= t.application_individual_avg_income_3y);
            if !assets && !income {
                out.push(FieldProblem::new(
                    "financial_assets",
                    format!(
                        "an application needs financial assets of at least {} or an average income of at least {}",
                        t.application_individual_financial_assets,
                        t.application_individual_avg_income_3y
                    ),
                ));
            }
        }
        Basis::Application => {
            at_least(
                "net_assets",
                f.net_assets,
                t.application_organisation_net_assets,
            );
            at_least(
                "financial_assets",
                f.financial_assets,
                t.application_organisation_financial_assets,
            );
        }
        Basis::InstitutionType if !individual => {
            if !f
                .institution_type
                .as_deref()
                .is_some_and(|x| INSTITUTION_TYPES.contains(&x))
            {
                out.push(FieldProblem::new(
                    "institution_type",
                    format!("must be one of: {}", INSTITUTION_TYPES.join(" ")),
                ));
            }
        }
        Basis::InvestorRequest => {}
        _ => out.push(FieldProblem::new(
            "basis",
            format!("{basis} does not apply to an {kind}"),
        )),
    }
    let years = match basis {
        Basis::Application => Some(t.application_experience_years),
        Basis::InstitutionType | Basis::InvestorRequest => None,
        _ => Some(t.experience_years),
    };
    if let Some(min) = years
        && f.experience_years.is_none_or(|y| y < min)
    {
        out.push(FieldProblem::new(
            "experience_years",
            format!("must be at least {min} for {basis}"),
        ));
    }
    let from = match basis {
        Basis::InvestorRequest => InvestorType::Professional,
        Basis::Application => InvestorType::Ordinary,
        _ => current,
    };
    if current != from {
        out.push(FieldProblem::new(
            "basis",
            format!("{basis} applies to an investor who is {from}, and this one is {current}"),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(fa: i64, inc: i64, na: i64, years: i64) -> Figures {
        Figures {
            financial_assets: Some(Money::from_yuan(fa)),
            avg_income_3y: Some(Money::from_yuan(inc)),
            net_assets: Some(Money::from_yuan(na)),
            experience_years: Some(years),
            institution_type: None,
        }
    }

    fn fields(p: Vec<FieldProblem>) -> Vec<String> {
        p.into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn each_basis_holds_its_own_edges() {
        let t = ProfessionalThresholds::default();
        let (ind, org) = (InvestorKind::Individual, InvestorKind::Institution);
        let (ord, pro) = (InvestorType::Ordinary, InvestorType::Professional);
        let a = Basis::AssetsAndExperience;
        assert!(unmet(a, ind, ord, &figures(5_000_000, 0, 0, 2), &t).is_empty());
        assert_eq!(
            fields(unmet(a, ind, ord, &figures(4_999_999, 0, 0, 1), &t)),
            ["financial_assets", "experience_years"]
        );
        let i = Basis::IncomeAndExperience;
        assert!(unmet(i, ind, ord, &figures(0, 500_000, 0, 2), &t).is_empty());
        assert_eq!(
            fields(unmet(i, ind, ord, &figures(0, 499_999, 0, 2), &t)),
            ["avg_income_3y"]
        );
        let o = Basis::OrganisationAssets;
        assert!(unmet(o, org, ord, &figures(10_000_000, 0, 20_000_000, 2), &t).is_empty());
        assert_eq!(
            fields(unmet(
                o,
                org,
                ord,
                &figures(9_999_999, 0, 20_000_000, 2),
                &t
            )),
            ["financial_assets"]
        );
        assert_eq!(
            fields(unmet(o, ind, ord, &figures(1, 1, 1, 9), &t)),
            ["basis"]
        );
        let app = Basis::Application;
        assert!(unmet(app, ind, ord, &figures(0, 300_000, 0, 1), &t).is_empty());
        assert_eq!(
            fields(unmet(app, ind, ord, &figures(2_999_999, 299_999, 0, 0), &t)),
            ["financial_assets", "experience_years"]
        );
        assert_eq!(
            fields(unmet(app, ind, pro, &figures(3_000_000, 0, 0, 1), &t)),
            ["basis"]
        );
        let r = Basis::InvestorRequest;
        assert!(unmet(r, ind, pro, &Figures::default(), &t).is_empty());
        assert_eq!(
            fields(unmet(r, ind, ord, &Figures::default(), &t)),
            ["basis"]
        );
        let ty = Basis::InstitutionType;
        let mut f = Figures::default();
        assert_eq!(fields(unmet(ty, org, ord, &f, &t)), ["institution_type"]);
        f.institution_type = Some("qfii".into());
        assert!(unmet(ty, org, ord, &f, &t).is_empty());
    }
}
