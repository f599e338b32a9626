//! One row of each kind read into the request of the workflow function that records it.

use std::collections::{BTreeMap, HashMap};

use super::columns::{Record, amount_text, moment};
use super::{Done, ImportKind, Options};
use crate::domain::identity::{self, IdType};
use crate::domain::money::RawAmount;
use crate::domain::{FieldProblem, Money, Role};
use crate::questionnaire::score::Choice;
use crate::store::staff::{self, Staff};
use crate::store::{Conn, imports, investors as stored_investors, truncate_micros};
use crate::workflow::assessments::{self, Submission};
use crate::workflow::existing_holdings::{self, ExistingHolding};
use crate::workflow::investors::NewInvestor;
use crate::workflow::qualification::DocumentInput;
use crate::workflow::{Ctx, Result, WorkflowError};

pub(crate) struct Importer {
    kind: ImportKind,
    default_owner: Option<String>,
    /// Sales owners by the name or id a row gives: their id, or why they cannot own.
    owners: HashMap<String, std::result::Result<String, String>>,
}

impl Importer {
    pub fn new(kind: ImportKind, opts: &Options) -> Self {
        Importer {
            kind,
            default_owner: opts.sales_owner.clone(),
            owners: HashMap::new(),
        }
    }

    /// What makes a row the same record as another in the file.
    pub fn key(&self, r: &Record<'_>) -> Option<String> {
        let id = r.get("id_number")?.to_ascii_uppercase();
        Some(match self.kind {
            ImportKind::Investors => id,
            ImportKind::Holdings => format!(
                "{id}|{}|{}|{}",
                r.get("product_code")?,
                r.get("signed_at")?,
                amount_text(r.get("amount")?)
            ),
            ImportKind::Assessments => format!(
                "{id}|{}|{}",
                r.get("questionnaire_id")?,
                r.get("assessed_at")?
            ),
        })
    }

    pub async fn row(
        &mut self,
        c: &mut Conn<'_>,
        ctx: &Ctx<'_>,
        actor: &Staff,
        r: &Record<'_>,
    ) -> Result<Done> {
        match self.kind {
            // Investors are onboarded a batch at a time (`super::investor_batch`).
            ImportKind::Investors => Err(WorkflowError::Internal(
                "investors are imported in batches".into(),
            )),
            ImportKind::Holdings => holding(c, ctx, actor, r).await,
            ImportKind::Assessments => assessment(c, ctx, actor, r).await,
        }
    }

    /// The onboarding request a row of investors makes, with its sales owner's id.
    pub async fn investor_request(
        &mut self,
        c: &mut Conn<'_>,
        r: &Record<'_>,
    ) -> Result<(String, NewInvestor)> {
        let owner = self.owner(c, r).await?;
        let amount = |f: &str| r.get(f).map(|v| RawAmount(amount_text(v)));
        let evidence = if ["evidence_kind", "evidence_ref", "evidence_issued_at"]
            .iter()
            .any(|f| r.get(f).is_some())
        {
            vec![DocumentInput {
                kind: r.code("evidence_kind").unwrap_or_default(),
                reference: r.text("evidence_ref"),
                issued_at: r
                    .get("evidence_issued_at")
                    .map(|d| super::columns::date(d).map_or(d.to_string(), |d| d.to_string()))
                    .unwrap_or_default(),
            }]
        } else {
            Vec::new()
        };
        let birth_date = r
            .get("birth_date")
            .map(|d| super::columns::date(d).map_or(d.to_string(), |d| d.to_string()));
        let new = NewInvestor {
            kind: r.code("kind").unwrap_or_default(),
            name: r.text("name"),
            id_type: r.code("id_type"),
            id_number: r.text("id_number"),
            birth_date,
            phone: r.owned("phone"),
            email: r.owned("email"),
            investor_type: None,
            financial_assets: amount("financial_assets"),
            avg_income_3y: amount("avg_income_3y"),
            net_assets: amount("net_assets"),
            civil_capacity: r.code("civil_capacity"),
            address: r.owned("address"),
            occupation: r.owned("occupation"),
            evidence,
        };
        Ok((owner, new))
    }

    /// The row's sales owner (or the import's): an active sales person, by name or id.
    async fn owner(&mut self, c: &mut Conn<'_>, r: &Record<'_>) -> Result<String> {
        let Some(wanted) = r
            .owned("sales_owner")
            .or_else(|| self.default_owner.clone())
        else {
            return Err(WorkflowError::field(
                "sales_owner",
                "is required (a sales person's name or id), or give the import a default owner",
            ));
        };
        if !self.owners.contains_key(&wanted) {
            let found = match staff::by_name(c, &wanted).await? {
                Some(s) => Some(s),
                None => staff::get(c, &wanted).await?,
            };
            let owner = match found {
                Some(s) if s.has_any(&[Role::Sales]) && !s.disabled => Ok(s.id),
                Some(_) => Err(format!("'{wanted}' is not an active sales person")),
                None => Err(format!("no staff member '{wanted}'")),
            };
            self.owners.insert(wanted.clone(), owner);
        }
        match &self.owners[&wanted] {
            Ok(id) => Ok(id.clone()),
            Err(problem) => Err(WorkflowError::field("sales_owner", problem.clone())),
        }
    }
}

