//! Which investors a staff member's list and reads reach (see `workflow::scope`).

use super::{Investor, Row};
use crate::on_conn;
use crate::store::{Conn, StoreError};
use crate::vault::Vault;

/// Whose investors a list shows: everyone's, one sales person's, or those a planner reaches
/// through the callbacks they work (assigned to them, or open and unclaimed in the queue).
#[derive(Debug, Clone, Copy)]
pub enum Visible<'a> {
    All,
    OwnedBy(&'a str),
    CalledBy(&'a str),
}

/// The condition on `investors i` for what a planner reaches through callbacks; `$n` binds the
/// planner's id.
macro_rules! called_by {
    ($n:literal) => {
        concat!(
            "EXISTS (SELECT 1 FROM callbacks k WHERE k.investor_id = i.id AND (k.assignee_id = ",
            $n,
            " OR (k.status = 'open' AND k.assignee_id IS NULL)))"
        )
    };
}

/// A page of the investors `visible` shows, in creation order, starting after the id `after`.
pub async fn list(
    c: &mut Conn<'_>,
    vault: &Vault,
    visible: Visible<'_>,
    after: Option<&str>,
    name_contains: Option<&str>,
    limit: i64,
) -> Result<Vec<Investor>, StoreError> {
    let (sql, who) = match visible {
        Visible::All => (
            concat!(
                "SELECT ",
                columns!(),
                " FROM investors i WHERE id > $1 AND $3 = '' AND i.name LIKE $4 ESCAPE '\\' ORDER BY id LIMIT $2"
            ),
            "",
        ),
        Visible::OwnedBy(owner) => (
            concat!(
                "SELECT ",
                columns!(),
                " FROM investors i WHERE id > $1 AND sales_owner_id = $3 AND i.name LIKE $4 ESCAPE '\\' ORDER BY id LIMIT $2"
            ),
            owner,
        ),
        Visible::CalledBy(planner) => (
            concat!(
                "SELECT ",
                columns!(),
                " FROM investors i WHERE id > $1 AND ",
                called_by!("$3"),
                " AND i.name LIKE $4 ESCAPE '\\' ORDER BY id LIMIT $2"
            ),
            planner,
        ),
    };
    // A name filter matches anywhere in the name; its own % _ \ are literal.
    let pattern = format!(
        "%{}%",
        name_contains
            .unwrap_or("")
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let rows: Vec<Row> = on_conn!(c, |e| sqlx::query_as(sql)
        .bind(after.unwrap_or(""))
        .bind(limit)
        .bind(who)
        .bind(&pattern)
        .fetch_all(e)
        .await)?;
    rows.into_iter().map(|r| r.into_investor(vault)).collect()
}

/// Whether `visible` shows the investor `id` (false if there is none).
pub async fn is_visible(
    c: &mut Conn<'_>,
    visible: Visible<'_>,
    id: &str,
) -> Result<bool, StoreError> {
    let (sql, who) = match visible {
        Visible::All => ("SELECT 1 FROM investors i WHERE id = $1 AND $2 = ''", ""),
        Visible::OwnedBy(owner) => (
            "SELECT 1 FROM investors i WHERE id = $1 AND sales_owner_id = $2",
            owner,
        ),
        Visible::CalledBy(planner) => (
            concat!(
                "SELECT 1 FROM investors i WHERE id = $1 AND ",
                called_by!("$2")
            ),
            planner,
        ),
    };
    let found: Option<(i32,)> = on_conn!(c, |e| sqlx::query_as(sql)
        .bind(id)
        .bind(who)
        .fetch_optional(e)
        .await)?;
    Ok(found.is_some())
}
