//! The audit entry every write appends inside its own transaction, naming the acting staff
//! member (or the system, for background work).

use serde::Serialize;

use super::Result;
use crate::store::Conn;
use crate::store::audit::{self, Actor};
use crate::store::staff::Staff;

/// Records `action` on `entity` `id` by `actor`, with a digest of `change`.
pub async fn record(
    c: &mut Conn<'_>,
    actor: &Staff,
    action: &str,
    entity: &str,
    id: &str,
    change: &impl Serialize,
) -> Result<()> {
    audit::append(c, &Actor::staff(actor), action, entity, id, change).await?;
    Ok(())
}

/// Records `action` done by the service itself (background re-evaluation).
pub async fn record_system(
    c: &mut Conn<'_>,
    action: &str,
    entity: &str,
    id: &str,
    change: &impl Serialize,
) -> Result<()> {
    audit::append(c, &Actor::system(), action, entity, id, change).await?;
    Ok(())
}

/// Page sizes of the trail.
pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 1000;

/// One page of the trail.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub items: Vec<audit::Entry>,
    pub next_after: Option<i64>,
}

/// The trail in order, filtered by entity, actor and time, after entry `after`.
pub async fn search(
    c: &mut Conn<'_>,
    mut filter: audit::Filter,
    limit: Option<i64>,
) -> Result<AuditPage> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(super::WorkflowError::field(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    filter.limit = limit + 1;
    let mut items = audit::list(c, &filter).await?;
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    let next_after = if more {
        items.last().map(|e| e.seq)
    } else {
        None
    };
    Ok(AuditPage { items, next_after })
}

/// What verifying the trail found: the chain walked end to end, and (when the service writes
/// checkpoints) whether it still extends the newest checkpoint kept outside the database.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TrailStatus {
    pub intact: bool,
    pub entries: i64,
    /// The hash of the last entry, when intact.
    pub head: Option<String>,
    /// The first entry that was altered, removed or reordered, and how.
    pub broken_at: Option<i64>,
    pub reason: Option<String>,
    pub checkpoint: Option<CheckpointStatus>,
    /// Rows whose content the trail does not explain (changed in place), at most 100.
    pub unexplained_rows: Vec<String>,
}

/// The most unexplained rows a verification lists.
const MAX_LISTED: usize = 100;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CheckpointStatus {
    pub file: String,
    pub entries: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub extended: bool,
    pub reason: Option<String>,
}

/// Walks the whole trail (a full read: on demand, not per page) and checks the newest checkpoint
/// in `checkpoints`, if the service keeps them.
pub async fn verify(
    db: &crate::store::Db,
    checkpoints: Option<&std::path::Path>,
) -> Result<TrailStatus> {
    // One walk at a time: each reads the whole trail.
    // A request that finds a walk under way is told to retry (503), not queued behind it.
    static WALKING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _turn = tokio::time::timeout(crate::rules::pool::QUEUE_DEADLINE, WALKING.lock())
        .await
        .map_err(|_| super::WorkflowError::Busy)?;
    let (walked, unexplained) = {
        let mut pooled = db.acquire().await?;
        let walked = audit::verify(&mut pooled.conn()).await?;
        // Rows changed in place, behind the trail's back (the CLI's `audit verify --rows`).
        let unexplained = audit::verify_rows(&mut pooled.conn()).await?;
        (walked, unexplained)
    };
    let mut status = match walked {
        Ok((entries, head)) => TrailStatus {
            intact: true,
            entries,
            head: Some(head),
            broken_at: None,
            reason: None,
            checkpoint: None,
            unexplained_rows: Vec::new(),
        },
        Err(b) => TrailStatus {
            intact: false,
            entries: 0,
            head: None,
            broken_at: Some(b.seq),
            reason: Some(b.reason),
            checkpoint: None,
            unexplained_rows: Vec::new(),
        },
    };
    status.unexplained_rows = unexplained
        .iter()
        .take(MAX_LISTED)
        .map(|u| format!("{} {}: {}", u.entity, u.id, u.reason))
        .collect();
    if !unexplained.is_empty() {
        status.intact = false;
    }
    if let Some(path) = checkpoints.and_then(newest_checkpoint) {
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        status.checkpoint = Some(match crate::checkpoint::read(&path) {
            Ok(cp) => {
                let extends = crate::checkpoint::extends(db, &cp).await;
                CheckpointStatus {
                    file,
                    entries: cp.entries,
                    at: cp.at,
                    extended: extends.is_ok(),
                    reason: extends.err(),
                }
            }
            Err(why) => CheckpointStatus {
                file,
                entries: 0,
                at: crate::store::now(),
                extended: false,
                reason: Some(why),
            },
        });
        if status.checkpoint.as_ref().is_some_and(|c| !c.extended) {
            status.intact = false;
        }
    }
    Ok(status)
}

/// The newest `checkpoint-*.json` in `dir` (names sort by time).
fn newest_checkpoint(dir: &std::path::Path) -> Option<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("checkpoint-") && n.ends_with(".json"))
        })
        .max()
}
