//! The investor's own link (H5): the sales owner sends a one-time link valid 7 days; the
//! investor confirms who they are (the last 4 characters of the identity number and the birth
//! date; 5 wrong tries lock the link), fills the questionnaire themselves (marked
//! `submitted_by: investor`), sees their level, and signs the risk disclosure (风险揭示书) and, for
//! a mismatch with the product the link names, the warning letter (风险不匹配警示函) by typing their
//! full name and ticking a box. Each signature keeps the document's text hash, time, IP and user
//! agent.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::assessments::{self, AssessmentResponse, SUBMITTED_BY_INVESTOR, Submission};
use super::{Ctx, Result, WorkflowError, audit, scope};
use crate::domain::FieldProblem;
use crate::hex::hex;
use crate::store::investors::Investor;
use crate::store::invitations::{self, Invitation, Signature};
use crate::store::products::Product;
use crate::store::staff::{self, Staff};
use crate::store::{Conn, investors, new_id, now, products};

/// How long a link is valid, and the wrong identity checks that lock it.
pub const VALID_DAYS: i64 = 7;
pub const MAX_TRIES: i64 = 5;
pub const RISK_DISCLOSURE: &str = "risk_disclosure";
pub const MISMATCH_WARNING: &str = "mismatch_warning";

/// The body of `POST /v1/investors/{id}/invitations`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"product_id": "01938a1e-7c00-7000-8000-000000000002"}))]
pub struct NewInvitation {
    /// The product the investor is considering: its warning letter is signed through the link
    /// when it does not match the investor's level.
    pub product_id: Option<String>,
}

/// The link, shown once: only its hash is kept.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Sent {
    pub id: String,
    /// `/i/{code}` on this service.
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// Sends a link to investor `id`: only their sales owner may.
pub async fn create(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    investor_id: &str,
    req: NewInvitation,
) -> Result<Sent> {
    scope::investor(c, actor, investor_id).await?;
    let investor = investors::get(c, ctx.vault, investor_id)
        .await?
        .ok_or(WorkflowError::NotFound("investor"))?;
    if investor.sales_owner_id != actor.id {
        return Err(WorkflowError::forbidden(
            "not_owner",
            "only the investor's sales owner sends them a link",
        ));
    }
    if confirmation_of(&investor) == Confirmation::PhoneLast4 && phone_tail(&investor).is_none() {
        return Err(WorkflowError::field(
            "phone",
            "without a birth date (an institution), the link is confirmed with the last 4 digits \
             of the registered phone: record the phone first",
        ));
    }
    if let Some(p) = &req.product_id
        && products::get(c, p).await?.is_none()
    {
        return Err(WorkflowError::field("product_id", "no such product"));
    }
    let code = staff::random_secret()?;
    let t = now();
    let inv = Invitation {
        id: new_id(),
        code_hash: staff::hash_token(&code),
        investor_id: investor_id.to_string(),
        product_id: req.product_id,
        created_by: actor.id.clone(),
        created_at: t,
        expires_at: t + Duration::days(VALID_DAYS),
        failed_attempts: 0,
        locked_at: None,
        visitor_hash: None,
        assessment_id: None,
        completed_at: None,
    };
    invitations::insert(c, &inv).await?;
    audit::record(c, actor, "invitation.create", "investor", investor_id, &inv).await?;
    Ok(Sent {
        id: inv.id,
        url: format!("/i/{code}"),
        expires_at: inv.expires_at,
    })
}

/// The invitation of `code` if it can still be used.
pub async fn open(c: &mut Conn<'_>, code: &str) -> Result<Invitation> {
    let inv = invitations::by_code(c, &staff::hash_token(code))
        .await?
        .ok_or(WorkflowError::NotFound("invitation"))?;
    let gone = |code: &'static str, why: &str| Err(WorkflowError::conflict(code, why));
    if inv.completed_at.is_some() {
        return gone(
            "link_used",
            "this link has been used; ask your adviser for a new one",
        );
    }
    if inv.locked_at.is_some() {
        return gone(
            "link_locked",
            "too many wrong identity checks: the link is locked",
        );
    }
    if inv.expires_at <= now() {
        return gone(
            "link_expired",
            "this link has expired; ask your adviser for a new one",
        );
    }
    Ok(inv)
}

/// What the visitor confirms besides the identity number's last 4 characters: a person's birth
/// date; for an investor without one (an institution, whose credit code is public), the last 4
/// digits of the registered phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmation {
    BirthDate,
    PhoneLast4,
}

pub fn confirmation_of(investor: &Investor) -> Confirmation {
    if investor.birth_date.is_some() {
        Confirmation::BirthDate
    } else {
        Confirmation::PhoneLast4
    }
}

