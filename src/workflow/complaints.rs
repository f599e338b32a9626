//! Complaints (投诉, seed 001): recorded from any channel, assigned, resolved with a note; a
//! resolution plans a `complaint_followup` callback within 7 working days (never inside the
//! order's cooling-off). The archive groups a period's complaints by category.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use serde::Serialize;

use super::{Ctx, Result, WorkflowError, audit, duties, scope};
use crate::callbacks::planner;
use crate::domain::FieldProblem;
use crate::domain::state::{CallbackKind, CallbackStatus, ComplaintStatus};
use crate::store::callbacks::Callback;
use crate::store::complaints::{self, Complaint};
use crate::store::staff::Staff;
use crate::store::{Conn, investors, new_id, now, orders, staff, truncate_micros};

pub const CHANNELS: &[&str] = &[
    "phone",
    "email",
    "letter",
    "visit",
    "online",
    "regulator",
    "other",
];
pub const CATEGORIES: &[&str] = &[
    "mis_selling",
    "suitability",
    "service",
    "fees",
    "disclosure",
    "redemption",
    "callback",
    "other",
];
/// The follow-up is due within this many working days of the resolution (seed 001).
pub const FOLLOWUP_WORKING_DAYS: u32 = 7;
pub const FOLLOWUP: &str = "complaint_followup";
/// The longest complaint text and resolution.
pub const MAX_TEXT: usize = 8000;

/// A complaint as received (also the body of `POST /v1/complaints`).
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"investor_id": "01938a1e-7c00-7000-8000-000000000001",
    "order_id": "01938a1e-7c00-7000-8000-000000000004", "channel": "phone",
    "category": "disclosure", "content": "投资者来电反映未按合同约定收到产品季度报告，要求尽快寄送",
    "received_at": "2026-12-03T01:30:00Z"}))]
