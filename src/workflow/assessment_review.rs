//! A risk reviewer's verdict on a flagged assessment (answers contradicting known facts, a level
//! raised on a quick retake). Accepted, it satisfies the `assessment_review` requirement the
//! shipped rules make for such an assessment; rejected, the assessment is never used (the
//! investor's previous one, if any, stands). One review per assessment, by risk staff who
//! neither recorded it nor own the investor.

use serde::Deserialize;

use super::{Ctx, Result, WorkflowError, audit};
use crate::domain::{FieldProblem, Role};
use crate::store::assessments::{self, Review};
use crate::store::staff::Staff;
use crate::store::{Conn, investors, now};

/// The requirement a review satisfies, and the evidence kind it adds to an order.
pub const REQUIREMENT: &str = "assessment_review";
pub const EVIDENCE_KIND: &str = "risk_review";
pub const MAX_NOTE: usize = 1000;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"accept": true,
    "note": "已电话核实投资者年龄和资产情况，问卷答案与事实相符，予以认可"}))]
pub struct ReviewInput {
    /// true: the answers stand; false: the assessment is never used.
    pub accept: bool,
    /// Why, 1 to 1000 characters.
    pub note: String,
}

/// Records the review of assessment `id`.
pub async fn review(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    id: &str,
    input: ReviewInput,
) -> Result<Review> {
    if !actor.has_any(&[Role::Risk]) {
        return Err(WorkflowError::forbidden(
            "forbidden",
            "only risk staff review assessments",
        ));
    }
    let note = crate::domain::text::free_text(&input.note, MAX_NOTE)
        .map_err(|problem| WorkflowError::Invalid(vec![FieldProblem::new("note", problem)]))?;
    let assessment = assessments::get(c, id)
        .await?
        .ok_or(WorkflowError::NotFound("assessment"))?;
    let investor = investors::get(c, ctx.vault, &assessment.investor_id)
        .await?
        .ok_or(WorkflowError::NotFound("investor"))?;
    if assessment.recorded_by == actor.id || investor.sales_owner_id == actor.id {
        return Err(WorkflowError::forbidden(
            "separation_of_duties",
            "an assessment is reviewed by neither whoever recorded it nor the investor's sales owner",
        ));
    }
    let r = Review {
        assessment_id: assessment.id.clone(),
        verdict: if input.accept { "accepted" } else { "rejected" }.to_string(),
        note: note.to_string(),
        reviewed_by: actor.id.clone(),
        reviewed_at: now(),
    };
    if !assessments::insert_review(c, &r).await? {
        return Err(WorkflowError::conflict(
            "already_reviewed",
            "this assessment has been reviewed already",
        ));
    }
    audit::record(c, actor, "assessment.review", "assessment", id, &r).await?;
    Ok(r)
}

/// The accepted review of `assessment_id`, if any: what satisfies `assessment_review`.
pub async fn accepted(c: &mut Conn<'_>, assessment_id: Option<&str>) -> Result<Option<Review>> {
    let Some(id) = assessment_id else {
        return Ok(None);
    };
    Ok(assessments::review_of(c, id)
        .await?
        .filter(|r| r.verdict == "accepted"))
}