fn phone_tail(investor: &Investor) -> Option<String> {
    let digits: Vec<char> = investor
        .phone
        .as_deref()?
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    (digits.len() >= 4).then(|| digits[digits.len() - 4..].iter().collect())
}

/// What the visitor of `code` is asked to confirm.
pub async fn confirmation(c: &mut Conn<'_>, ctx: &Ctx<'_>, code: &str) -> Result<Confirmation> {
    let inv = open(c, code).await?;
    Ok(confirmation_of(&load_investor(c, ctx, &inv).await?))
}

/// The identity check: the last 4 characters of the identity number and the birth date (or the
/// phone's last 4 digits, see `Confirmation`). Right:
/// a visitor secret (for the browser's cookie) admitted to the link. Wrong: counted; the fifth
/// locks the link.
pub async fn verify(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    code: &str,
    last4: &str,
    second: &str,
) -> Result<String> {
    let found = open(c, code).await?;
    // One check of a link at a time, re-read under the row lock: the 5-try lock cannot be raced.
    let inv = invitations::lock_for_check(c, &found.id)
        .await?
        .ok_or(WorkflowError::NotFound("invitation"))?;
    if inv.locked_at.is_some() {
        return Err(WorkflowError::conflict(
            "link_locked",
            "too many wrong identity checks: the link is locked",
        ));
    }
    let investor = load_investor(c, ctx, &inv).await?;
    let number = investor.id_number.to_uppercase();
    let chars: Vec<char> = number.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    let tail = tail.as_str();
    let second_right = match confirmation_of(&investor) {
        Confirmation::BirthDate => {
            NaiveDate::parse_from_str(second.trim(), "%Y-%m-%d").ok() == investor.birth_date
        }
        Confirmation::PhoneLast4 => phone_tail(&investor).is_some_and(|t| t == second.trim()),
    };
    let right = !tail.is_empty() && tail == last4.trim().to_uppercase() && second_right;
    if !right {
        let tries = invitations::fail(c, &inv.id, MAX_TRIES, now()).await?;
        audit::record_system(
            c,
            "invitation.identity_failed",
            "investor",
            &inv.investor_id,
            &tries,
        )
        .await?;
        let left = (MAX_TRIES - tries).max(0);
        return Err(WorkflowError::Invalid(vec![FieldProblem::new(
            "id_last4",
            format!("does not match; {left} tries left"),
        )]));
    }
    let secret = staff::random_secret()?;
    if !invitations::admit(c, &inv.id, &staff::hash_token(&secret)).await? {
        return Err(WorkflowError::conflict(
            "link_locked",
            "too many wrong identity checks: the link is locked",
        ));
    }
    audit::record_system(
        c,
        "invitation.identity_confirmed",
        "investor",
        &inv.investor_id,
        &inv.id,
    )
    .await?;
    Ok(secret)
}

/// The invitation and its investor, for the visitor holding `secret`.
pub async fn visitor(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    code: &str,
    secret: &str,
) -> Result<(Invitation, Investor)> {
    let inv = open(c, code).await?;
    if inv.visitor_hash.as_deref() != Some(staff::hash_token(secret).as_str()) {
        return Err(WorkflowError::forbidden(
            "not_verified",
            "confirm who you are first",
        ));
    }
    let investor = load_investor(c, ctx, &inv).await?;
    Ok((inv, investor))
}

async fn load_investor(c: &mut Conn<'_>, ctx: &Ctx<'_>, inv: &Invitation) -> Result<Investor> {
    investors::get(c, ctx.vault, &inv.investor_id)
        .await?
        .ok_or(WorkflowError::NotFound("investor"))
}

/// The investor's own answers, recorded under the staff member who sent the link and marked
/// `submitted_by: investor`; once per link.
pub async fn assess(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    inv: &Invitation,
    sub: Submission,
) -> Result<AssessmentResponse> {
    if inv.assessment_id.is_some() || sub.assessed_at.is_some() {
        return Err(WorkflowError::conflict(
            "already_assessed",
            "the questionnaire was submitted",
        ));
    }
    let sender = staff::get(c, &inv.created_by)
        .await?
        .ok_or(WorkflowError::NotFound("staff"))?;
    let sub = Submission {
        assessed_at: None,
        ..sub
    };
    let a = assessments::assess_submitted(
        c,
        ctx,
        &sender,
        &inv.investor_id,
        sub,
        SUBMITTED_BY_INVESTOR,
    )
    .await?;
    if !invitations::set_assessment(c, &inv.id, &a.id).await? {
        return Err(WorkflowError::conflict(
            "already_assessed",
            "the questionnaire was submitted",
        ));
    }
    Ok(a)
}

