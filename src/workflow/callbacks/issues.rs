//! Open issues (遗留问题) raised on callback records, tracked until someone closes them with a
//! resolution (the closure is a record of its own; the issue is never edited).

use serde::{Deserialize, Serialize};

use super::planner_only;
use crate::store::callback_records::{self, Issue};
use crate::store::staff::Staff;
use crate::store::{Conn, now};
use crate::workflow::{Result, WorkflowError, audit};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;
/// The longest resolution.
pub const MAX_RESOLUTION: usize = 4000;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IssuePage {
    pub items: Vec<Issue>,
    pub next_after: Option<String>,
}

/// Issues (open ones unless `include_closed`), a page at a time; a planner sees those of the
/// callbacks they hold.
pub async fn list(
    c: &mut Conn<'_>,
    actor: &Staff,
    include_closed: bool,
    limit: Option<i64>,
    after: Option<String>,
) -> Result<IssuePage> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(WorkflowError::field(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let me = planner_only(actor);
    let mut items = callback_records::issues(
        c,
        include_closed,
        me.as_deref(),
        after.as_deref().unwrap_or(""),
        limit + 1,
    )
    .await?;
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    let next_after = more.then(|| items.last().map(|i| i.id.clone())).flatten();
    Ok(IssuePage { items, next_after })
}

/// The body of `POST /v1/callbacks/issues/{id}/close`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"resolution": "季报已于 2026-12-05 寄出"}))]
pub struct Closure {
    pub resolution: String,
}

/// Closes an open issue with its resolution; 409 `already_closed` the second time.
pub async fn close(c: &mut Conn<'_>, actor: &Staff, id: &str, req: Closure) -> Result<Issue> {
    let resolution = crate::domain::text::free_text(&req.resolution, MAX_RESOLUTION)
        .map_err(|problem| WorkflowError::field("resolution", problem))?;
    let issue = callback_records::issue(c, id)
        .await?
        .ok_or(WorkflowError::NotFound("issue"))?;
    if let Some(me) = planner_only(actor) {
        let held = crate::store::callbacks::get(c, &issue.callback_id)
            .await?
            .is_some_and(|cb| cb.assignee_id.as_deref() == Some(me.as_str()));
        if !held {
            return Err(WorkflowError::NotFound("issue"));
        }
    }
    if !callback_records::close_issue(c, id, &actor.id, resolution, now()).await? {
        return Err(WorkflowError::conflict(
            "already_closed",
            "this issue is already closed",
        ));
    }
    let issue = callback_records::issue(c, id)
        .await?
        .ok_or(WorkflowError::NotFound("issue"))?;
    audit::record(
        c,
        actor,
        "callback.issue.close",
        "callback",
        &issue.callback_id,
        &issue,
    )
    .await?;
    Ok(issue)
}
