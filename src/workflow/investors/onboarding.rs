//! Writing new investors: one (`onboard`) or many at once (an import's batch), the same rows
//! and audit entries either way: the investor (personal data sealed, the issue date of the
//! newest proof kept), their proofs of assets or income, their first version, and the entries
//! `investor.create` and `investor.evidence`. A batch takes a handful of statements however
//! many investors it holds.

use super::{InvestorResponse, NewInvestor, investor_response};
use crate::domain::FieldProblem;
use crate::domain::investor::InvestorType;
use crate::store::audit::Actor;
use crate::store::audit_batch::{self, Pending};
use crate::store::classifications::{self, Document, QualificationEvidence};
use crate::store::investors::{Investor, bulk};
use crate::store::staff::Staff;
use crate::store::{Conn, new_id, now};
use crate::workflow::qualification::PROOF_KINDS;
use crate::workflow::{Ctx, Result, WorkflowError, scope};

/// Reads the request into an investor (owned by `owner_id`) and their proofs, naming every bad
/// field; only ordinary investors are onboarded.
pub fn parse(new: NewInvestor, owner_id: &str) -> Result<(Investor, Vec<Document>)> {
    let (investor, proofs) = new.into_investor(owner_id)?;
    if investor.investor_type != InvestorType::Ordinary {
        return Err(WorkflowError::Unprocessable {
            code: "classification_required",
            problems: vec![FieldProblem::new(
                "investor_type",
                "investors are onboarded as ordinary; professional status is a classification \
                 by risk or compliance (POST /v1/investors/{id}/classification)",
            )],
        });
    }
    Ok((investor, proofs))
}

/// Writes investors checked by [`parse`] and found new; returns them as written.
pub async fn write_new(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    new: Vec<(Investor, Vec<Document>)>,
) -> Result<Vec<Investor>> {
    let t = now();
    let mut rows = Vec::with_capacity(new.len());
    let mut evidence: Vec<Vec<QualificationEvidence>> = Vec::with_capacity(new.len());
    for (inv, docs) in &new {
        let proofs: Vec<QualificationEvidence> = docs
            .iter()
            .filter(|d| PROOF_KINDS.contains(&d.kind.as_str()))
            .map(|d| QualificationEvidence {
                id: new_id(),
                investor_id: inv.id.clone(),
                kind: d.kind.clone(),
                reference: d.reference.clone(),
                issued_at: d.issued_at,
                recorded_by: actor.id.clone(),
                recorded_at: t,
            })
            .collect();
        rows.push((inv, proofs.iter().map(|p| p.issued_at).max()));
        evidence.push(proofs);
    }
    bulk::insert_many(c, ctx.vault, &rows).await?;
    let all: Vec<QualificationEvidence> = evidence.iter().flatten().cloned().collect();
    classifications::insert_evidence_many(c, &all).await?;
    let versions: Vec<_> = new
        .iter()
        .map(|(inv, _)| super::change::first_version_of(actor, inv))
        .collect();
    bulk::first_versions(c, &versions).await?;
    let mut pending = Vec::with_capacity(new.len() * 2);
    let mut out = Vec::with_capacity(new.len());
    for ((inv, _), stored) in new.into_iter().zip(evidence) {
        // The entry holds the data in the clear (the trail stores only its digest).
        let full: InvestorResponse = investor_response(inv.clone(), None, ctx.policy, true);
        pending.push(Pending {
            action: "investor.create",
            entity: "investor",
            entity_id: full.id.clone(),
            change: serde_json::to_value(&full)
                .map_err(|e| WorkflowError::Internal(e.to_string()))?,
            row_digest: None,
        });
        if !stored.is_empty() {
            pending.push(Pending {
                action: "investor.evidence",
                entity: "investor",
                entity_id: full.id.clone(),
                change: serde_json::json!({"evidence": stored}),
                row_digest: None,
            });
        }
        out.push(inv);
    }
    audit_batch::append_many(c, &Actor::staff(actor), pending).await?;
    Ok(out)
}

/// What became of one investor of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Onboarded {
    Created(String),
    /// An investor with this identity number exists already (or came earlier in the batch).
    Exists,
}

/// Onboards many investors at once, each owned by the sales person given with it (for risk
/// and admin staff importing a book: they see every investor, so a duplicate is simply there).
/// A bad request fails alone; the others are written together.
pub async fn onboard_batch(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    items: Vec<(String, NewInvestor)>,
) -> Result<Vec<Result<Onboarded>>> {
    if !actor.has_any(scope::SEE_ALL) {
        return Err(WorkflowError::forbidden(
            "forbidden",
            "only staff who see every investor onboard in batches",
        ));
    }
    let parsed: Vec<Result<(Investor, Vec<Document>)>> = items
        .into_iter()
        .map(|(owner, new)| parse(new, &owner))
        .collect();
    let numbers: Vec<&str> = parsed
        .iter()
        .filter_map(|p| p.as_ref().ok().map(|(i, _)| i.id_number.as_str()))
        .collect();
    let mut taken = bulk::existing_numbers(c, ctx.vault, &numbers).await?;
    let mut results = Vec::with_capacity(parsed.len());
    let mut fresh = Vec::new();
    for p in parsed {
        match p {
            Err(e) => results.push(Err(e)),
            Ok((inv, _)) if taken.contains(&inv.id_number) => results.push(Ok(Onboarded::Exists)),
            Ok((inv, docs)) => {
                taken.insert(inv.id_number.clone());
                results.push(Ok(Onboarded::Created(inv.id.clone())));
                fresh.push((inv, docs));
            }
        }
    }
    let n = fresh.len();
    write_new(c, ctx, actor, fresh).await?;
    tracing::info!(investors = n, "investors created in a batch");
    Ok(results)
}
