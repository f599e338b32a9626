//! A callback as planners see it: the task with the investor (phone masked), the product and the
//! assignee by name.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::mask;
use crate::domain::state::{CallbackKind, CallbackStatus};
use crate::rules::scripts::Script;
use crate::store::callback_records::{Issue, Outcome, Review};
use crate::store::callbacks::{self, Callback, CheckRef};
use crate::store::investors::Investor;
use crate::store::products::Product;
use crate::store::{Conn, investors, products, staff};
use crate::vault::Vault;
use crate::workflow::{Result, WorkflowError};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PartyRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CallbackInvestor {
    pub id: String,
    pub name: String,
    /// Masked, e.g. 138****8000.
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CallbackProduct {
    pub id: String,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CallbackView {
    pub id: String,
    pub kind: CallbackKind,
    /// The special reason ("mismatch", "product_rerated", …), the periodic frequency, or "confirmation".
    pub reason: String,
    /// The holding it is about; null for a complaint follow-up.
    pub order_id: Option<String>,
    /// The complaint a `complaint_followup` callback follows up.
    pub complaint_id: Option<String>,
    pub investor: CallbackInvestor,
    pub product: Option<CallbackProduct>,
    pub due_from: DateTime<Utc>,
    pub due_by: DateTime<Utc>,
    pub checks: Vec<CheckRef>,
    pub status: CallbackStatus,
    /// Why it was cancelled, when it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel_reason: Option<String>,
    pub assignee: Option<PartyRef>,
    pub attempts: i64,
    /// How it is to be made (回访方式): phone, email, letter, visit, video.
    pub planned_method: String,
}

/// One callback with its outcomes, reviews and issues.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CallbackDetail {
    #[serde(flatten)]
    pub callback: CallbackView,
    pub outcomes: Vec<Outcome>,
    pub reviews: Vec<Review>,
    /// The open issues (遗留问题) its records raised, closed or not.
    pub issues: Vec<Issue>,
    /// What the agent says before the first check (in `checks` order) and after the last, from
    /// the active rule set's `scripts.toml`, for this investor's kind.
    pub script: Script,
}

/// The view of `cb` for an investor and product already loaded.
pub fn callback_view(
    cb: Callback,
    investor: &Investor,
    product: Option<&Product>,
    assignee: Option<String>,
) -> CallbackView {
    let product = product.map(|p| (p.code.clone(), p.name.clone()));
    view(
        cb,
        investor.name.clone(),
        investor.phone.as_deref(),
        product,
        assignee,
    )
}

fn view(
    cb: Callback,
    investor_name: String,
    phone: Option<&str>,
    product: Option<(String, String)>,
    assignee_name: Option<String>,
) -> CallbackView {
    CallbackView {
        investor: CallbackInvestor {
            id: cb.investor_id,
            name: investor_name,
            phone: phone.map(mask::phone),
        },
        product: match (cb.product_id, product) {
            (Some(id), Some((code, name))) => Some(CallbackProduct { id, code, name }),
            _ => None,
        },
        assignee: cb.assignee_id.map(|id| PartyRef {
            id,
            name: assignee_name.unwrap_or_default(),
        }),
        id: cb.id,
        kind: cb.kind,
        reason: cb.reason,
        order_id: cb.order_id,
        complaint_id: cb.complaint_id,
        cancel_reason: cb.cancel_reason,
        due_from: cb.due_from,
        due_by: cb.due_by,
        checks: cb.checks,
        status: cb.status,
        attempts: cb.attempts,
        planned_method: cb.planned_method,
    }
}

/// The view of a listed callback (its investor's phone still sealed as stored).
pub fn listed_view(vault: &Vault, mut l: callbacks::Listed) -> CallbackView {
    l.investor_phone = l.investor_phone.and_then(|p| {
        if Vault::is_sealed(&p) {
            vault
                .open(&p, &investors::context("phone", &l.callback.investor_id))
                .ok()
        } else {
            Some(p)
        }
    });
    let product = l.product_code.zip(l.product_name);
    view(
        l.callback,
        l.investor_name,
        l.investor_phone.as_deref(),
        product,
        l.assignee_name,
    )
}

/// Loads what the view of `cb` shows.
pub async fn load_view(c: &mut Conn<'_>, vault: &Vault, cb: Callback) -> Result<CallbackView> {
    let investor = investors::get(c, vault, &cb.investor_id)
        .await?
        .ok_or(WorkflowError::NotFound("investor"))?;
    let product = match &cb.product_id {
        Some(id) => Some(
            products::get(c, id)
                .await?
                .ok_or(WorkflowError::NotFound("product"))?,
        ),
        None => None,
    };
    let assignee = match &cb.assignee_id {
        Some(id) => staff::name_of(c, id).await?,
        None => None,
    };
    Ok(callback_view(cb, &investor, product.as_ref(), assignee))
}
