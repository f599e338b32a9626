//! Investors: kind, type, qualified-investor status (合格投资者) and age.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::Money;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvestorKind {
    Individual,
    Institution,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvestorType {
    /// 普通投资者: graded by questionnaire, specially protected.
    Ordinary,
    /// 专业投资者: not graded, may buy any rating.
    Professional,
}

macro_rules! str_enum {
    ($t:ident { $($v:ident => $s:literal),* }) => {
        impl $t {
            pub fn as_str(self) -> &'static str {
                match self { $($t::$v => $s),* }
            }
        }
        impl FromStr for $t {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($s => Ok($t::$v),)*
                    other => Err(format!(concat!("must be one of: ", $($s, " "),*, "(got '{}')"), other)),
                }
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

pub(crate) use str_enum;

/// 民事行为能力: only a person with full capacity decides alone on a risky investment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CivilCapacity {
    Full,
    Limited,
    None,
}

str_enum!(CivilCapacity { Full => "full", Limited => "limited", None => "none" });

/// Under this age an individual is a minor: never a qualified investor.
pub const ADULT_AGE: i64 = 18;

/// Whether an individual of `age` (whole years, -1 unknown) is a minor.
pub fn is_minor(kind: InvestorKind, age: i64) -> bool {
    kind == InvestorKind::Individual && (0..ADULT_AGE).contains(&age)
}

str_enum!(InvestorKind { Individual => "individual", Institution => "institution" });
str_enum!(InvestorType { Ordinary => "ordinary", Professional => "professional" });

/// The thresholds of 《私募投资基金监督管理暂行办法》 art. 12; regulators change them, so they are
/// configuration, not code.
#[derive(Debug, Clone, PartialEq)]
pub struct QualificationThresholds {
    pub individual_financial_assets: Money,
    pub individual_avg_income_3y: Money,
    pub institution_net_assets: Money,
}

impl Default for QualificationThresholds {
    fn default() -> Self {
        Self {
            individual_financial_assets: Money::from_yuan(3_000_000),
            individual_avg_income_3y: Money::from_yuan(500_000),
            institution_net_assets: Money::from_yuan(10_000_000),
        }
    }
}

/// The financial facts qualification is decided on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wealth {
    pub financial_assets: Option<Money>,
    pub avg_income_3y: Option<Money>,
    pub net_assets: Option<Money>,
}

/// Whether an investor is a qualified investor. Professional investors qualify by definition.
pub fn is_qualified(
    kind: InvestorKind,
    investor_type: InvestorType,
    wealth: &Wealth,
    t: &QualificationThresholds,
) -> bool {
    if investor_type == InvestorType::Professional {
        return true;
    }
    match kind {
        InvestorKind::Individual => {
            wealth
                .financial_assets
                .is_some_and(|a| a >= t.individual_financial_assets)
                || wealth
                    .avg_income_3y
                    .is_some_and(|i| i >= t.individual_avg_income_3y)
        }
        InvestorKind::Institution => wealth
            .net_assets
            .is_some_and(|n| n >= t.institution_net_assets),
    }
}

/// Age in whole years on `today`.
pub fn age_on(birth_date: NaiveDate, today: NaiveDate) -> i64 {
    let mut years = i64::from(today.year() - birth_date.year());
    if (today.month(), today.day()) < (birth_date.month(), birth_date.day()) {
        years -= 1;
    }
    years.max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wealth(fa: i64, inc: i64, na: i64) -> Wealth {
        Wealth {
            financial_assets: Some(Money::from_yuan(fa)),
            avg_income_3y: Some(Money::from_yuan(inc)),
            net_assets: Some(Money::from_yuan(na)),
        }
    }

    #[test]
    fn qualification_edges() {
        let t = QualificationThresholds::default();
        let ind = InvestorKind::Individual;
        let ord = InvestorType::Ordinary;
        assert!(is_qualified(ind, ord, &wealth(3_000_000, 0, 0), &t));
        assert!(!is_qualified(ind, ord, &wealth(2_999_999, 499_999, 0), &t));
        assert!(is_qualified(ind, ord, &wealth(0, 500_000, 0), &t));
        let inst = InvestorKind::Institution;
        assert!(is_qualified(inst, ord, &wealth(0, 0, 10_000_000), &t));
        assert!(!is_qualified(
            inst,
            ord,
            &wealth(99_000_000, 9_000_000, 9_999_999),
            &t
        ));
        assert!(is_qualified(
            ind,
            InvestorType::Professional,
            &wealth(0, 0, 0),
            &t
        ));
    }

    #[test]
    fn age_counts_whole_years() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(age_on(d("1966-11-21"), d("2026-11-21")), 60);
        assert_eq!(age_on(d("1966-11-22"), d("2026-11-21")), 59);
        assert_eq!(age_on(d("2000-02-29"), d("2026-02-28")), 25);
    }
}
