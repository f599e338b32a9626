//! The desk at a glance: per kind, how many callbacks are open, due today, overdue, claimed and
//! awaiting the supervisor's review (主管审阅). A planner counts what they work; compliance and
//! admin the whole desk.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use serde::Serialize;

use crate::config::business_offset;
use crate::store::callbacks;
use crate::store::staff::Staff;
use crate::store::{Conn, now};
use crate::workflow::Result;

#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Counts {
    pub open: i64,
    /// Open and due by the end of today (China Standard Time).
    pub due_today: i64,
    /// Open and past `due_by`.
    pub overdue: i64,
    /// Open and claimed by a planner.
    pub claimed: i64,
    /// Completed or failed, and not reviewed yet.
    pub awaiting_review: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = DeskSummary)]
pub struct Summary {
    /// By kind: confirmation, periodic, special.
    pub by_kind: BTreeMap<String, Counts>,
}

pub async fn summary(c: &mut Conn<'_>, actor: &Staff) -> Result<Summary> {
    let t = now();
    let local = t.with_timezone(&business_offset());
    let end_of_today = (local.date_naive() + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .and_then(|d| d.and_local_timezone(business_offset()).single())
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or(t);
    let worked_by = super::planner_only(actor);
    let mut by_kind: BTreeMap<String, Counts> = BTreeMap::new();
    for row in callbacks::summary(c, t, end_of_today, worked_by.as_deref()).await? {
        let counts = by_kind.entry(row.kind).or_default();
        counts.open += row.open;
        counts.due_today += row.due_today;
        counts.overdue += row.overdue;
        counts.claimed += row.claimed;
        counts.awaiting_review += row.awaiting_review;
    }
    Ok(Summary { by_kind })
}