pub struct NewComplaint {
    pub investor_id: String,
    /// The order it is about, if any.
    pub order_id: Option<String>,
    /// phone, email, letter, visit, online, regulator, other
    #[schema(
        pattern = "^(phone|email|letter|visit|online|regulator|other)$",
        example = "phone"
    )]
    pub channel: String,
    /// mis_selling, suitability, service, fees, disclosure, redemption, callback, other
    #[schema(
        pattern = "^(mis_selling|suitability|service|fees|disclosure|redemption|callback|other)$",
        example = "service"
    )]
    pub category: String,
    pub content: String,
    pub received_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResolvedComplaint {
    #[serde(flatten)]
    pub complaint: Complaint,
    /// The follow-up callback planned by the resolution.
    pub followup_callback_id: String,
    pub followup_due_by: DateTime<Utc>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ComplaintArchive {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub total: usize,
    pub by_category: BTreeMap<String, usize>,
    pub open: usize,
    pub items: Vec<Complaint>,
}

/// `days` working days (Monday to Friday) after `t`.
pub fn add_working_days(t: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    let mut out = t;
    let mut left = days;
    while left > 0 {
        out += Duration::days(1);
        let local = out.with_timezone(&crate::config::business_offset());
        if !matches!(local.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    out
}

fn one_of(field: &str, v: &str, allowed: &[&str], problems: &mut Vec<FieldProblem>) {
    if !allowed.contains(&v) {
        problems.push(FieldProblem::new(
            field,
            format!("must be one of: {}", allowed.join(", ")),
        ));
    }
}

/// Records a complaint received from an investor.
pub async fn record(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    new: NewComplaint,
) -> Result<Complaint> {
    let t = now();
    let mut problems = Vec::new();
    one_of("channel", &new.channel, CHANNELS, &mut problems);
    one_of("category", &new.category, CATEGORIES, &mut problems);
    let content =
        crate::domain::text::free_text(&new.content, MAX_TEXT).unwrap_or_else(|problem| {
            problems.push(FieldProblem::new("content", problem));
            ""
        });
    if new.received_at > t + Duration::seconds(60) {
        problems.push(FieldProblem::new(
            "received_at",
            "must not be in the future",
        ));
    }
    if !problems.is_empty() {
        return Err(WorkflowError::Invalid(problems));
    }
    scope::investor(c, actor, &new.investor_id).await?;
    investors::get(c, ctx.vault, &new.investor_id)
        .await?
        .ok_or(WorkflowError::NotFound("investor"))?;
    if let Some(order_id) = &new.order_id {
        let order = orders::get(c, order_id).await?;
        if order.is_none_or(|o| o.investor_id != new.investor_id) {
            return Err(WorkflowError::field(
                "order_id",
                "is not an order of this investor",
            ));
        }
    }
    let complaint = Complaint {
        id: new_id(),
        investor_id: new.investor_id,
        order_id: new.order_id,
        channel: new.channel,
        category: new.category,
        content: content.to_string(),
        received_at: truncate_micros(new.received_at),
        status: ComplaintStatus::Open,
        assignee_id: None,
        created_by: actor.id.clone(),
        created_at: t,
        resolution: None,
        resolved_by: None,
        resolved_at: None,
    };
    complaints::insert(c, &complaint).await?;
    audit::record(
        c,
        actor,
        "complaint.create",
        "complaint",
        &complaint.id,
        &complaint,
    )
    .await?;
    super::events::after_complaint(c, ctx, actor, &complaint.investor_id).await?;
    Ok(complaint)
}

/// One complaint, if the actor may see its investor (a planner: one whose callbacks they work).
pub async fn get(c: &mut Conn<'_>, actor: &Staff, id: &str) -> Result<Complaint> {
    let complaint = complaints::get(c, id)
        .await?
        .ok_or(WorkflowError::NotFound("complaint"))?;
    scope::investor(c, actor, &complaint.investor_id)
        .await
        .map_err(|_| WorkflowError::NotFound("complaint"))?;
    Ok(complaint)
}

/// Gives an open complaint to a staff member to handle.
pub async fn assign(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    id: &str,
    assignee_id: &str,
) -> Result<Complaint> {
    let complaint = get(c, actor, id).await?;
    let Some(assignee) = staff::get(c, assignee_id).await? else {
        return Err(WorkflowError::field("assignee_id", "is not a staff member"));
    };
    let investor = investors::get(c, ctx.vault, &complaint.investor_id)
        .await?
        .ok_or(WorkflowError::NotFound("investor"))?;
    duties::may_handle_complaint(c, &assignee, &investor).await?;
    if !complaints::assign(c, id, assignee_id).await? {
        return Err(WorkflowError::conflict(
            "complaint_resolved",
            "the complaint is resolved",
        ));
    }
    let change = serde_json::json!({"assignee": assignee_id});
    audit::record(c, actor, "complaint.assign", "complaint", id, &change).await?;
    get(c, actor, id).await
}

/// Resolves a complaint with a note and plans its follow-up callback within 7 working days of
/// now, or of the end of the order's cooling-off if that is later.
pub async fn resolve(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    id: &str,
    resolution: &str,
) -> Result<ResolvedComplaint> {
    let resolution = crate::domain::text::free_text(resolution, MAX_TEXT)
        .map_err(|problem| WorkflowError::field("resolution", problem))?;
    let t = now();
    let complaint = get(c, actor, id).await?;
    if !complaints::resolve(c, id, resolution, &actor.id, t).await? {
        return Err(WorkflowError::conflict(
            "complaint_resolved",
            "the complaint is already resolved",
        ));
    }
    let order = match &complaint.order_id {
        Some(order_id) => orders::get(c, order_id).await?,
        None => None,
    };
    // No contact during an order's cooling-off, even to follow up a complaint about it.
    let due_from = order.as_ref().map_or(t, |o| t.max(o.cooling_off_ends_at));
    let due_by = add_working_days(due_from, FOLLOWUP_WORKING_DAYS);
    let cb = Callback {
        id: new_id(),
        order_id: complaint.order_id.clone(),
        investor_id: complaint.investor_id.clone(),
        product_id: order.map(|o| o.product_id),
        kind: CallbackKind::Special,
        reason: FOLLOWUP.into(),
        due_from,
        due_by,
        checks: planner::group_checks(ctx.rules.catalogue(), FOLLOWUP),
        status: CallbackStatus::Open,
        assignee_id: None,
        attempts: 0,
        decision_id: None,
        created_at: t,
        closed_at: None,
        complaint_id: Some(id.to_string()),
        cancel_reason: None,
        planned_method: "phone".to_string(),
    };
    let cb = super::callbacks::cooling::plan(c, cb, t).await?;
    let change = serde_json::json!({"resolution": resolution});
    audit::record(c, actor, "complaint.resolve", "complaint", id, &change).await?;
    let change = serde_json::json!({"complaint_id": id, "reason": FOLLOWUP});
    audit::record(c, actor, "callback.plan", "callback", &cb.id, &change).await?;
    super::events::after_complaint(c, ctx, actor, &complaint.investor_id).await?;
    Ok(ResolvedComplaint {
        complaint: get(c, actor, id).await?,
        followup_callback_id: cb.id,
        followup_due_by: due_by,
    })
}

/// The complaint archive (投诉档案) of [from, to): counts by category and every complaint.
pub async fn archive(
    c: &mut Conn<'_>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    category: Option<&str>,
) -> Result<ComplaintArchive> {
    let to = to.unwrap_or_else(now);
    let from = from.unwrap_or_else(|| to - Duration::days(365));
    if from >= to {
        return Err(WorkflowError::field("from", "must be before `to`"));
    }
    if let Some(cat) = category
        && !CATEGORIES.contains(&cat)
    {
        return Err(WorkflowError::field(
            "category",
            format!("must be one of: {}", CATEGORIES.join(", ")),
        ));
    }
    let items = complaints::received_between(c, from, to, category).await?;
    let mut by_category = BTreeMap::new();
    for k in &items {
        *by_category.entry(k.category.clone()).or_insert(0) += 1;
    }
    let open = items
        .iter()
        .filter(|k| k.status == ComplaintStatus::Open)
        .count();
    Ok(ComplaintArchive {
        from,
        to,
        total: items.len(),
        by_category,
        open,
        items,
    })
}
