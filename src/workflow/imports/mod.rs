//! Imports of an existing book: investors with their evidence, holdings from before the
//! service, paper assessments. Each row goes through the same workflow function the API calls
//! for one record (onboarding, scoring a questionnaire, recording a holding), inside a
//! savepoint: a bad row is reported (row, column, problem) and nothing of it is written, the
//! others are kept. Rows are written in batches, one transaction each. A row already in the
//! store (same identity number; same investor, product, signing time and amount; same
//! questionnaire and time) is skipped, so the same file imported twice adds nothing. A dry run
//! runs every row the same way and rolls each batch back.

pub mod columns;
pub mod jobs;
mod rows;

use std::collections::HashMap;

use serde::Serialize;

use self::columns::{Column, Header, Record};
use super::{Ctx, Result, WorkflowError, investors};
use crate::domain::state::text_enum;
use crate::sheet::Sheet;
use crate::store::Db;
use crate::store::imports::{self, RowProblem};
use crate::store::staff::Staff;

pub use super::existing_holdings::MAY_IMPORT;

text_enum! {
    /// What a file brings in.
    pub enum ImportKind {
        Investors = "investors",
        Holdings = "holdings",
        Assessments = "assessments",
    }
}

impl ImportKind {
    pub fn columns(self) -> &'static [Column] {
        match self {
            ImportKind::Investors => columns::INVESTORS,
            ImportKind::Holdings => columns::HOLDINGS,
            ImportKind::Assessments => columns::ASSESSMENTS,
        }
    }
}

/// Rows written per transaction: short enough that the service's own writes wait little for
/// SQLite's write lock, long enough that commits do not dominate.
pub const BATCH: usize = 500;
/// Bad rows listed in a report (all are counted).
pub const MAX_LISTED: usize = 10_000;

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Check every row, write nothing.
    pub dry_run: bool,
    /// Investors: the sales owner (name or id) of rows that do not name one.
    pub sales_owner: Option<String>,
}

/// What an import did, as it goes and at the end.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub kind: ImportKind,
    pub dry_run: bool,
    pub total: u64,
    pub processed: u64,
    pub imported: u64,
    /// Already in the store (an earlier run of the same file).
    pub skipped: u64,
    pub failed: u64,
    /// The bad rows (the first 10,000).
    pub problems: Vec<RowProblem>,
}

impl Report {
    fn new(kind: ImportKind, dry_run: bool, total: usize) -> Self {
        Report {
            kind,
            dry_run,
            total: total as u64,
            processed: 0,
            imported: 0,
            skipped: 0,
            failed: 0,
            problems: Vec::new(),
        }
    }

    fn fail(&mut self, row: usize, problems: Vec<(String, String)>) {
        self.failed += 1;
        for (column, problem) in problems {
            if self.problems.len() < MAX_LISTED {
                self.problems.push(RowProblem {
                    row: row as u64,
                    column,
                    problem,
                });
            }
        }
    }
}

/// What became of one row.
pub(crate) enum Done {
    Imported,
    Skipped,
}

/// Imports `sheet` as `kind`, calling `progress` after every batch.
pub async fn run(
    db: &Db,
    ctx: &Ctx<'_>,
    actor: &Staff,
    kind: ImportKind,
    sheet: &Sheet,
    opts: &Options,
    progress: &mut (dyn FnMut(&Report) + Send),
) -> Result<Report> {
    if !actor.has_any(MAY_IMPORT) {
        return Err(WorkflowError::forbidden(
            "forbidden",
            "only risk and admin staff import records",
        ));
    }
    let mut report = Report::new(kind, opts.dry_run, sheet.rows.len());
    let headers = match headers_of(kind, sheet) {
        Ok(h) => h,
        Err(problems) => {
            // Without its columns no row can be read: each is counted as failed.
            report.fail(1, problems);
            report.failed = report.total.max(1);
            return Ok(report);
        }
    };
    let mut importer = rows::Importer::new(kind, opts);
    // The same record twice in one file: the second names the first.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (b, batch) in sheet.rows.chunks(BATCH).enumerate() {
        let mut tx = db.begin().await?;
        // Holdings and paper assessments are looked for and written under their kind's lock
        // (`existing_holdings::import`, `rows::assessment`). Taken first, before any row's own
        // locks (identity numbers, the trail), so two imports at once run batch by batch and
        // never hold each other's locks in opposite orders.
        if kind != ImportKind::Investors {
            crate::store::lock_key(&mut tx.conn(), &format!("imports/{}", kind.as_str())).await?;
        }
        if kind == ImportKind::Investors {
            let rows = batch.iter().enumerate().map(|(i, row)| {
                (
                    Sheet::row_number(b * BATCH + i),
                    Record::new(&headers, &sheet.headers, row),
                )
            });
            let mut c = tx.conn();
            investor_batch(
                &mut c,
                ctx,
                actor,
                &mut importer,
                rows,
                &mut seen,
                &mut report,
                &headers,
                &sheet.headers,
            )
            .await?;
            finish_batch(tx, opts.dry_run).await?;
            progress(&report);
            continue;
        }
        for (i, row) in batch.iter().enumerate() {
            let number = Sheet::row_number(b * BATCH + i);
            let record = Record::new(&headers, &sheet.headers, row);
            report.processed += 1;
            if let Some(key) = importer.key(&record) {
                if let Some(first) = seen.get(&key) {
                    let problem = format!("repeats row {first}");
                    report.fail(number, vec![(String::new(), problem)]);
                    continue;
                }
                seen.insert(key, number);
            }
            let mut c = tx.conn();
            imports::savepoint(&mut c).await?;
            let done = importer.row(&mut c, ctx, actor, &record).await;
            imports::end_savepoint(&mut c, done.is_ok()).await?;
            match done {
                Ok(Done::Imported) => report.imported += 1,
                Ok(Done::Skipped) => report.skipped += 1,
                // The store itself failing is no fault of the row: the import stops there
                // (this batch undone), and running the file again resumes after what was kept.
                Err(WorkflowError::Store(e)) => return Err(WorkflowError::Store(e)),
                Err(e) => report.fail(number, problems_of(e, &headers, &sheet.headers)),
            }
        }
        finish_batch(tx, opts.dry_run).await?;
        progress(&report);
    }
    tracing::info!(
        kind = kind.as_str(),
        imported = report.imported,
        skipped = report.skipped,
        failed = report.failed,
        dry_run = opts.dry_run,
        "import finished"
    );
    Ok(report)
}

