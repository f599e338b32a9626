//! An investor as responses show it: personal data masked unless revealed, with the latest
//! assessment.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::config::{Policy, business_today};
use crate::domain::identity::IdType;
use crate::domain::investor::{
    CivilCapacity, InvestorKind, InvestorType, age_on, is_minor, is_qualified,
};
use crate::domain::mask;
use crate::store::assessments::Assessment;
use crate::store::investors::Investor;

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
    /// Only when personal data is revealed: beside the masked identity number it would leave two
    /// digits to guess. `age` is always there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<NaiveDate>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub occupation: Option<String>,
    pub financial_assets: Option<String>,
    pub avg_income_3y: Option<String>,
    pub net_assets: Option<String>,
    pub civil_capacity: CivilCapacity,
    /// A qualified investor (合格投资者): by the thresholds, never a minor.
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
    let qualified = qualified && !is_minor(inv.kind, age.unwrap_or(-1));
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
        civil_capacity: inv.civil_capacity,
        id_type: inv.id_type,
        id_number: if reveal {
            inv.id_number
        } else {
            mask::id_number(&inv.id_number)
        },
        birth_date: inv.birth_date.filter(|_| reveal),
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
        address: if reveal {
            inv.address
        } else {
            inv.address.as_deref().map(mask::address)
        },
        occupation: inv.occupation,
        sales_owner_id: inv.sales_owner_id,
        created_at: inv.created_at,
    }
}