/// The documents the investor signs: the risk disclosure, and the warning letter when the
/// link's product is rated above their level. (document, text)
pub async fn documents(
    c: &mut Conn<'_>,
    inv: &Invitation,
    investor: &Investor,
    level: Option<&str>,
) -> Result<Vec<(&'static str, String)>> {
    let product: Option<Product> = match &inv.product_id {
        Some(p) => products::get(c, p).await?,
        None => None,
    };
    let mut docs = vec![(
        RISK_DISCLOSURE,
        disclosure_text(&investor.name, product.as_ref()),
    )];
    let digit = |s: &str| s.chars().last().and_then(|d| d.to_digit(10));
    if let (Some(p), Some(level)) = (&product, level)
        && digit(&p.risk_rating.to_string()) > digit(level)
    {
        docs.push((MISMATCH_WARNING, warning_text(&investor.name, p, level)));
    }
    Ok(docs)
}

fn disclosure_text(name: &str, product: Option<&Product>) -> String {
    let about = product.map_or_else(
        || "私募投资基金".to_string(),
        |p| format!("「{}」（{}）", p.name, p.risk_rating),
    );
    format!(
        "风险揭示书\n尊敬的{name}：私募投资基金属于高风险投资，{about}可能面临市场风险、流动性风险、管理风险、信用风险等，\
         投资本金可能发生亏损，过往业绩不代表未来表现，管理人不承诺保本或最低收益。您享有投资冷静期（认购款到账后不少于24小时），\
         冷静期内可无条件解除合同并获退还全部认购款，冷静期满后管理人将进行回访确认。请您充分了解上述风险后审慎决策。"
    )
}

fn warning_text(name: &str, p: &Product, level: &str) -> String {
    format!(
        "风险不匹配警示函\n尊敬的{name}：您的风险承受能力等级为{level}，您拟购买的「{}」风险等级为{}，高于您的风险承受能力。\
         该产品可能给您带来超出您承受能力的损失。如您仍坚持购买，请确认已充分知悉并自愿承担相应风险。",
        p.name, p.risk_rating
    )
}

/// Where and how a document was signed.
pub struct Signing<'a> {
    pub document: &'a str,
    pub typed_name: &'a str,
    pub agreed: bool,
    pub ip: &'a str,
    pub user_agent: &'a str,
}

/// Signs one of the link's documents by the investor's full name and a ticked box; once every
/// document is signed, the link is used up.
pub async fn sign(
    c: &mut Conn<'_>,
    inv: &Invitation,
    investor: &Investor,
    level: Option<&str>,
    s: Signing<'_>,
) -> Result<Signature> {
    if inv.assessment_id.is_none() || level.is_none() {
        return Err(WorkflowError::conflict(
            "not_assessed",
            "the questionnaire comes first: the documents depend on its level",
        ));
    }
    let docs = documents(c, inv, investor, level).await?;
    let Some((document, text)) = docs.iter().find(|(d, _)| *d == s.document) else {
        return Err(WorkflowError::field(
            "document",
            "not a document of this link",
        ));
    };
    let before = invitations::signatures_of(c, &investor.id).await?;
    if before
        .iter()
        .any(|x| x.invitation_id == inv.id && x.document == *document)
    {
        return Err(WorkflowError::conflict(
            "already_signed",
            "this document is signed",
        ));
    }
    let mut problems = Vec::new();
    if s.typed_name.trim() != investor.name {
        problems.push(FieldProblem::new(
            "typed_name",
            "type your full name as registered",
        ));
    }
    if !s.agreed {
        problems.push(FieldProblem::new(
            "agreed",
            "tick the box to confirm you have read it",
        ));
    }
    if !problems.is_empty() {
        return Err(WorkflowError::Invalid(problems));
    }
    let signature = Signature {
        id: new_id(),
        invitation_id: inv.id.clone(),
        investor_id: investor.id.clone(),
        product_id: inv.product_id.clone(),
        document: document.to_string(),
        text_hash: hex(&Sha256::digest(text.as_bytes())),
        typed_name: s.typed_name.trim().to_string(),
        signed_at: now(),
        ip: s.ip.chars().take(64).collect(),
        user_agent: s.user_agent.chars().take(400).collect(),
    };
    invitations::insert_signature(c, &signature).await?;
    audit::record_system(c, "investor.sign", "investor", &investor.id, &signature).await?;
    let signed: Vec<String> = invitations::signatures_of(c, &investor.id)
        .await?
        .into_iter()
        .filter(|x| x.invitation_id == inv.id)
        .map(|x| x.document)
        .collect();
    if docs.iter().all(|(d, _)| signed.iter().any(|x| x == d)) {
        invitations::complete(c, &inv.id, now()).await?;
    }
    Ok(signature)
}
