//! `suitability import investors|holdings|assessments FILE`: brings in an existing book from a
//! CSV or XLSX file through `workflow::imports` (what the API's `POST /v1/imports` runs too),
//! with a progress bar on a terminal. Every bad row goes to `FILE.errors.csv` beside the file
//! (row, column, problem); the exit code is non-zero when there is one.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::config::Policy;
use crate::sheet::{self, Format};
use crate::store::imports::RowProblem;
use crate::store::{Db, staff};
use crate::vault::Vault;
use crate::workflow::imports::{self, ImportKind, Options};
use crate::workflow::ratelimit::RateLimiter;

pub struct Args {
    pub kind: ImportKind,
    pub file: PathBuf,
    pub dry_run: bool,
    pub staff: String,
    pub sales_owner: Option<String>,
    pub questionnaires_dir: PathBuf,
    pub rules_dir: PathBuf,
    pub policy: Policy,
}

pub async fn run(db: &Db, vault: &Vault, args: Args) -> Result<ExitCode, String> {
    let format = Format::of_path(&args.file).unwrap_or(Format::Csv);
    let bytes = std::fs::read(&args.file)
        .map_err(|e| format!("cannot read {}: {e}", args.file.display()))?;
    let sheet = sheet::read(&bytes, format).map_err(|e| format!("{}: {e}", args.file.display()))?;
    let questionnaires =
        crate::questionnaire::load_dir(&args.questionnaires_dir).map_err(|e| e.to_string())?;
    crate::app::keep_questionnaires(db, &questionnaires)
        .await
        .map_err(|e| e.to_string())?;
    let shipped = crate::rules::RuleFiles::from_dir(&args.rules_dir).map_err(|e| e.to_string())?;
    let rules = crate::app::active_rules(db, &shipped, &args.rules_dir)
        .await
        .map_err(|e| e.to_string())?;
    let actor = {
        let mut pooled = db.acquire().await.map_err(|e| e.to_string())?;
        staff::by_name(&mut pooled.conn(), &args.staff)
            .await
            .map_err(|e| e.to_string())?
            .filter(|s| !s.disabled)
            .ok_or_else(|| format!("no active staff member named '{}'", args.staff))?
    };
    let rules = std::sync::Arc::new(rules);
    let lookups = RateLimiter::new(
        crate::workflow::investors::LOOKUPS_PER_MINUTE,
        std::time::Duration::from_secs(60),
    );
    let ctx = crate::workflow::Ctx {
        rules,
        policy: &args.policy,
        vault,
        questionnaires: &questionnaires,
        lookups: &lookups,
    };
    let bar = progress_bar(sheet.rows.len() as u64);
    let opts = Options {
        dry_run: args.dry_run,
        sales_owner: args.sales_owner.clone(),
    };
    let started = std::time::Instant::now();
    let mut on_batch = |r: &imports::Report| {
        bar.set_position(r.processed);
        bar.set_message(format!("{} bad", r.failed));
    };
    let report = imports::run(db, &ctx, &actor, args.kind, &sheet, &opts, &mut on_batch)
        .await
        .map_err(|e| {
            format!("the import stopped: {e} (run it again: rows already imported are skipped)")
        })?;
    bar.finish_and_clear();
    let errors = errors_path(&args.file);
    if report.problems.is_empty() {
        // A report of an earlier run would describe rows that are fine now.
        let _ = std::fs::remove_file(&errors);
    } else {
        write_problems(&errors, &report.problems)?;
    }
    println!(
        "{} {}: {} rows, {} imported, {} already there, {} bad in {:.1} s{}",
        if report.dry_run {
            "checked"
        } else {
            "imported"
        },
        report.kind.as_str(),
        report.total,
        report.imported,
        report.skipped,
        report.failed,
        started.elapsed().as_secs_f64(),
        if report.dry_run {
            " (dry run: nothing written)"
        } else {
            ""
        }
    );
    if report.failed > 0 {
        println!("bad rows: {}", errors.display());
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// A bar on a terminal; nothing when stderr is a pipe or a file.
fn progress_bar(total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows  {per_sec}  eta {eta}  {msg}")
    {
        bar.set_style(style);
    }
    bar
}

/// `book.csv` → `book.errors.csv`, beside it.
pub fn errors_path(file: &Path) -> PathBuf {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "import".into());
    file.with_file_name(format!("{stem}.errors.csv"))
}

fn write_problems(path: &Path, problems: &[RowProblem]) -> Result<(), String> {
    let fail = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", path.display());
    let mut file = std::fs::File::create(path).map_err(|e| fail(&e))?;
    // A byte-order mark, so that a spreadsheet opens the Chinese headers as UTF-8.
    std::io::Write::write_all(&mut file, b"\xEF\xBB\xBF").map_err(|e| fail(&e))?;
    let mut out = csv::Writer::from_writer(file);
    out.write_record(["row", "column", "problem"])
        .map_err(|e| fail(&e))?;
    for p in problems {
        out.write_record([
            p.row.to_string().as_str(),
            &inert(&p.column),
            &inert(&p.problem),
        ])
        .map_err(|e| fail(&e))?;
    }
    out.flush().map_err(|e| fail(&e))
}

/// A cell a spreadsheet shows as text: one starting as a formula would (`=`, `+`, `-`, `@`)
/// gets a leading apostrophe, so a header or value echoed from the file cannot run when the
/// report is opened.
fn inert(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_would_be_formulas_are_shown_as_text() {
        assert_eq!(inert("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(inert("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(inert("证件号码"), "证件号码");
        assert_eq!(
            errors_path(Path::new("/a/book.xlsx")),
            Path::new("/a/book.errors.csv")
        );
    }
}