/// The investor the row names by identity number (normalised as at onboarding).
async fn investor_of(c: &mut Conn<'_>, ctx: &Ctx<'_>, r: &Record<'_>) -> Result<String> {
    let raw = r.text("id_number");
    let id_type = match r.code("id_type") {
        Some(t) => Some(
            t.parse::<IdType>()
                .map_err(|e| WorkflowError::field("id_type", e))?,
        ),
        None => None,
    };
    let number = match id_type {
        Some(t) => identity::check(t, &raw, None),
        None => identity::check(IdType::ResidentId, &raw, None)
            .or_else(|_| identity::check(IdType::UnifiedSocialCreditCode, &raw, None)),
    }
    .unwrap_or_else(|_| raw.trim().to_ascii_uppercase());
    stored_investors::holder_of(c, ctx.vault, &number)
        .await?
        .ok_or_else(|| {
            WorkflowError::field(
                "id_number",
                "no investor with this identity number (import the investors first)",
            )
        })
}

fn when(
    r: &Record<'_>,
    field: &str,
    problems: &mut Vec<FieldProblem>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let raw = r.get(field)?;
    moment(raw)
        .map_err(|e| problems.push(FieldProblem::new(field, e)))
        .ok()
}

async fn holding(c: &mut Conn<'_>, ctx: &Ctx<'_>, actor: &Staff, r: &Record<'_>) -> Result<Done> {
    let mut problems = Vec::new();
    let amount = r
        .get("amount")
        .map(|a| amount_text(a).parse::<Money>())
        .transpose()
        .map_err(|e| problems.push(FieldProblem::new("amount", e)))
        .ok()
        .flatten();
    let signed_at = when(r, "signed_at", &mut problems);
    let paid_at = when(r, "paid_at", &mut problems);
    let confirmed_at = when(r, "confirmed_at", &mut problems);
    for (field, missing) in [
        ("amount", r.get("amount").is_none()),
        ("signed_at", r.get("signed_at").is_none()),
        ("confirmed_at", r.get("confirmed_at").is_none()),
        ("product_code", r.get("product_code").is_none()),
    ] {
        if missing {
            problems.push(FieldProblem::new(field, "is required"));
        }
    }
    let (Some(amount), Some(signed_at), Some(confirmed_at), true) =
        (amount, signed_at, confirmed_at, problems.is_empty())
    else {
        return Err(WorkflowError::Invalid(problems));
    };
    let investor_id = investor_of(c, ctx, r).await?;
    let code = r.text("product_code");
    let product_id = imports::product_by_code(c, &code)
        .await?
        .ok_or_else(|| WorkflowError::field("product_code", format!("no product '{code}'")))?;
    let h = ExistingHolding {
        investor_id,
        product_id,
        amount,
        signed_at,
        paid_at,
        confirmed_at,
        recording_ref: r.owned("recording_ref"),
    };
    Ok(match existing_holdings::import(c, ctx, actor, h).await? {
        Some(_) => Done::Imported,
        None => Done::Skipped,
    })
}

/// Separators between the options of a multiple-choice answer in one cell.
const SEPARATORS: &[char] = &[',', '，', ';', '；', '、', ' ', '|'];

async fn assessment(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    r: &Record<'_>,
) -> Result<Done> {
    let mut problems = Vec::new();
    let assessed_at = when(r, "assessed_at", &mut problems);
    let Some(assessed_at) = assessed_at.map(truncate_micros) else {
        if problems.is_empty() {
            problems.push(FieldProblem::new("assessed_at", "is required"));
        }
        return Err(WorkflowError::Invalid(problems));
    };
    let investor_id = investor_of(c, ctx, r).await?;
    let questionnaire_id = r.text("questionnaire_id");
    // As for holdings (`existing_holdings::import`): found missing and written under one lock.
    crate::store::lock_key(c, "imports/assessments").await?;
    if imports::assessment_exists(c, &investor_id, &questionnaire_id, assessed_at).await? {
        return Ok(Done::Skipped);
    }
    let questionnaire = ctx.questionnaires.latest(&questionnaire_id);
    let multiple = |q: &str| {
        questionnaire
            .as_ref()
            .and_then(|qn| qn.questions.iter().find(|x| x.id == q))
            .is_some_and(|x| x.multiple)
    };
    let answers: BTreeMap<String, Choice> = r
        .answers
        .iter()
        .map(|(q, v)| {
            let choice = if multiple(q) {
                Choice::Many(
                    v.split(SEPARATORS)
                        .filter(|o| !o.is_empty())
                        .map(str::to_string)
                        .collect(),
                )
            } else {
                Choice::One(v.to_string())
            };
            (q.clone(), choice)
        })
        .collect();
    let sub = Submission {
        questionnaire_id,
        answers,
        assessed_at: Some(assessed_at),
    };
    assessments::assess_submitted(
        c,
        ctx,
        actor,
        &investor_id,
        sub,
        assessments::SUBMITTED_BY_STAFF,
    )
    .await?;
    Ok(Done::Imported)
}
