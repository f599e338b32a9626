//! The client archive (客户档案) of one investor, as one document a regulator can be shown: the
//! identity (masked as in the evidence bundle), every version of the record, classifications with
//! their evidence, qualification proofs, every assessment with the questionnaire exactly as the
//! investor saw it (kept by content hash), each order with its decision, holdings, callbacks with
//! outcomes and reviews, escalations, complaints, signatures and the audit entries, and a digest
//! over all of it (the evidence bundle's: drop `digest`, serialise with sorted keys, SHA-256). It
//! holds no time of its own making, so the same records give the same digest on every reading.

use std::collections::BTreeMap;

use serde::Serialize;

use super::evidence::{DecisionRecord, EvidenceAssessment, EvidenceCallback, digest};
use super::{Ctx, Result, WorkflowError, scope};
use crate::questionnaire::Questionnaire;
use crate::store::audit::{self, Entry};
use crate::store::classifications::{self, Classification, QualificationEvidence};
use crate::store::complaints::{self, Complaint};
use crate::store::escalations::{self, Escalation};
use crate::store::invitations::Signature;
use crate::store::orders::Order;
use crate::store::staff::Staff;
use crate::store::{Conn, assessments, callback_records, callbacks, decisions, orders};

/// One order in the archive: the order, the decision it rests on and what is left of it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ArchivedOrder {
    pub order: Order,
    pub decision: DecisionRecord,
    #[schema(value_type = String)]
    pub remaining: crate::domain::money::Money,
}

/// The archive: everything the firm holds on one investor.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ClientArchive {
    pub investor: super::investors::InvestorResponse,
    pub history: super::investors::change::History,
    pub classifications: Vec<Classification>,
    pub qualification_evidence: Vec<QualificationEvidence>,
    pub assessments: Vec<EvidenceAssessment>,
    /// Each questionnaire an assessment was taken on, by content hash, as presented.
    #[schema(value_type = Object)]
    pub questionnaires: BTreeMap<String, Questionnaire>,
    pub orders: Vec<ArchivedOrder>,
    pub callbacks: Vec<EvidenceCallback>,
    pub escalations: Vec<Escalation>,
    pub complaints: Vec<Complaint>,
    pub signatures: Vec<Signature>,
    pub audit: Vec<Entry>,
}

/// The archive as JSON with `digest` over the rest; 404 for an investor the actor does not see.
pub async fn archive(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    investor_id: &str,
) -> Result<serde_json::Value> {
    scope::investor(c, actor, investor_id).await?;
    let investor = super::investors::get(c, ctx, actor, investor_id, false).await?;
    let history = super::investors::change::history(c, actor, investor_id).await?;
    let mut ids = vec![investor_id.to_string()];
    let classifications = classifications::for_investor(c, investor_id).await?;
    let qualification_evidence = classifications::evidence_for(c, investor_id).await?;
    ids.extend(classifications.iter().map(|k| k.id.clone()));
    let mut questionnaires = BTreeMap::new();
    let mut taken = Vec::new();
    for a in assessments::all_for(c, investor_id).await? {
        ids.push(a.id.clone());
        if !questionnaires.contains_key(&a.questionnaire_hash) {
            let hash = &a.questionnaire_hash;
            let (id, version) = (&a.questionnaire_id, a.questionnaire_version);
            if let Some(q) = super::presented::presented(c, ctx, hash, id, version).await? {
                questionnaires.insert(a.questionnaire_hash.clone(), q);
            }
        }
        taken.push(super::evidence::assessment_record(ctx, a));
    }
    let mut archived = Vec::new();
    for order in orders::for_investor(c, investor_id).await? {
        let decision = decisions::get(c, &order.decision_id)
            .await?
            .ok_or(WorkflowError::NotFound("decision"))?;
        ids.push(order.id.clone());
        ids.push(decision.id.clone());
        archived.push(ArchivedOrder {
            remaining: orders::remaining(c, &order).await?,
            decision: DecisionRecord::from(decision),
            order,
        });
    }
    let mut calls = Vec::new();
    for cb in callbacks::for_investor(c, investor_id).await? {
        ids.push(cb.id.clone());
        let outcomes = callback_records::outcomes(c, &cb.id).await?;
        let reviews = callback_records::reviews(c, &cb.id).await?;
        calls.push(super::evidence::callback_record(cb, outcomes, reviews));
    }
    // Every escalation about the investor, those of callbacks without an order too.
    let escalated = escalations::for_investor(c, investor_id).await?;
    ids.extend(escalated.iter().map(|e| e.id.clone()));
    let complaints = complaints::for_investor(c, investor_id).await?;
    ids.extend(complaints.iter().map(|k| k.id.clone()));
    let signatures = crate::store::invitations::signatures_of(c, investor_id).await?;
    let audit = audit::for_entities(c, &ids).await?;
    let archive = ClientArchive {
        investor,
        history,
        classifications,
        qualification_evidence,
        assessments: taken,
        questionnaires,
        orders: archived,
        callbacks: calls,
        escalations: escalated,
        complaints,
        signatures,
        audit,
    };
    let mut value =
        serde_json::to_value(&archive).map_err(|e| WorkflowError::Internal(e.to_string()))?;
    let d = digest(&value);
    if let serde_json::Value::Object(map) = &mut value {
        map.insert("digest".into(), serde_json::Value::String(d));
    }
    Ok(value)
}
