//! Manual callbacks: planners and compliance plan an ad-hoc special callback for an investor
//! (a holding of theirs, or none), with the checks of their choice from the active catalogue.

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use super::{CallbackView, cooling, load_view};
use crate::domain::FieldProblem;
use crate::domain::state::{CallbackKind, CallbackStatus};
use crate::store::callbacks::{Callback, CheckRef};
use crate::store::staff::Staff;
use crate::store::{Conn, investors, new_id, now, orders, truncate_micros};
use crate::workflow::{Ctx, Result, WorkflowError, audit};

const MAX_CHECKS: usize = 50;
const MAX_REASON: usize = 64;
/// The longest window a manual callback may be given.
const MAX_WINDOW_DAYS: i64 = 365;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"investor_id": "01938a1e-7c00-7000-8000-000000000001",
    "order_id": "01938a1e-7c00-7000-8000-000000000004", "reason": "market_turmoil",
    "checks": ["identity_confirmed", "loss_possibility_known"],
    "due_from": "2026-12-14T01:00:00Z", "due_by": "2026-12-25T09:00:00Z",
    "planned_method": "phone"}))]
pub struct NewCallback {
    pub investor_id: String,
    /// A holding of the investor's, if the callback is about one.
    pub order_id: Option<String>,
    /// A lower_snake_case code of the caller's choice, e.g. "market_turmoil".
    #[schema(pattern = "^[a-z][a-z0-9_]{0,63}$")]
    pub reason: String,
    /// Check codes from the active rule set's catalogue, asked in this order.
    #[schema(min_items = 1, max_items = 50)]
    pub checks: Vec<String>,
    /// Default now.
    pub due_from: Option<DateTime<Utc>>,
    pub due_by: DateTime<Utc>,
    /// How it is to be made (回访方式); default phone.
    #[schema(pattern = "^(phone|email|letter|visit|video)$")]
    pub planned_method: Option<String>,
}

pub async fn create(
    c: &mut Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    new: NewCallback,
) -> Result<CallbackView> {
    let t = now();
    let mut problems = Vec::new();
    let reason_ok = !new.reason.is_empty()
        && new.reason.len() <= MAX_REASON
        && new.reason.starts_with(|c: char| c.is_ascii_lowercase())
        && new
            .reason
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !reason_ok {
        problems.push(FieldProblem::new(
            "reason",
            format!("must be a lower_snake_case code of at most {MAX_REASON} characters"),
        ));
    }
    if let Some(m) = &new.planned_method
        && !super::form::METHODS.contains(&m.as_str())
    {
        problems.push(FieldProblem::new(
            "planned_method",
            format!("must be one of: {}", super::form::METHODS.join(", ")),
        ));
    }
    let catalogue = ctx.rules.catalogue();
    let mut checks: Vec<CheckRef> = Vec::new();
    if new.checks.is_empty() || new.checks.len() > MAX_CHECKS {
        problems.push(FieldProblem::new(
            "checks",
            format!("must name 1 to {MAX_CHECKS} checks"),
        ));
    }
    for (i, code) in new.checks.iter().enumerate() {
        match catalogue.by_code(code) {
            Some(_) if checks.iter().any(|c| &c.code == code) => {
                problems.push(FieldProblem::new(format!("checks[{i}]"), "is listed twice"))
            }
            Some(check) => checks.push(CheckRef {
                code: check.code.clone(),
                question: check.question.clone(),
            }),
            None => problems.push(FieldProblem::new(
                format!("checks[{i}]"),
                "is not a check of the active catalogue",
            )),
        }
    }
    let due_from = truncate_micros(new.due_from.unwrap_or(t));
    let due_by = truncate_micros(new.due_by);
    if due_by <= due_from || due_by > due_from + Duration::days(MAX_WINDOW_DAYS) {
        problems.push(FieldProblem::new(
            "due_by",
            format!("must be after due_from, and at most {MAX_WINDOW_DAYS} days after it"),
        ));
    }
    if due_by <= t {
        problems.push(FieldProblem::new("due_by", "must be in the future"));
    }
    if !investors::exists(c, &new.investor_id).await? {
        return Err(WorkflowError::NotFound("investor"));
    }
    let order = match &new.order_id {
        Some(id) => match orders::get(c, id).await? {
            Some(o) if o.investor_id == new.investor_id => Some(o),
            _ => {
                problems.push(FieldProblem::new(
                    "order_id",
                    "is not an order of this investor",
                ));
                None
            }
        },
        None => None,
    };
    if !problems.is_empty() {
        return Err(WorkflowError::Invalid(problems));
    }
    let cb = Callback {
        id: new_id(),
        order_id: order.as_ref().map(|o| o.id.clone()),
        investor_id: new.investor_id,
        product_id: order.as_ref().map(|o| o.product_id.clone()),
        kind: CallbackKind::Special,
        reason: new.reason,
        due_from,
        due_by,
        checks,
        status: CallbackStatus::Open,
        assignee_id: None,
        attempts: 0,
        decision_id: None,
        created_at: t,
        closed_at: None,
        complaint_id: None,
        cancel_reason: None,
        planned_method: new.planned_method.unwrap_or_else(|| "phone".to_string()),
    };
    let cb = cooling::plan(c, cb, t).await?;
    let change = serde_json::json!({"order_id": cb.order_id, "reason": cb.reason, "manual": true});
    audit::record(c, actor, "callback.plan", "callback", &cb.id, &change).await?;
    load_view(c, ctx.vault, cb).await
}
