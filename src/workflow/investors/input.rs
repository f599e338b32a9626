//! The onboarding request and how it is read into an investor, naming every bad field.

use chrono::NaiveDate;
use serde::Deserialize;
use validator::Validate;

use super::MAX_NAME;
use crate::config::business_today;
use crate::domain::identity::{self, IdType};
use crate::domain::investor::{CivilCapacity, InvestorKind, InvestorType, Wealth};
use crate::domain::money::RawAmount;
use crate::domain::problem::validation_problems;
use crate::domain::{FieldProblem, text};
use crate::store::classifications::Document;
use crate::store::investors::Investor;
use crate::store::{new_id, now};
use crate::workflow::qualification::{DocumentInput, PROOF_KINDS, parse_documents};
use crate::workflow::{Result, WorkflowError};

#[derive(Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "individual", "name": "张三",
    "id_number": "11010519491231002X", "birth_date": "1949-12-31",
    "phone": "13800138000", "email": "zhangsan@example.cn",
    "financial_assets": "5000000", "avg_income_3y": "600000", "civil_capacity": "full",
    "address": "北京市西城区金融大街 1 号", "occupation": "退休教师",
    "evidence": [{"kind": "asset_proof", "ref": "资产证明 ZC-2026-1120-0158",
        "issued_at": "2026-11-20"}]}))]
pub struct NewInvestor {
    /// "individual" or "institution".
    #[schema(pattern = "^(individual|institution)$", example = "individual")]
    pub kind: String,
    /// 1 to 100 characters once trimmed.
    pub name: String,
    /// The document `id_number` comes from: "resident_id" (default for individuals),
    /// "unified_social_credit_code" (institutions), "passport", "hk_macau_permit",
    /// "taiwan_permit".
    #[schema(
        pattern = "^(resident_id|unified_social_credit_code|passport|hk_macau_permit|taiwan_permit)$"
    )]
    pub id_type: Option<String>,
    /// The resident identity number (GB 11643, its birth date equal to `birth_date`), the
    /// unified social credit code (GB 32100), or the number of the document `id_type` names.
    #[validate(length(min = 1, max = 64, message = "must be 1 to 64 characters"))]
    #[schema(min_length = 1, max_length = 64)]
    pub id_number: String,
    /// YYYY-MM-DD; individuals only.
    pub birth_date: Option<String>,
    #[validate(length(min = 5, max = 32, message = "must be 5 to 32 characters"))]
    #[schema(min_length = 5, max_length = 32)]
    pub phone: Option<String>,
    #[validate(email(message = "is not an e-mail address"))]
    pub email: Option<String>,
    /// "ordinary" (the default, and the only type sales may create): professional status is a
    /// classification risk or compliance record (`POST /v1/investors/{id}/classification`).
    #[schema(pattern = "^(ordinary|professional)$")]
    pub investor_type: Option<String>,
    pub financial_assets: Option<RawAmount>,
    pub avg_income_3y: Option<RawAmount>,
    /// Institutions only.
    pub net_assets: Option<RawAmount>,
    /// Individuals: "full" (default), "limited" or "none" (民事行为能力). Without full capacity
    /// the investor is of the lowest category whatever the questionnaire says.
    #[schema(pattern = "^(full|limited|none)$")]
    pub civil_capacity: Option<String>,
    /// Postal address, 1 to 200 characters (personal data: sealed, masked in responses).
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    #[schema(min_length = 1, max_length = 200)]
    pub address: Option<String>,
    /// 1 to 100 characters.
    #[validate(length(min = 1, max = 100, message = "must be 1 to 100 characters"))]
    #[schema(min_length = 1, max_length = 100)]
    pub occupation: Option<String>,
    /// The proof qualification rests on: `[{"kind": "asset_proof" | "income_proof" |
    /// "net_assets_proof", "ref": "…", "issued_at": "YYYY-MM-DD"}]`; more with
    /// `POST /v1/investors/{id}/evidence`.
    #[serde(default)]
    pub evidence: Vec<DocumentInput>,
}

impl NewInvestor {
    /// Parses the request into an investor and their proofs, naming every bad field.
    pub fn into_investor(self, sales_owner_id: &str) -> Result<(Investor, Vec<Document>)> {
        let mut problems = match self.validate() {
            Ok(()) => Vec::new(),
            Err(e) => validation_problems(&e),
        };
        let proofs = parse_documents("evidence", &self.evidence, Some(PROOF_KINDS), &mut problems);
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
        let civil_capacity = match (&self.civil_capacity, kind) {
            (None, _) => Some(CivilCapacity::Full),
            (Some(_), Some(InvestorKind::Institution)) => {
                problems.push(FieldProblem::new(
                    "civil_capacity",
                    "applies to individuals only",
                ));
                None
            }
            (Some(c), _) => c
                .parse::<CivilCapacity>()
                .map_err(|e| problems.push(FieldProblem::new("civil_capacity", e)))
                .ok(),
        };
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
        match (
            kind,
            investor_type,
            id_type,
            id_number,
            civil_capacity,
            problems.is_empty(),
        ) {
            (
                Some(kind),
                Some(investor_type),
                Some(id_type),
                Some(id_number),
                Some(civil_capacity),
                true,
            ) => Ok((
                Investor {
                    civil_capacity,
                    id: new_id(),
                    kind,
                    investor_type,
                    name: name.to_string(),
                    id_type,
                    id_number,
                    birth_date,
                    phone: self.phone,
                    email: self.email,
                    address: self.address.map(|a| a.trim().to_string()),
                    occupation: self.occupation.map(|o| o.trim().to_string()),
                    wealth,
                    sales_owner_id: sales_owner_id.to_string(),
                    created_at: now(),
                },
                proofs,
            )),
            _ => Err(WorkflowError::Invalid(problems)),
        }
    }
}
