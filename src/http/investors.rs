//! Investors: onboarding (sales), reading one with its latest assessment, and a paginated list.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use validator::Validate;

use super::AppState;
use super::access::MAY_REVEAL_PERSONAL_DATA;
use super::extract::{ApiJson, ApiQuery, Caller, validation_problems};
use crate::config::{Policy, business_today};
use crate::domain::investor::{InvestorKind, InvestorType, Wealth, age_on, is_qualified};
use crate::domain::mask;
use crate::domain::money::RawAmount;
use crate::error::{ApiError, FieldProblem};
use crate::store::assessments::{self, Assessment};
use crate::store::investors::{self, Investor};
use crate::store::{new_id, now};

#[derive(Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInvestorRequest {
    /// "individual" or "institution".
    pub kind: String,
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    pub name: String,
    /// Identity document number (individuals) or unified social credit code (institutions).
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

#[derive(Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// At most this many items (1..=200, default 50).
    pub limit: Option<i64>,
    /// The `next_after` of the previous page.
    pub after: Option<String>,
    /// Investors only: find by identity number (matched through its keyed hash).
    pub id_number: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct RevealQuery {
    /// Show identity number, phone and e-mail in the clear (compliance and admin; audited).
    pub reveal: Option<bool>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct InvestorPage {
    pub items: Vec<InvestorResponse>,
    /// Pass as `after` for the next page; null on the last page.
    pub next_after: Option<String>,
}

impl PageQuery {
    /// The page size, checked.
    pub fn limit(&self) -> Result<i64, ApiError> {
        let limit = self.limit.unwrap_or(50);
        if !(1..=200).contains(&limit) {
            return Err(ApiError::field("limit", "must be between 1 and 200"));
        }
        Ok(limit)
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/investors", get(list_investors).post(create_investor))
        .route("/v1/investors/{id}", get(get_investor))
}

impl CreateInvestorRequest {
    /// Parses the request into an investor, naming every bad field.
    fn into_investor(self, sales_owner_id: &str) -> Result<Investor, ApiError> {
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
        if !self.name.is_empty() && self.name.trim().is_empty() {
            problems.push(FieldProblem::new("name", "must not be blank"));
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
        match (kind, investor_type, problems.is_empty()) {
            (Some(kind), Some(investor_type), true) => Ok(Investor {
                id: new_id(),
                kind,
                investor_type,
                name: self.name.trim().to_string(),
                id_number: self.id_number.trim().to_string(),
                birth_date,
                phone: self.phone,
                email: self.email,
                wealth,
                sales_owner_id: sales_owner_id.to_string(),
                created_at: now(),
            }),
            _ => Err(ApiError::validation(problems)),
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

/// Onboards an investor; the caller becomes the sales owner.
#[utoipa::path(post, path = "/v1/investors", tag = "investors", request_body = CreateInvestorRequest,
    responses((status = 201, body = InvestorResponse), (status = 400, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_investor(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(req): ApiJson<CreateInvestorRequest>,
) -> Result<(StatusCode, Json<InvestorResponse>), ApiError> {
    let investor = req.into_investor(&caller.id)?;
    let mut tx = state.db.begin().await?;
    investors::insert(&mut tx.conn(), &state.vault, &investor).await?;
    super::audit::record(
        &mut tx.conn(),
        &caller,
        "investor.create",
        "investor",
        &investor.id,
        &investor_response(investor.clone(), None, &state.config.policy, true),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(investor = %investor.id, "investor created");
    Ok((
        StatusCode::CREATED,
        Json(investor_response(
            investor,
            None,
            &state.config.policy,
            false,
        )),
    ))
}

/// One investor with the latest assessment (valid or not), or `assessment: null`.
#[utoipa::path(get, path = "/v1/investors/{id}", tag = "investors",
    params(("id" = String, Path), RevealQuery),
    responses((status = 200, body = InvestorResponse), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_investor(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<RevealQuery>,
) -> Result<Json<InvestorResponse>, ApiError> {
    let reveal = q.reveal.unwrap_or(false);
    if reveal && !caller.has_any(MAY_REVEAL_PERSONAL_DATA) {
        return Err(ApiError::forbidden(
            "only compliance and admin may reveal personal data",
        ));
    }
    let mut tx = state.db.begin().await?;
    let investor = investors::get(&mut tx.conn(), &state.vault, &id)
        .await?
        .ok_or(ApiError::NotFound { what: "investor" })?;
    let latest = assessments::latest_for(&mut tx.conn(), &id).await?;
    if reveal {
        // Seeing personal data in the clear is itself a recorded act.
        super::audit::record(
            &mut tx.conn(),
            &caller,
            "investor.reveal",
            "investor",
            &id,
            &serde_json::json!({"fields": ["id_number", "phone", "email"]}),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Json(investor_response(
        investor,
        latest.as_ref(),
        &state.config.policy,
        reveal,
    )))
}

/// Investors in creation order, a page at a time.
#[utoipa::path(get, path = "/v1/investors", tag = "investors", params(PageQuery),
    responses((status = 200, body = InvestorPage), (status = 422, body = crate::error::ErrorBody)))]
pub async fn list_investors(
    State(state): State<AppState>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<InvestorPage>, ApiError> {
    let limit = page.limit()?;
    let mut pooled = state.db.acquire().await?;
    let mut c = pooled.conn();
    let found = match &page.id_number {
        Some(n) => investors::by_id_number(&mut c, &state.vault, n).await?,
        None => investors::list(&mut c, &state.vault, page.after.as_deref(), limit + 1).await?,
    };
    let more = found.len() as i64 > limit;
    let mut items = Vec::with_capacity(found.len());
    for inv in found.into_iter().take(limit as usize) {
        let latest = assessments::latest_for(&mut c, &inv.id).await?;
        items.push(investor_response(
            inv,
            latest.as_ref(),
            &state.config.policy,
            false,
        ));
    }
    let next_after = if more {
        items.last().map(|i| i.id.clone())
    } else {
        None
    };
    Ok(Json(InvestorPage { items, next_after }))
}
