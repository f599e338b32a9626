//! What the investor signed through their own link, as evidence of a sale. A warning letter
//! (风险不匹配警示函) signed there for the product, on the level of the very assessment the
//! decision used, is the letter and the investor's confirmation the `mismatch_warning_signed`
//! requirement asks for: the service attaches it (`signature:{id}`), as it attaches a risk
//! review, so sales need not copy references by hand. A letter signed on an earlier assessment
//! warned about a level the investor no longer has, and counts for nothing.

use chrono::{DateTime, Utc};

use super::Result;
use crate::store::Conn;
use crate::store::invitations::{self, Signature};
use crate::store::orders::{Evidence, EvidenceItem};

/// The requirement a signed warning letter satisfies, and the evidence kinds it stands for.
pub const REQUIREMENT: &str = "mismatch_warning_signed";
pub const SATISFIES: &[&str] = &["warning_letter", "investor_confirmation"];

/// The documents the investor signed on the level of `assessment_id` (none without one).
pub async fn signed_on(
    c: &mut Conn<'_>,
    investor_id: &str,
    assessment_id: Option<&str>,
) -> Result<Vec<Signature>> {
    match assessment_id {
        Some(a) => Ok(invitations::signed_on(c, investor_id, a).await?),
        None => Ok(Vec::new()),
    }
}

/// The order a letter may be evidence of.
pub struct Signing<'a> {
    pub product_id: &'a str,
    pub contract_signed_at: DateTime<Utc>,
    pub acks: &'a [String],
}

/// The latest warning letter for `product_id` among `signed`, if signed by `contract_signed_at`.
/// The warning comes before the purchase: a letter signed after the contract cannot have been
/// heeded when buying.
pub fn letter_for<'s>(
    signed: &'s [Signature],
    product_id: &str,
    contract_signed_at: DateTime<Utc>,
) -> Option<&'s Signature> {
    signed.iter().rev().find(|s| {
        s.document == super::invitations::MISMATCH_WARNING
            && s.product_id.as_deref() == Some(product_id)
            && s.signed_at <= contract_signed_at
    })
}

/// Adds to `evidence` the warning letter the investor signed for the order's product, for each
/// kind it stands for that the order does not already prove, when `REQUIREMENT` is acknowledged.
pub fn attach(signed: &[Signature], order: &Signing<'_>, evidence: &mut Evidence) {
    if !order.acks.iter().any(|a| a == REQUIREMENT) {
        return;
    }
    let Some(letter) = letter_for(signed, order.product_id, order.contract_signed_at) else {
        return;
    };
    let items = evidence.entry(REQUIREMENT.to_string()).or_default();
    for kind in SATISFIES {
        if !items.iter().any(|e| e.kind == *kind) {
            items.push(EvidenceItem {
                kind: (*kind).to_string(),
                reference: format!("signature:{}", letter.id),
            });
        }
    }
}
