//! Imports uploaded through the API run as jobs: the file is read and its header checked at
//! once (422 naming each bad column), then its rows are imported in the background while
//! `GET /v1/imports/{id}` shows the progress and, at the end, every bad row. One import runs at
//! a time per instance (409 `import_running` otherwise); a job cut off by a stop is marked
//! failed at the next start, and its file can simply be sent again.

use std::sync::Arc;

use chrono::Utc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use super::{ImportKind, MAY_IMPORT, Options, Report};
use crate::domain::state::JobStatus;
use crate::sheet::Sheet;
use crate::store::imports::{self, ImportJob};
use crate::store::staff::Staff;
use crate::store::{Conn, Db, new_id, now};
use crate::workflow::{Ctx, Result, WorkflowError};

/// A running job records progress after every batch (seconds apart); one silent this long
/// was cut off.
pub const STALE: chrono::Duration = chrono::Duration::minutes(10);

/// One import at a time per instance: each holds SQLite's write lock a batch at a time, and two
/// would only take turns.
pub fn gate() -> Arc<Semaphore> {
    Arc::new(Semaphore::new(1))
}

/// The permit of `gate` that keeps other imports of this instance out while one is read and
/// runs (taken before the upload is parsed: parsing is the costly part of a refused upload).
pub fn admit(gate: &Arc<Semaphore>, actor: &Staff) -> Result<OwnedSemaphorePermit> {
    if !actor.has_any(MAY_IMPORT) {
        return Err(WorkflowError::forbidden(
            "forbidden",
            "only risk and admin staff import records",
        ));
    }
    gate.clone().try_acquire_owned().map_err(|_| {
        WorkflowError::conflict(
            "import_running",
            "another import is running on this instance: wait for it to finish (GET /v1/imports/{id})",
        )
    })
}

/// Checks the file's header and records the job.
pub async fn start(
    db: &Db,
    actor: &Staff,
    kind: ImportKind,
    sheet: &Sheet,
    opts: &Options,
) -> Result<ImportJob> {
    super::check_headers(kind, sheet)?;
    let t = now();
    let job = ImportJob {
        id: new_id(),
        kind: kind.as_str().to_string(),
        dry_run: opts.dry_run,
        status: JobStatus::Running,
        total: sheet.rows.len() as i64,
        processed: 0,
        imported: 0,
        skipped: 0,
        failed: 0,
        problems: Vec::new(),
        error: None,
        created_by: actor.id.clone(),
        started_at: t,
        updated_at: t,
    };
    let mut pooled = db.acquire().await?;
    imports::insert_job(&mut pooled.conn(), &job).await?;
    Ok(job)
}

fn apply(job: &mut ImportJob, r: &Report) {
    job.processed = r.processed as i64;
    job.imported = r.imported as i64;
    job.skipped = r.skipped as i64;
    job.failed = r.failed as i64;
    job.problems = r.problems.clone();
    job.updated_at = Utc::now();
}

/// Runs the job to its end, writing its progress after every batch; the next import may start
/// once this one's end is recorded.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    permit: OwnedSemaphorePermit,
    db: Db,
    ctx: Ctx<'_>,
    actor: Staff,
    kind: ImportKind,
    sheet: Arc<Sheet>,
    opts: Options,
    mut job: ImportJob,
) {
    let (tx, mut rx) = watch::channel(None::<Report>);
    let writer = {
        let db = db.clone();
        let mut job = job.clone();
        tokio::spawn(async move {
            while rx.changed().await.is_ok() {
                let Some(r) = rx.borrow_and_update().clone() else {
                    continue;
                };
                apply(&mut job, &r);
                if let Ok(mut pooled) = db.acquire().await {
                    let _ = imports::update_job(&mut pooled.conn(), &job).await;
                }
            }
        })
    };
    let mut on_batch = |r: &Report| {
        let _ = tx.send(Some(r.clone()));
    };
    let result = super::run(&db, &ctx, &actor, kind, &sheet, &opts, &mut on_batch).await;
    drop(tx);
    let _ = writer.await;
    match result {
        Ok(report) => {
            apply(&mut job, &report);
            job.status = JobStatus::Done;
        }
        Err(e) => {
            job.status = JobStatus::Failed;
            job.error = Some(format!(
                "{e} (send the file again: rows already imported are skipped)"
            ));
            job.updated_at = Utc::now();
        }
    }
    match db.acquire().await {
        Ok(mut pooled) => {
            if let Err(e) = imports::update_job(&mut pooled.conn(), &job).await {
                tracing::error!(job = %job.id, error = %e, "cannot record the import's end");
            }
        }
        Err(e) => tracing::error!(job = %job.id, error = %e, "cannot record the import's end"),
    }
    drop(permit);
}

/// A job, for the risk and admin staff who may import.
pub async fn get(c: &mut Conn<'_>, actor: &Staff, id: &str) -> Result<ImportJob> {
    if !actor.has_any(MAY_IMPORT) {
        return Err(WorkflowError::forbidden(
            "forbidden",
            "only risk and admin staff see imports",
        ));
    }
    let job = imports::get_job(c, id)
        .await?
        .ok_or(WorkflowError::NotFound("import"))?;
    let t = now();
    if job.status == JobStatus::Running && job.updated_at < t - STALE {
        imports::interrupt_stale(c, t - STALE, t).await?;
        return imports::get_job(c, id)
            .await?
            .ok_or(WorkflowError::NotFound("import"));
    }
    Ok(job)
}
