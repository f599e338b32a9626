//! Classification (专业投资者认定): risk or compliance record an investor's type on a basis, the
//! figures it rests on and the evidence, checked against regulation.md §1; never the investor's
//! own sales owner. Every decision is kept, refusals of an application too, and a professional
//! classification lapses (`valid_until`).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::qualification::{DocumentInput, PROOF_KINDS, parse_documents, store_proofs};
use super::{Ctx, Result, WorkflowError, audit, events, scope};
use crate::config::{add_business_months, business_today};
use crate::domain::classification::{Basis, Figures, resulting_type, unmet};
use crate::domain::investor::InvestorType;
use crate::domain::money::RawAmount;
use crate::domain::{FieldProblem, Role};
use crate::store::classifications::{self, Classification, Document};
use crate::store::staff::Staff;
use crate::store::{Conn, investors, new_id, now};

/// Who may classify an investor.
pub const MAY_CLASSIFY: &[Role] = &[Role::Risk, Role::Compliance];
/// Longest reason for a refusal.
pub const MAX_REASON: usize = 500;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"investor_type": "professional", "basis": "assets_and_experience",
    "financial_assets": "6000000", "experience_years": 3,
    "evidence": [{"kind": "asset_proof", "ref": "资产证明 ZC-2026-1120-0158",
        "issued_at": "2026-11-20"}]}))]
pub struct NewClassification {
    /// "professional", or "ordinary" for `investor_request`.
    pub investor_type: String,
    /// assets_and_experience | income_and_experience | organisation_assets | institution_type |
    /// investor_request | application
    pub basis: String,
    pub financial_assets: Option<RawAmount>,
    pub avg_income_3y: Option<RawAmount>,
    pub net_assets: Option<RawAmount>,
    pub experience_years: Option<i64>,
    /// For `institution_type`: licensed_financial_institution, financial_product, pension_fund,
    /// social_security_fund, charity_fund, qfii, rqfii.
    pub institution_type: Option<String>,
    /// The documents it rests on: `[{"kind": "asset_proof", "ref": "…", "issued_at": "YYYY-MM-DD"}]`.
    #[serde(default)]
    pub evidence: Vec<DocumentInput>,
    /// "granted" (default) or "refused" (an application only, with a `reason`).
    pub outcome: Option<String>,
    pub reason: Option<String>,
}

/// The documents each basis must rest on.
fn needed_documents(basis: Basis) -> &'static [&'static str] {
    match basis {
        Basis::AssetsAndExperience => &["asset_proof"],
        Basis::IncomeAndExperience => &["income_proof"],
        Basis::OrganisationAssets => &["net_assets_proof", "asset_proof"],
        Basis::InstitutionType => &["license"],
        Basis::InvestorRequest => &["written_request"],
        Basis::Application => &["application_form"],
    }
}

