//! What has happened around one investor beyond their orders: the callbacks planned and made,
//! and the complaints received. The profile shows these to everyone who may see the investor,
//! so the lines carry only what the list needs: no contact, no record of a call, no complaint
//! text (those stay behind the callback desk's and compliance's own pages).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::super::{Result, scope};
use crate::domain::state::{CallbackKind, CallbackStatus, ComplaintStatus};
use crate::store::Conn;
use crate::store::staff::Staff;
use crate::store::{callbacks, complaints};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CallbackLine {
    pub id: String,
    pub order_id: Option<String>,
    pub kind: CallbackKind,
    pub status: CallbackStatus,
    pub due_from: DateTime<Utc>,
    pub due_by: DateTime<Utc>,
    pub attempts: i64,
    pub closed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CallbackLines {
    pub items: Vec<CallbackLine>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ComplaintLine {
    pub id: String,
    pub order_id: Option<String>,
    pub channel: String,
    pub category: String,
    pub status: ComplaintStatus,
    pub received_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ComplaintLines {
    pub items: Vec<ComplaintLine>,
}

/// The investor's callbacks (at most 500, latest deadline first), if `actor` sees the investor.
pub async fn callbacks(
    c: &mut Conn<'_>,
    actor: &Staff,
    investor_id: &str,
) -> Result<CallbackLines> {
    scope::investor(c, actor, investor_id).await?;
    let items = callbacks::for_investor(c, investor_id)
        .await?
        .into_iter()
        .map(|cb| CallbackLine {
            id: cb.id,
            order_id: cb.order_id,
            kind: cb.kind,
            status: cb.status,
            due_from: cb.due_from,
            due_by: cb.due_by,
            attempts: cb.attempts,
            closed_at: cb.closed_at,
        })
        .collect();
    Ok(CallbackLines { items })
}

/// The investor's complaints (at most 500, newest first), if `actor` sees the investor.
pub async fn complaints(
    c: &mut Conn<'_>,
    actor: &Staff,
    investor_id: &str,
) -> Result<ComplaintLines> {
    scope::investor(c, actor, investor_id).await?;
    let items = complaints::for_investor(c, investor_id)
        .await?
        .into_iter()
        .map(|x| ComplaintLine {
            id: x.id,
            order_id: x.order_id,
            channel: x.channel,
            category: x.category,
            status: x.status,
            received_at: x.received_at,
            resolved_at: x.resolved_at,
        })
        .collect();
    Ok(ComplaintLines { items })
}
