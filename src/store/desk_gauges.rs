//! The counts `GET /metrics` reports of the callback desk and compliance's inbox.

use super::{Conn, StoreError};
use crate::on_conn;

pub struct DeskGauges {
    /// Open callbacks by kind (confirmation, periodic, special).
    pub open_by_kind: Vec<(String, i64)>,
    pub overdue: i64,
    pub escalations_open: i64,
}

pub async fn read(c: &mut Conn<'_>) -> Result<DeskGauges, StoreError> {
    let open_by_kind: Vec<(String, i64)> = on_conn!(c, |e| sqlx::query_as(
        "SELECT kind, COUNT(*) FROM callbacks WHERE status = 'open' GROUP BY kind ORDER BY kind"
    )
    .fetch_all(e)
    .await)?;
    let (overdue,): (i64,) = on_conn!(c, |e| sqlx::query_as(
        "SELECT COUNT(*) FROM callbacks WHERE status = 'overdue'"
    )
    .fetch_one(e)
    .await)?;
    let (escalations_open,): (i64,) = on_conn!(c, |e| sqlx::query_as(
        "SELECT COUNT(*) FROM escalations e WHERE NOT EXISTS \
         (SELECT 1 FROM escalation_resolutions r WHERE r.escalation_id = e.id)"
    )
    .fetch_one(e)
    .await)?;
    Ok(DeskGauges {
        open_by_kind,
        overdue,
        escalations_open,
    })
}