/// Records a classification of the investor and, when granted, makes it their type: a change of
/// type re-evaluates every holding of theirs.
pub async fn classify(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    investor_id: &str,
    new: NewClassification,
) -> Result<Classification> {
    if !actor.has_any(MAY_CLASSIFY) {
        return Err(WorkflowError::forbidden(
            "forbidden",
            "only risk and compliance classify investors",
        ));
    }
    scope::investor(c, actor, investor_id).await?;
    let investor = investors::get(c, ctx.vault, investor_id)
        .await?
        .ok_or(WorkflowError::NotFound("investor"))?;
    if investor.sales_owner_id == actor.id {
        return Err(WorkflowError::forbidden(
            "separation_of_duties",
            "an investor's own sales owner may not classify them",
        ));
    }
    let t = now();
    let mut problems = Vec::new();
    let basis = new
        .basis
        .parse::<Basis>()
        .map_err(|e| problems.push(FieldProblem::new("basis", e)))
        .ok();
    let investor_type = new
        .investor_type
        .parse::<InvestorType>()
        .map_err(|e| problems.push(FieldProblem::new("investor_type", e)))
        .ok();
    if let (Some(b), Some(ty)) = (basis, investor_type)
        && resulting_type(b) != ty
    {
        problems.push(FieldProblem::new(
            "investor_type",
            format!("{b} makes an investor {}", resulting_type(b)),
        ));
    }
    let refused = match new.outcome.as_deref() {
        None | Some("granted") => false,
        Some("refused") => true,
        Some(other) => {
            problems.push(FieldProblem::new(
                "outcome",
                format!("must be one of: granted refused (got '{other}')"),
            ));
            false
        }
    };
    let reason = new
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if refused && basis.is_some_and(|b| b != Basis::Application) {
        problems.push(FieldProblem::new(
            "outcome",
            "only an application may be refused",
        ));
    }
    if refused && reason.is_none_or(|r| r.chars().count() > MAX_REASON) {
        problems.push(FieldProblem::new(
            "reason",
            format!("a refusal needs a reason of 1 to {MAX_REASON} characters"),
        ));
    }
    let mut amount = |field: &str, raw: &Option<RawAmount>| {
        raw.as_ref().and_then(|r| {
            r.parse()
                .map_err(|e| problems.push(FieldProblem::new(field, e)))
                .ok()
        })
    };
    let figures = Figures {
        financial_assets: amount("financial_assets", &new.financial_assets),
        avg_income_3y: amount("avg_income_3y", &new.avg_income_3y),
        net_assets: amount("net_assets", &new.net_assets),
        experience_years: new.experience_years,
        institution_type: new.institution_type.map(|s| s.trim().to_string()),
    };
    if figures
        .experience_years
        .is_some_and(|y| !(0..=100).contains(&y))
    {
        problems.push(FieldProblem::new("experience_years", "must be 0 to 100"));
    }
    let evidence = parse_documents("evidence", &new.evidence, None, &mut problems);
    let (Some(basis), Some(investor_type), true) = (basis, investor_type, problems.is_empty())
    else {
        return Err(WorkflowError::Invalid(problems));
    };
    if !refused {
        let mut unmet = unmet(
            basis,
            investor.kind,
            investor.investor_type,
            &figures,
            &ctx.policy.professional,
        );
        unmet.extend(document_problems(basis, &evidence, ctx));
        if !unmet.is_empty() {
            return Err(WorkflowError::Unprocessable {
                code: "classification_criteria_not_met",
                problems: unmet,
            });
        }
    }
    let k = Classification {
        id: new_id(),
        investor_id: investor_id.to_string(),
        investor_type: investor_type.as_str().to_string(),
        basis: basis.as_str().to_string(),
        outcome: if refused { "refused" } else { "granted" }.to_string(),
        figures,
        evidence,
        reason: reason.map(str::to_string),
        valid_until: (!refused && investor_type == InvestorType::Professional)
            .then(|| valid_until(t, ctx.policy.classification_validity_months)),
        decided_by: actor.id.clone(),
        decided_at: t,
    };
    classifications::insert(c, &k).await?;
    if !refused {
        investors::set_classification(c, investor_id, investor_type, k.valid_until).await?;
    }
    // After the row changed: the entry carries its digest.
    audit::record(c, actor, "investor.classify", "investor", investor_id, &k).await?;
    if refused {
        return Ok(k);
    }
    store_proofs(c, actor, investor_id, &k.evidence).await?;
    if investor.investor_type != investor_type {
        events::after_investor_changed(c, ctx, actor, investor_id).await?;
    }
    tracing::info!(investor = %investor_id, basis = %basis, "investor classified");
    Ok(k)
}

fn valid_until(t: DateTime<Utc>, months: u32) -> DateTime<Utc> {
    add_business_months(t, months).unwrap_or(t + Duration::days(365))
}

/// What is missing or stale among the documents a basis rests on.
fn document_problems(basis: Basis, docs: &[Document], ctx: &Ctx<'_>) -> Vec<FieldProblem> {
    let today = business_today();
    let max_age = i64::from(ctx.policy.qualification_evidence_max_age_days);
    let mut out = Vec::new();
    for kind in needed_documents(basis) {
        if !docs.iter().any(|d| d.kind == *kind) {
            out.push(FieldProblem::new(
                "evidence",
                format!("{basis} needs a document of kind {kind}"),
            ));
        }
    }
    for (i, d) in docs.iter().enumerate() {
        if PROOF_KINDS.contains(&d.kind.as_str()) && (today - d.issued_at).num_days() > max_age {
            out.push(FieldProblem::new(
                format!("evidence[{i}].issued_at"),
                format!(
                    "a {} older than {max_age} days proves nothing today",
                    d.kind
                ),
            ));
        }
    }
    out
}

/// Every classification of the investor, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClassificationList {
    pub items: Vec<Classification>,
}

pub async fn list(
    c: &mut Conn<'_>,
    actor: &Staff,
    investor_id: &str,
) -> Result<ClassificationList> {
    scope::investor(c, actor, investor_id).await?;
    if !investors::exists(c, investor_id).await? {
        return Err(WorkflowError::NotFound("investor"));
    }
    Ok(ClassificationList {
        items: classifications::for_investor(c, investor_id).await?,
    })
}
