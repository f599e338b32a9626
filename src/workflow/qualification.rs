//! Qualified-investor evidence (资产证明, 收入证明): recorded with the investor, or later by their
//! sales owner, risk or compliance. The rules see the age of the newest proof.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Result, WorkflowError, audit, scope};
use crate::config::business_today;
use crate::domain::FieldProblem;
use crate::store::Conn;
use crate::store::classifications::{self, Document, QualificationEvidence};
use crate::store::staff::Staff;
use crate::store::{investors, new_id, now};

/// The kinds of document that prove a qualified investor's assets or income.
pub const PROOF_KINDS: &[&str] = &["asset_proof", "income_proof", "net_assets_proof"];
/// Longest reference to where a document is kept.
pub const MAX_REF: usize = 500;
const MAX_KIND: usize = 64;
/// The most documents one request may carry.
pub const MAX_DOCUMENTS: usize = 20;
/// No document of this service predates it: an earlier date is a typing error.
const EARLIEST: NaiveDate = NaiveDate::from_ymd_opt(2000, 1, 1).expect("a date");

/// A document as a request names it; `issued_at` is YYYY-MM-DD.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "asset_proof", "ref": "资产证明 ZC-2026-1120-0158",
    "issued_at": "2026-11-20"}))]
pub struct DocumentInput {
    pub kind: String,
    #[serde(rename = "ref")]
    pub reference: String,
    /// YYYY-MM-DD, not in the future.
    pub issued_at: String,
}

/// Parses documents, naming each bad field under `field` (e.g. "evidence[0].issued_at");
/// `kinds`, when given, are the only kinds allowed.
pub fn parse_documents(
    field: &str,
    input: &[DocumentInput],
    kinds: Option<&[&str]>,
    problems: &mut Vec<FieldProblem>,
) -> Vec<Document> {
    let today = business_today();
    let mut out = Vec::new();
    if input.len() > MAX_DOCUMENTS {
        problems.push(FieldProblem::new(
            field,
            format!("at most {MAX_DOCUMENTS} documents"),
        ));
        return out;
    }
    for (i, d) in input.iter().enumerate() {
        let at = |f: &str| format!("{field}[{i}].{f}");
        let kind = d.kind.trim();
        let kind_ok = match kinds {
            Some(allowed) => allowed.contains(&kind),
            None => {
                !kind.is_empty()
                    && kind.len() <= MAX_KIND
                    && kind.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            }
        };
        if !kind_ok {
            let problem = match kinds {
                Some(allowed) => format!("must be one of: {}", allowed.join(" ")),
                None => "must be a document kind such as asset_proof".into(),
            };
            problems.push(FieldProblem::new(at("kind"), problem));
        }
        let reference = d.reference.trim();
        if reference.is_empty() || reference.chars().count() > MAX_REF {
            problems.push(FieldProblem::new(
                at("ref"),
                format!("must be 1 to {MAX_REF} characters"),
            ));
        }
        let issued = match NaiveDate::parse_from_str(d.issued_at.trim(), "%Y-%m-%d") {
            Ok(day) if day > today => {
                problems.push(FieldProblem::new(
                    at("issued_at"),
                    "must not be in the future",
                ));
                None
            }
            Ok(day) if day < EARLIEST => {
                problems.push(FieldProblem::new(
                    at("issued_at"),
                    "must not be before 2000-01-01",
                ));
                None
            }
            Ok(day) => Some(day),
            Err(_) => {
                problems.push(FieldProblem::new(
                    at("issued_at"),
                    "must be a date YYYY-MM-DD",
                ));
                None
            }
        };
        if let (true, Some(issued_at)) = (kind_ok, issued) {
            out.push(Document {
                kind: kind.to_string(),
                reference: reference.to_string(),
                issued_at,
            });
        }
    }
    out
}

/// Stores the proofs among `docs` as the investor's qualification evidence.
pub async fn store_proofs(
    c: &mut Conn<'_>,
    actor: &Staff,
    investor_id: &str,
    docs: &[Document],
) -> Result<Vec<QualificationEvidence>> {
    let mut stored = Vec::new();
    for d in docs
        .iter()
        .filter(|d| PROOF_KINDS.contains(&d.kind.as_str()))
    {
        let q = QualificationEvidence {
            id: new_id(),
            investor_id: investor_id.to_string(),
            kind: d.kind.clone(),
            reference: d.reference.clone(),
            issued_at: d.issued_at,
            recorded_by: actor.id.clone(),
            recorded_at: now(),
        };
        classifications::insert_evidence(c, &q).await?;
        stored.push(q);
    }
    if !stored.is_empty() {
        // Before the entry: it carries the investor row's digest as changed.
        investors::refresh_proof_date(c, investor_id).await?;
        let entry = serde_json::json!({"evidence": stored});
        audit::record(
            c,
            actor,
            "investor.evidence",
            "investor",
            investor_id,
            &entry,
        )
        .await?;
    }
    Ok(stored)
}

/// Records one proof of assets or income for an investor the actor may see.
pub async fn record(
    c: &mut Conn<'_>,
    actor: &Staff,
    investor_id: &str,
    input: DocumentInput,
) -> Result<QualificationEvidence> {
    scope::investor(c, actor, investor_id).await?;
    if !investors::exists(c, investor_id).await? {
        return Err(WorkflowError::NotFound("investor"));
    }
    let mut problems = Vec::new();
    let docs = parse_documents("evidence", &[input], Some(PROOF_KINDS), &mut problems);
    if !problems.is_empty() {
        // One document: its fields are named without the list's prefix.
        for p in &mut problems {
            p.field = p.field.trim_start_matches("evidence[0].").to_string();
        }
        return Err(WorkflowError::Invalid(problems));
    }
    let mut stored = store_proofs(c, actor, investor_id, &docs).await?;
    stored
        .pop()
        .ok_or_else(|| WorkflowError::Internal("no proof stored".into()))
}

/// The investor's qualification evidence, newest issue first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EvidenceList {
    pub items: Vec<QualificationEvidence>,
}

pub async fn list(c: &mut Conn<'_>, actor: &Staff, investor_id: &str) -> Result<EvidenceList> {
    scope::investor(c, actor, investor_id).await?;
    if !investors::exists(c, investor_id).await? {
        return Err(WorkflowError::NotFound("investor"));
    }
    Ok(EvidenceList {
        items: classifications::evidence_for(c, investor_id).await?,
    })
}
