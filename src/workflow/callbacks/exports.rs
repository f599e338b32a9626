//! The planners' documents over a period: the callback plan (回访计划表) of open callbacks due in
//! it, as CSV or XLSX, and the report (回访报告) of what was recorded in it.

use chrono::{DateTime, Duration, Utc};

use crate::callbacks::export::{self, Preparer};
use crate::callbacks::report::{self, Period, Report};
use crate::store::callbacks::{self, Filter};
use crate::store::staff::Staff;
use crate::store::{Conn, callback_records, escalations, now};
use crate::workflow::{Result, WorkflowError};

/// The longest period one report covers.
pub const MAX_REPORT_DAYS: i64 = 366;

/// The most callbacks one plan lists.
pub const MAX_PLAN_ROWS: i64 = 100_000;

/// A plan file ready to send.
#[derive(Debug)]
pub struct PlanFile {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    /// "csv" or "xlsx".
    pub extension: &'static str,
}

/// The plan of callbacks still to do (open or overdue) whose window opens in [from, to]
/// (default: every one due by 30 days ahead), by due time, drawn up by `actor`.
pub async fn plan(
    c: &mut Conn<'_>,
    actor: &Staff,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    format: Option<&str>,
) -> Result<PlanFile> {
    let from = from.unwrap_or_else(|| now() - Duration::days(3650));
    let to = to.unwrap_or_else(|| now() + Duration::days(30));
    let format = format.unwrap_or("csv");
    if !["csv", "xlsx"].contains(&format) {
        return Err(WorkflowError::field("format", "must be csv or xlsx"));
    }
    let filter = Filter {
        workable: true,
        due_before: Some(to),
        due_from_after: Some(from),
        limit: MAX_PLAN_ROWS,
        ..Filter::default()
    };
    let mut items = callbacks::list(c, &filter).await?;
    items.sort_by(|a, b| {
        a.callback
            .due_from
            .cmp(&b.callback.due_from)
            .then(a.callback.id.cmp(&b.callback.id))
    });
    let by = Preparer {
        name: &actor.name,
        at: now(),
    };
    Ok(if format == "xlsx" {
        PlanFile {
            bytes: export::plan_xlsx(&items, &by).map_err(WorkflowError::Internal)?,
            content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            extension: "xlsx",
        }
    } else {
        PlanFile {
            bytes: export::plan_csv(&items, &by).map_err(WorkflowError::Internal)?,
            content_type: "text/csv; charset=utf-8",
            extension: "csv",
        }
    })
}

/// The report of [from, to) (default: the last 30 days): see `callbacks::report`.
pub async fn report(
    c: &mut Conn<'_>,
    actor: &Staff,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<Report> {
    let to = to.unwrap_or_else(now);
    let from = from.unwrap_or_else(|| to - Duration::days(30));
    if from >= to {
        return Err(WorkflowError::field("from", "must be before `to`"));
    }
    if to - from > Duration::days(MAX_REPORT_DAYS) {
        return Err(WorkflowError::field(
            "from",
            format!("a report covers at most {MAX_REPORT_DAYS} days"),
        ));
    }
    let outcomes = callback_records::outcomes_between(c, from, to).await?;
    let escalations = escalations::opened_between(c, from, to).await?;
    let issues = callback_records::issues_between(c, from, to).await?;
    let reviews = callback_records::reviews_between(c, from, to).await?;
    let mut r = report::report(Period {
        from,
        to,
        outcomes: &outcomes,
        escalations: &escalations,
        issues: &issues,
        reviews: &reviews,
    });
    // A planner reads the counts; the investors' own words are for those who oversee the desk.
    if super::planner_only(actor).is_some() {
        r.opinions.clear();
        r.open_issues.clear();
    }
    Ok(r)
}