async fn finish_batch(tx: crate::store::Tx, dry_run: bool) -> Result<()> {
    if dry_run {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
    }
    Ok(())
}

/// A batch of investors: each row read into its onboarding request, then all onboarded at once
/// (`onboard_batch` checks each as `onboard` does and writes the good ones together).
#[allow(clippy::too_many_arguments)]
async fn investor_batch<'r>(
    c: &mut crate::store::Conn<'_>,
    ctx: &Ctx<'_>,
    actor: &Staff,
    importer: &mut rows::Importer,
    rows: impl Iterator<Item = (usize, Record<'r>)>,
    seen: &mut HashMap<String, usize>,
    report: &mut Report,
    headers: &[Header],
    names: &[String],
) -> Result<()> {
    let mut numbers = Vec::new();
    let mut requests = Vec::new();
    for (number, record) in rows {
        report.processed += 1;
        if let Some(key) = importer.key(&record) {
            if let Some(first) = seen.get(&key) {
                report.fail(
                    number,
                    vec![(String::new(), format!("repeats row {first}"))],
                );
                continue;
            }
            seen.insert(key, number);
        }
        match importer.investor_request(c, &record).await {
            Ok(request) => {
                numbers.push(number);
                requests.push(request);
            }
            Err(WorkflowError::Store(e)) => return Err(WorkflowError::Store(e)),
            Err(e) => report.fail(number, problems_of(e, headers, names)),
        }
    }
    let done = investors::onboarding::onboard_batch(c, ctx, actor, requests).await?;
    for (number, result) in numbers.into_iter().zip(done) {
        match result {
            Ok(investors::onboarding::Onboarded::Created(_)) => report.imported += 1,
            Ok(investors::onboarding::Onboarded::Exists) => report.skipped += 1,
            Err(e) => report.fail(number, problems_of(e, headers, names)),
        }
    }
    Ok(())
}

fn headers_of(
    kind: ImportKind,
    sheet: &Sheet,
) -> std::result::Result<Vec<Header>, Vec<(String, String)>> {
    columns::map_headers(
        kind.columns(),
        &sheet.headers,
        kind == ImportKind::Assessments,
    )
}

/// Whether the sheet's header row reads as `kind`'s columns: each bad header named.
pub fn check_headers(kind: ImportKind, sheet: &Sheet) -> Result<()> {
    headers_of(kind, sheet).map(|_| ()).map_err(|problems| {
        WorkflowError::Invalid(
            problems
                .into_iter()
                .map(|(h, p)| crate::domain::FieldProblem::new(h, p))
                .collect(),
        )
    })
}

/// A row's error as (column as the file names it, problem) pairs.
fn problems_of(e: WorkflowError, headers: &[Header], names: &[String]) -> Vec<(String, String)> {
    let column = |field: &str| column_of(field, headers, names);
    match e {
        WorkflowError::Invalid(ps) | WorkflowError::Unprocessable { problems: ps, .. } => ps
            .into_iter()
            .map(|p| (column(&p.field), p.problem))
            .collect(),
        WorkflowError::NotFound(what) => {
            let field = if what == "product" {
                "product_code"
            } else {
                "id_number"
            };
            vec![(column(field), format!("no such {what}"))]
        }
        other => vec![(String::new(), other.to_string())],
    }
}

/// The header of the column a workflow field came from (`evidence[0].issued_at` is the
/// `evidence_issued_at` column, `answers.q3` the question's); the field itself when none did.
fn column_of(field: &str, headers: &[Header], names: &[String]) -> String {
    let wanted = if let Some(q) = field.strip_prefix("answers.") {
        Header::Answer(q.to_string())
    } else if let Some(rest) = field.strip_prefix("evidence") {
        let part = rest.rsplit('.').next().filter(|p| !p.contains('['));
        let f = match part {
            Some("kind") => "evidence_kind",
            Some("issued_at") => "evidence_issued_at",
            _ => "evidence_ref",
        };
        Header::Field(f)
    } else {
        match columns::INVESTORS
            .iter()
            .chain(columns::HOLDINGS)
            .chain(columns::ASSESSMENTS)
            .find(|c| c.field == field)
        {
            Some(c) => Header::Field(c.field),
            None => return field.to_string(),
        }
    };
    headers
        .iter()
        .position(|h| *h == wanted)
        .map_or_else(|| field.to_string(), |i| names[i].clone())
}
