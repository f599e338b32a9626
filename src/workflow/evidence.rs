//! The evidence behind a sale (regulation.md §4: the burden of proof lies with the firm): which
//! questionnaire and answers, which rules and facts, which acknowledgments and recordings, the
//! cooling-off window, every callback with its outcomes and reviews, escalations, complaints, the
//! audit entries, a replay of the decision, and a digest over all of it. Also the stored
//! decision and its replay on their own.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::rulesets::compiled;
use super::{Ctx, Result, WorkflowError};
use crate::domain::mask;
use crate::domain::state::{CallbackKind, CallbackStatus, DecisionPurpose};
use crate::hex::hex;
use crate::rules::Facts;
use crate::rules::active::ActiveRules;
use crate::rules::decision::Outcome;
use crate::rules::pool::Pool;
use crate::store::audit::{self, Entry};
use crate::store::callback_records::{self, Review};
use crate::store::callbacks::{self, Callback};
use crate::store::escalations::{self, Escalation};
use crate::store::orders::Order;
use crate::store::{Db, assessments, decisions, investors, orders, products, rulesets};

#[derive(Serialize, utoipa::ToSchema)]
pub struct DecisionRecord {
    pub id: String,
    pub investor_id: String,
    pub product_id: String,
    pub purpose: DecisionPurpose,
    pub ruleset_version: i64,
    pub facts: Facts,
    pub outcome: Outcome,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Replay {
    pub decision_id: String,
    pub ruleset_version: i64,
    /// Whether the replayed outcome equals the stored one, field for field.
    pub identical: bool,
    pub stored: Outcome,
    pub replayed: Outcome,
}

impl From<decisions::StoredDecision> for DecisionRecord {
    fn from(d: decisions::StoredDecision) -> Self {
        DecisionRecord {
            id: d.id,
            investor_id: d.investor_id,
            product_id: d.product_id,
            purpose: d.purpose,
            ruleset_version: d.ruleset_version,
            facts: d.facts,
            outcome: d.outcome,
            created_by: d.created_by,
            created_at: d.created_at,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EvidenceInvestor {
    pub id: String,
    pub kind: String,
    pub investor_type: String,
    pub name: String,
    /// Masked.
    pub id_number: String,
    pub birth_date: Option<chrono::NaiveDate>,
    pub sales_owner_id: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EvidenceAssessment {
    pub id: String,
    pub questionnaire_id: String,
    pub questionnaire_version: i64,
    /// SHA-256 of the questionnaire file the answers were scored on.
    pub questionnaire_hash: String,
    /// Whether that file is still the one the service has loaded for this id and version.
    pub questionnaire_file_unchanged: bool,
    #[schema(value_type = Object)]
    pub answers: std::collections::BTreeMap<String, Vec<String>>,
    pub breakdown: Vec<crate::questionnaire::score::AnswerPoints>,
    pub score: i64,
    pub level: String,
    pub flags: Vec<String>,
    pub assessed_at: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub recorded_by: String,
    /// "staff", or "investor" for answers the investor gave through their own link.
    pub submitted_by: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CoolingOff {
    /// The later of signing and payment.
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EvidenceCallback {
    pub id: String,
    pub kind: CallbackKind,
    pub reason: String,
    pub due_from: DateTime<Utc>,
    pub due_by: DateTime<Utc>,
    pub checks: Vec<callbacks::CheckRef>,
    pub status: CallbackStatus,
    pub assignee_id: Option<String>,
    pub attempts: i64,
    pub outcomes: Vec<callback_records::Outcome>,
    pub reviews: Vec<Review>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Evidence {
    pub order: Order,
    pub investor: EvidenceInvestor,
    pub product: serde_json::Value,
    pub assessment: Option<EvidenceAssessment>,
    pub decision: DecisionRecord,
    pub cooling_off: CoolingOff,
    pub callbacks: Vec<EvidenceCallback>,
    pub escalations: Vec<Escalation>,
    pub complaints: Vec<crate::store::complaints::Complaint>,
    /// What the investor signed through their own link on the assessment's level, before the
    /// decision (text hash, time, IP, user agent).
    pub signatures: Vec<crate::store::invitations::Signature>,
    pub audit: Vec<Entry>,
    /// The stored decision evaluated again with its stored facts and rule-set version.
    pub replay: Replay,
}

/// SHA-256 over the bundle as compact JSON with object keys sorted (serde_json's `Value`), so
/// anyone holding the bundle can recompute it: drop `digest`, serialise, hash.
pub fn digest(bundle: &serde_json::Value) -> String {
    hex(&Sha256::digest(
        serde_json::to_vec(bundle).unwrap_or_default(),
    ))
}

/// Everything behind one sale as JSON, with `digest` over the rest.
pub async fn bundle(
    db: &Db,
    ctx: &Ctx<'_>,
    rules: &ActiveRules,
    id: &str,
) -> Result<serde_json::Value> {
    let mut pooled = db.acquire().await?;
    let mut c = pooled.conn();
    let order = orders::get(&mut c, id)
        .await?
        .ok_or(WorkflowError::NotFound("order"))?;
    let investor = investors::get(&mut c, ctx.vault, &order.investor_id)
        .await?
        .ok_or(WorkflowError::NotFound("investor"))?;
    let product = products::get(&mut c, &order.product_id)
        .await?
        .ok_or(WorkflowError::NotFound("product"))?;
    let decision = decisions::get(&mut c, &order.decision_id)
        .await?
        .ok_or(WorkflowError::NotFound("decision"))?;
    // The assessment the decision saw: the latest taken, and recorded, before it (a paper record
    // imported later with an earlier date was not there to see).
    let assessment = assessments::all_for(&mut c, &order.investor_id)
        .await?
        .into_iter()
        .find(|a| a.assessed_at <= decision.created_at && a.created_at <= decision.created_at);
    let signatures: Vec<_> = super::signed_evidence::signed_on(
        &mut c,
        &order.investor_id,
        // The assessment the decision was made on (in force when the contract was signed).
        decision.assessment_id.as_deref(),
    )
    .await?
    .into_iter()
    .filter(|s| s.signed_at <= decision.created_at)
    .collect();
    let cbs: Vec<Callback> = callbacks::for_order(&mut c, id).await?;
    let mut evidence_callbacks = Vec::with_capacity(cbs.len());
    for cb in cbs {
        let outcomes = callback_records::outcomes(&mut c, &cb.id).await?;
        let reviews = callback_records::reviews(&mut c, &cb.id).await?;
        evidence_callbacks.push(callback_record(cb, outcomes, reviews));
    }
    let escalations = escalations::for_order(&mut c, id).await?;
    let complaints = crate::store::complaints::for_order(&mut c, id).await?;
    let mut ids = vec![
        order.id.clone(),
        order.decision_id.clone(),
        investor.id.clone(),
    ];
    ids.extend(assessment.iter().map(|a| a.id.clone()));
    ids.extend(evidence_callbacks.iter().map(|c| c.id.clone()));
    ids.extend(escalations.iter().map(|e| e.id.clone()));
    ids.extend(complaints.iter().map(|k| k.id.clone()));
    let audit_entries = audit::for_entities(&mut c, &ids).await?;
    drop(pooled);
    let replayed = replay(db, rules, &decision).await?;
    let bundle = Evidence {
        investor: EvidenceInvestor {
            id: investor.id.clone(),
            kind: investor.kind.as_str().into(),
            investor_type: investor.investor_type.as_str().into(),
            name: investor.name.clone(),
            id_number: mask::id_number(&investor.id_number),
            birth_date: investor.birth_date,
            sales_owner_id: investor.sales_owner_id.clone(),
        },
        product: serde_json::json!({
            "id": product.id, "code": product.code, "name": product.name, "kind": product.kind,
            "risk_rating_now": product.risk_rating.name(), "risk_rating_at_sale": decision.facts.product.rating_name.to_string(),
        }),
        assessment: assessment.map(|a| assessment_record(ctx, a)),
        cooling_off: CoolingOff {
            starts_at: order.signed_at.max(order.paid_at),
            ends_at: order.cooling_off_ends_at,
        },
        decision: DecisionRecord::from(decision.clone()),
        order,
        callbacks: evidence_callbacks,
        escalations,
        complaints,
        signatures,
        audit: audit_entries,
        replay: replayed,
    };
    let mut value =
        serde_json::to_value(&bundle).map_err(|e| WorkflowError::Internal(e.to_string()))?;
    let d = digest(&value);
    if let serde_json::Value::Object(map) = &mut value {
        map.insert("digest".into(), serde_json::Value::String(d));
    }
    Ok(value)
}

/// An assessment as evidence: with whether the questionnaire file in service is still the one
/// it was taken on.
pub fn assessment_record(ctx: &Ctx<'_>, a: assessments::Assessment) -> EvidenceAssessment {
    EvidenceAssessment {
        questionnaire_file_unchanged: ctx
            .questionnaires
            .get(&a.questionnaire_id, a.questionnaire_version)
            .is_some_and(|q| q.content_hash == a.questionnaire_hash),
        id: a.id,
        questionnaire_id: a.questionnaire_id,
        questionnaire_version: a.questionnaire_version,
        questionnaire_hash: a.questionnaire_hash,
        answers: a.answers,
        breakdown: a.breakdown,
        score: a.score,
        level: a.level.to_string(),
        flags: a.flags,
        assessed_at: a.assessed_at,
        valid_until: a.valid_until,
        recorded_by: a.recorded_by,
        submitted_by: a.submitted_by,
    }
}

/// A callback as evidence, with its outcomes and reviews.
pub fn callback_record(
    cb: Callback,
    outcomes: Vec<callback_records::Outcome>,
    reviews: Vec<Review>,
) -> EvidenceCallback {
    EvidenceCallback {
        id: cb.id,
        kind: cb.kind,
        reason: cb.reason,
        due_from: cb.due_from,
        due_by: cb.due_by,
        checks: cb.checks,
        status: cb.status,
        assignee_id: cb.assignee_id,
        attempts: cb.attempts,
        outcomes,
        reviews,
    }
}

/// A stored decision evaluated again with its stored facts and rule-set version.
pub async fn replay(db: &Db, rules: &ActiveRules, d: &decisions::StoredDecision) -> Result<Replay> {
    let stored_set = {
        let mut pooled = db.acquire().await?;
        rulesets::get(&mut pooled.conn(), d.ruleset_version)
            .await?
            .ok_or(WorkflowError::NotFound("rule set"))?
    };
    let set = compiled(rules, &stored_set)?;
    let (_, replayed) = Pool::global().evaluate(set, d.facts.clone()).await?;
    let replayed = replayed.map_err(WorkflowError::RuleFailed)?;
    Ok(Replay {
        decision_id: d.id.clone(),
        ruleset_version: d.ruleset_version,
        identical: replayed == d.outcome,
        stored: d.outcome.clone(),
        replayed,
    })
}
