//! The supervisor's review (主管审阅) of a callback: a comment beside its outcomes, which stay as
//! they were recorded.

use crate::store::callbacks::{self, Review};
use crate::store::staff::Staff;
use crate::store::{Conn, new_id, now};
use crate::workflow::{Result, WorkflowError, audit, duties};

/// The longest review comment.
pub const MAX_COMMENT: usize = 4000;

pub async fn review(c: &mut Conn<'_>, actor: &Staff, id: &str, comment: &str) -> Result<Review> {
    let comment = comment.trim();
    if comment.is_empty() || comment.chars().count() > MAX_COMMENT {
        return Err(WorkflowError::field(
            "comment",
            format!("must be 1 to {MAX_COMMENT} characters"),
        ));
    }
    callbacks::get(c, id)
        .await?
        .ok_or(WorkflowError::NotFound("callback"))?;
    let outcomes = callbacks::outcomes(c, id).await?;
    let agents: Vec<&str> = outcomes.iter().map(|o| o.recorded_by.as_str()).collect();
    duties::may_review(actor, &agents)?;
    let review = Review {
        id: new_id(),
        callback_id: id.to_string(),
        reviewer_id: actor.id.clone(),
        comment: comment.to_string(),
        created_at: now(),
    };
    callbacks::insert_review(c, &review).await?;
    audit::record(c, actor, "callback.review", "callback", id, &review).await?;
    Ok(review)
}
